"""The architecture list's SQL statement count does not grow with page size."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.helpers import GraphQLClient, TestUser, make_org, make_user
from tests.schema.architecture.factories import UPDATE, create_architecture
from tests.schema.test_query_counts import _counted, _listing

ARCHITECTURES = 8

NESTED = """
query Nested($n: Int!) {
  architectures(first: $n) {
    totalCount
    nodes {
      title version createdBy { name } organization { name }
      components { key }
      versions(first: $n) { totalCount nodes { number author { name } } }
      analyses(first: $n) { totalCount nodes { kind status requestedBy { name } } }
      latestAnalysis(kind: THREATS) { threatModel { total threats { id status } } }
      comments(first: $n) { totalCount nodes { body authorName author { name } } }
      documents(first: $n) { totalCount nodes { kind createdBy { name } } }
      shareLinks(first: $n) { totalCount }
    }
  }
}
"""


@pytest.fixture(scope="module")
async def owner_with_architectures(app: Any) -> AsyncIterator[TestUser]:
    """Eight architectures, each with two versions, a threat model, a comment, a document."""
    async with GraphQLClient.for_app(app) as client:
        owner = await make_user(client, "Owner")
        org = await make_org(client, owner)
        for i in range(ARCHITECTURES):
            arch = await create_architecture(client, owner, org, title=f"Arch {i}")
            await client.mutate(
                "updateArchitecture",
                UPDATE,
                {"input": {"id": arch["id"], "expectedVersion": 1, "title": f"Arch {i}b"}},
                token=owner.token,
            )
            for mutation in (
                "runThreatModel(input: {architectureId: $id, wait: true}) { userErrors { code } }",
                'addArchitectureComment(input: {architectureId: $id, body: "ok"}) '
                "{ userErrors { code } }",
                "generateDocument(input: {architectureId: $id, kind: RUNBOOK}) "
                "{ userErrors { code } }",
            ):
                response = await client.execute(
                    f"mutation($id: ID!) {{ {mutation} }}", {"id": arch["id"]}, token=owner.token
                )
                assert "errors" not in response.body, response.body
        yield owner


async def test_architecture_list_statement_count_does_not_grow_with_page_size(
    client: GraphQLClient, app: Any, owner_with_architectures: TestUser
) -> None:
    token = owner_with_architectures.token
    # given the nested list, warmed up
    await client.execute(NESTED, {"n": 2}, token=token)
    # when it runs with pages of 2 and of 8
    small, run_2 = await _counted(client, app, NESTED, {"n": 2}, token)
    large, run_8 = await _counted(client, app, NESTED, {"n": 8}, token)
    print(f"\nSQL statements for the architecture list: N=2 -> {len(run_2)}, N=8 -> {len(run_8)}")
    # then it returned four times the architectures, each fully resolved
    assert len(small["architectures"]["nodes"]) == 2
    nodes = large["architectures"]["nodes"]
    assert len(nodes) == ARCHITECTURES
    for node in nodes:
        assert node["createdBy"]["name"] == "Owner" and node["version"] == 2
        assert [v["number"] for v in node["versions"]["nodes"]] == [2, 1]
        assert node["latestAnalysis"]["threatModel"]["total"] > 0
        comment = node["comments"]["nodes"][0]
        assert comment["author"]["name"] == comment["authorName"] == "Owner"
        assert node["documents"]["nodes"][0]["kind"] == "RUNBOOK"
    # and the same number of statements
    assert len(run_2) == len(run_8), _listing(run_2, run_8)
