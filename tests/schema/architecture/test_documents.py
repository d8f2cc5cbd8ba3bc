"""RFC, ADR and runbook documents, and the ADR lifecycle."""

from __future__ import annotations

from tests.helpers import GraphQLClient, make_org, make_user
from tests.schema.architecture.factories import create_architecture

GENERATE = """
mutation($input: GenerateDocumentInput!) {
  generateDocument(input: $input) {
    document { id kind title version markdown mermaid }
    adr { id status title decision document { id } }
    userErrors { field code }
  }
}
"""
SET_ADR = """
mutation($input: SetAdrStatusInput!) {
  setAdrStatus(input: $input) { adr { id status supersededBy { id } } userErrors { field code } }
}
"""


async def test_rfc_uses_the_design_and_latest_analyses(client: GraphQLClient) -> None:
    # given an architecture with a completed cost analysis
    owner = await make_user(client)
    org = await make_org(client, owner)
    arch = await create_architecture(client, owner, org)
    await client.mutate(
        "runCostAnalysis",
        """mutation($id: ID!) { runCostAnalysis(input: {architectureId: $id, wait: true}) {
             analysis { status } userErrors { code } } }""",
        {"id": arch["id"]},
        token=owner.token,
    )
    # when an RFC is generated
    payload = await client.mutate(
        "generateDocument",
        GENERATE,
        {"input": {"architectureId": arch["id"], "kind": "RFC"}},
        token=owner.token,
    )
    document = payload["document"]
    # then it is Markdown tied to version 1 with a Mermaid diagram of every component and link
    assert document["kind"] == "RFC" and document["version"] == 1
    assert payload["adr"] is None
    markdown = document["markdown"]
    assert "```mermaid" in markdown and document["mermaid"] in markdown
    for key in ("cdn", "api", "db"):
        assert key in document["mermaid"]
    assert "Web shop" in markdown
    assert "Cost" in markdown  # the cost analysis section is present


async def test_adr_lifecycle(client: GraphQLClient) -> None:
    # given two ADRs
    owner = await make_user(client)
    org = await make_org(client, owner)
    arch = await create_architecture(client, owner, org)
    adrs = []
    for title in ("Use PostgreSQL", "Use Aurora"):
        payload = await client.mutate(
            "generateDocument",
            GENERATE,
            {
                "input": {
                    "architectureId": arch["id"],
                    "kind": "ADR",
                    "title": title,
                    "context": "We need transactions.",
                    "decision": title + ".",
                    "consequences": "Operate a database.",
                }
            },
            token=owner.token,
        )
        assert payload["adr"]["status"] == "PROPOSED"
        assert payload["adr"]["document"]["id"] == payload["document"]["id"]
        assert "We need transactions." in payload["document"]["markdown"]
        adrs.append(payload["adr"])
    first, second = adrs
    # when the first is superseded before it was accepted
    early = await client.execute(
        SET_ADR,
        {"input": {"id": first["id"], "status": "SUPERSEDED", "supersededById": second["id"]}},
        token=owner.token,
    )
    # then that move is refused
    assert early.data["setAdrStatus"]["userErrors"] == [{"field": ["status"], "code": "INVALID"}]
    # when it is accepted, then superseded by the second
    await client.mutate(
        "setAdrStatus",
        SET_ADR,
        {"input": {"id": first["id"], "status": "ACCEPTED"}},
        token=owner.token,
    )
    missing = await client.execute(
        SET_ADR, {"input": {"id": first["id"], "status": "SUPERSEDED"}}, token=owner.token
    )
    assert missing.data["setAdrStatus"]["userErrors"] == [
        {"field": ["supersededById"], "code": "REQUIRED"}
    ]
    done = await client.mutate(
        "setAdrStatus",
        SET_ADR,
        {"input": {"id": first["id"], "status": "SUPERSEDED", "supersededById": second["id"]}},
        token=owner.token,
    )
    # then it points at its successor and is listed on the architecture
    assert done["adr"] == {
        "id": first["id"],
        "status": "SUPERSEDED",
        "supersededBy": {"id": second["id"]},
    }
    listed = await client.execute(
        "query($id: ID!) { architecture(id: $id) { adrs { nodes { id status } } "
        "documents { totalCount } } }",
        {"id": arch["id"]},
        token=owner.token,
    )
    data = listed.data["architecture"]
    assert data["adrs"]["nodes"] == [
        {"id": second["id"], "status": "PROPOSED"},
        {"id": first["id"], "status": "SUPERSEDED"},
    ]
    assert data["documents"]["totalCount"] == 2
