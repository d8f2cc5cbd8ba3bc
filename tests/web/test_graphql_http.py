"""GraphQL over HTTP at ``/graphql``: media types, methods, CSRF, status codes, headers.

Through the real ASGI app (httpx), because these rules live in the HTTP layer
(``atrium.web.graphql_http``), not in the schema. The graphql-http audit suite checks the
same endpoint from the outside (``test_graphql_http_audit.py``).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httpx
import pytest

from tests.helpers import GraphQLClient

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
TYPENAME = {"query": "{ __typename }"}
MUTATION = 'mutation { logout(input: {refreshToken: "x"}) { success } }'


async def post(
    client: GraphQLClient, body: object, accept: str | None = None, **headers: str
) -> httpx.Response:
    if accept is not None:
        headers["accept"] = accept
    return await client.http.post("/graphql", json=body, headers=headers)


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0]


# --- Content negotiation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        (JSON, JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        ("*/*", JSON),
        ("application/*", JSON),
        (f"{JSON};q=0.5, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"*/*, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.1, {JSON}", JSON),
        ("text/html, application/xhtml+xml, */*;q=0.8", JSON),
    ],
)
async def test_response_media_type_follows_accept(
    client: GraphQLClient, accept: str | None, expected: str
) -> None:
    # given a query and an Accept header (or none: legacy clients)
    # when it is posted
    response = await client.http.post(
        "/graphql", json=TYPENAME, headers={"accept": accept} if accept else {}
    )
    # then the answer uses the best acceptable media type, in UTF-8
    assert response.status_code == 200
    assert media_type(response) == expected
    assert "charset=utf-8" in response.headers["content-type"]
    assert response.json()["data"] == {"__typename": "Query"}


@pytest.mark.parametrize("accept", ["text/html", "application/xml", f"{JSON};q=0"])
async def test_unacceptable_accept_is_406(client: GraphQLClient, accept: str) -> None:
    # given a client that accepts neither JSON media type
    # when it posts a query
    response = await post(client, TYPENAME, accept)
    # then it gets 406, explained in JSON
    assert response.status_code == 406
    assert "Accept" in response.json()["errors"][0]["message"]


# --- GET ---------------------------------------------------------------------------------


async def test_get_runs_a_query_with_variables(client: GraphQLClient) -> None:
    # given a query and its variables in the URL
    params = {
        "query": "query T($name: String!) { __type(name: $name) { name } }",
        "variables": json.dumps({"name": "Query"}),
        "operationName": "T",
    }
    # when it is sent over GET
    response = await client.http.get("/graphql", params=params, headers={"accept": JSON})
    # then it runs like a POST
    assert response.status_code == 200
    assert response.json()["data"] == {"__type": {"name": "Query"}}


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
async def test_mutation_over_get_is_405_allow_post(client: GraphQLClient, accept: str) -> None:
    # given a mutation in a URL (a link, an <img>, a prefetch could trigger it)
    # when it is sent over GET
    response = await client.http.get(
        "/graphql", params={"query": MUTATION}, headers={"accept": accept}
    )
    # then nothing runs: 405 and the method that would work
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "data" not in response.json()


async def test_other_methods_are_405(client: GraphQLClient) -> None:
    # given a method GraphQL over HTTP does not use
    # when it is sent to /graphql
    response = await client.http.put("/graphql", json=TYPENAME)
    # then 405 lists the methods that are served
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


# --- CSRF --------------------------------------------------------------------------------

MULTIPART_BOUNDARY = "atrium-test-boundary"


def multipart(fields: dict[str, str], file: bool = False) -> bytes:
    parts = [
        f'--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        f"{value}\r\n"
        for name, value in fields.items()
    ]
    if file:
        parts.append(
            f'--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="upload"; '
            'filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n'
        )
    return ("".join(parts) + f"--{MULTIPART_BOUNDARY}--\r\n").encode()


SIMPLE_CONTENT_TYPES = {
    "text/plain": "text/plain",
    "form": "application/x-www-form-urlencoded",
    "multipart": f"multipart/form-data; boundary={MULTIPART_BOUNDARY}",
}


def simple_body(kind: str, query: str, variables: dict[str, str] | None = None) -> bytes:
    """The operation encoded as a browser would send it in a ``kind`` simple request."""
    if kind == "text/plain":
        return json.dumps({"query": query, "variables": variables}).encode()
    fields = {"query": query, **({"variables": json.dumps(variables)} if variables else {})}
    return urlencode(fields).encode() if kind == "form" else multipart(fields)


@pytest.mark.parametrize("kind", SIMPLE_CONTENT_TYPES)
async def test_simple_content_types_are_refused_as_csrf(client: GraphQLClient, kind: str) -> None:
    # given a POST a cross-site HTML form or no-cors fetch could send without a preflight
    body = simple_body(kind, MUTATION)
    # when it arrives without a preflight header
    response = await client.http.post(
        "/graphql", content=body, headers={"content-type": SIMPLE_CONTENT_TYPES[kind]}
    )
    # then nothing runs
    assert response.status_code == 400
    assert "cross-site request forgery" in response.json()["errors"][0]["message"]
    assert "data" not in response.json()


@pytest.mark.parametrize("header", ["GraphQL-Preflight", "X-Atrium-Preflight"])
@pytest.mark.parametrize("kind", SIMPLE_CONTENT_TYPES)
async def test_simple_content_types_run_with_a_preflight_header(
    client: GraphQLClient, kind: str, header: str
) -> None:
    # given the same kind of POST carrying a custom header (a browser must preflight it,
    # so a foreign page cannot send it)
    body = simple_body(kind, "query Q($n: String!) { __type(name: $n) { name } }", {"n": "Query"})
    # when it is posted
    response = await client.http.post(
        "/graphql", content=body, headers={"content-type": SIMPLE_CONTENT_TYPES[kind], header: "1"}
    )
    # then the operation runs
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"__type": {"name": "Query"}}


async def test_multipart_file_uploads_are_refused(client: GraphQLClient) -> None:
    # given a multipart POST with a file part, preflighted (uploads are off by design)
    # when it is posted
    response = await client.http.post(
        "/graphql",
        content=multipart({"query": "{ __typename }"}, file=True),
        headers={"content-type": SIMPLE_CONTENT_TYPES["multipart"], "GraphQL-Preflight": "1"},
    )
    # then it is refused
    assert response.status_code == 400
    assert "upload" in response.json()["errors"][0]["message"]


async def test_unknown_content_type_is_415(client: GraphQLClient) -> None:
    # given a body in a media type the endpoint does not read
    # when it is posted
    response = await client.http.post(
        "/graphql", content=b"<query/>", headers={"content-type": "application/xml"}
    )
    # then 415 says what to send
    assert response.status_code == 415
    assert "application/json" in response.json()["errors"][0]["message"]


# --- Request errors and status codes -----------------------------------------------------

REQUEST_ERRORS = {
    "parse": {"query": "{"},
    "validation": {"query": "{ noSuchField }"},
    "variables": {"query": "query Q($id: ID!) { __typename }", "variables": {"id": None}},
    "operation name": {"query": "query A { __typename }", "operationName": "B"},
    "subscription": {"query": "subscription { __typename }"},
}


@pytest.mark.parametrize("kind", REQUEST_ERRORS)
async def test_request_errors_are_400_without_data_in_graphql_response_json(
    client: GraphQLClient, kind: str
) -> None:
    # given an operation that cannot start (bad document, bad variables, no such operation)
    # when a client that accepts application/graphql-response+json posts it
    response = await post(client, REQUEST_ERRORS[kind], GRAPHQL_RESPONSE)
    # then 400, errors and no data entry at all
    assert response.status_code == 400
    assert media_type(response) == GRAPHQL_RESPONSE
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("kind", REQUEST_ERRORS)
async def test_request_errors_are_200_with_errors_in_application_json(
    client: GraphQLClient, kind: str
) -> None:
    # given the same operations
    # when a legacy client that accepts only application/json posts them
    response = await post(client, REQUEST_ERRORS[kind], JSON)
    # then 200 with errors (and still no data), as the spec asks for application/json
    assert response.status_code == 200
    assert media_type(response) == JSON
    assert "data" not in response.json()
    assert response.json()["errors"]


async def test_field_errors_keep_data_and_200(client: GraphQLClient) -> None:
    # given a query that starts but whose field fails (anonymous viewer)
    # when it is posted accepting application/graphql-response+json
    response = await post(client, {"query": "{ viewer { scope } }"}, GRAPHQL_RESPONSE)
    # then it executed: 200 with a data entry (null) and the field's error
    assert response.status_code == 200
    body = response.json()
    assert "data" in body and body["data"] is None
    assert body["errors"][0]["path"] == ["viewer"]
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
@pytest.mark.parametrize(
    "body",
    [b'{ "not a JSON', b"", b"[]", b'["batch"]', b'"query"'],
    ids=["malformed", "empty", "empty-list", "batch", "string"],
)
async def test_malformed_bodies_are_400(client: GraphQLClient, accept: str, body: bytes) -> None:
    # given a body that is not a JSON object
    # when it is posted as application/json
    response = await client.http.post(
        "/graphql", content=body, headers={"content-type": JSON, "accept": accept}
    )
    # then 400 whatever the media type: it is not a GraphQL-over-HTTP request at all
    assert response.status_code == 400
    assert "data" not in response.json()


@pytest.mark.parametrize(
    "body",
    [
        {"notquery": "{ __typename }"},
        {"query": ""},
        {"query": {"obj": "ect"}},
        {"query": "{ __typename }", "variables": "string"},
        {"query": "{ __typename }", "variables": ["array"]},
        {"query": "{ __typename }", "extensions": 0},
        {"query": "{ __typename }", "operationName": False},
    ],
)
async def test_invalid_parameters_are_400(client: GraphQLClient, body: dict) -> None:
    # given parameters of the wrong type (or no query)
    # when they are posted by a legacy application/json client
    response = await post(client, body, JSON)
    # then 400, with the offending parameter named
    assert response.status_code == 400
    assert "`" in response.json()["errors"][0]["message"]


async def test_null_optional_parameters_are_allowed(client: GraphQLClient) -> None:
    # given optional parameters sent as null (many clients do)
    body = {**TYPENAME, "variables": None, "operationName": None, "extensions": None}
    # when posted
    response = await post(client, body, GRAPHQL_RESPONSE)
    # then the query runs
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}


async def test_bad_credential_is_401(client: GraphQLClient) -> None:
    # given an API key that does not exist
    # when it is used
    response = await post(client, TYPENAME, GRAPHQL_RESPONSE, **{"x-api-key": "sk_live_nope"})
    # then 401 with a challenge, before anything runs
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- Headers -----------------------------------------------------------------------------


async def test_request_id_is_echoed(client: GraphQLClient) -> None:
    # given a request id chosen by the caller (e.g. a gateway)
    # when it sends a query
    response = await post(client, TYPENAME, **{"x-request-id": "gw-1234.abc"})
    # then the same id comes back, to correlate logs
    assert response.headers["x-request-id"] == "gw-1234.abc"


@pytest.mark.parametrize("sent", [None, "has spaces", "x" * 200])
async def test_request_id_is_generated_when_absent_or_unsafe(
    client: GraphQLClient, sent: str | None
) -> None:
    # given no request id, or one not fit for a header and a log line
    headers = {"x-request-id": sent} if sent else {}
    # when a query is sent (even one that fails early)
    response = await post(client, {"query": "{"}, **headers)
    # then Atrium names the request itself
    assert response.headers["x-request-id"].startswith("req_")


async def test_rate_limit_headers_are_present(client: GraphQLClient) -> None:
    # given an anonymous query
    # when it runs
    response = await post(client, TYPENAME)
    # then its cost and the budget left are in the headers and in extensions.rateLimit
    headers = response.headers
    limit, remaining = int(headers["x-ratelimit-limit"]), int(headers["x-ratelimit-remaining"])
    assert 0 <= remaining < limit
    assert int(headers["x-ratelimit-reset"]) > 0
    rate_limit = response.json()["extensions"]["rateLimit"]
    assert rate_limit["limit"] == limit and rate_limit["cost"] >= 1
