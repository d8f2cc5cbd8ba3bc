"""GraphiQL at ``/graphql``: the page and every asset it loads come from Atrium itself.

Why check each asset: the IDE must work with no internet (DESIGN.md), so a page that
references a missing file, or one on a CDN, is broken even though it answers 200.
"""

from __future__ import annotations

import re

from atrium.app import create_app
from atrium.core.config import GraphQLIDE, Settings
from tests.helpers import GraphQLClient

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
REFERENCE = re.compile(r'(?:src|href)="([^"]+)"')


async def test_browser_gets_graphiql_with_local_assets(client: GraphQLClient) -> None:
    # given a browser opening /graphql
    # when it asks for the page
    page = await client.http.get("/graphql", headers={"accept": BROWSER_ACCEPT})
    # then it gets GraphiQL, with scripts allowed only from Atrium's origin
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert 'data-endpoint="/graphql"' in page.text
    references = REFERENCE.findall(page.text)
    # and every file it references is served from /static, non-empty
    assert {r.rsplit("/", 1)[-1] for r in references} >= {
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
        "init.js",
    }
    for reference in references:
        assert reference.startswith("/static/"), reference
        asset = await client.http.get(reference)
        assert asset.status_code == 200, reference
        assert len(asset.content) > 100, reference


def test_init_script_shows_the_header_editor() -> None:
    # given the start-up script the page runs
    from atrium.web.graphiql import STATIC_DIR

    script = (STATIC_DIR / "graphiql" / "init.js").read_text()
    # then GraphiQL opens with its headers editor, ready for an API key
    assert 'defaultEditorToolsVisibility: "headers"' in script
    assert "x-api-key" in script


async def test_a_get_with_a_query_is_an_operation_even_from_a_browser(
    client: GraphQLClient,
) -> None:
    # given a browser following a link that carries a query
    # when it opens it
    response = await client.http.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"accept": BROWSER_ACCEPT}
    )
    # then it gets the result, not the IDE
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}


async def test_ide_can_be_turned_off(settings: Settings) -> None:
    # given a deployment with the IDE turned off
    app = create_app(settings.model_copy(update={"graphql_ide": GraphQLIDE.NONE}))
    try:
        async with GraphQLClient.for_app(app) as client:
            # when a browser opens /graphql
            response = await client.http.get("/graphql", headers={"accept": "text/html"})
    finally:
        await app.state.atrium.services.close()
    # then there is no page: the endpoint answers as GraphQL (nothing acceptable, no query)
    assert response.status_code == 406
    assert "GraphiQL" not in response.text
