"""Knowledge bases: ingest, ranked cited search on a small corpus, health, connectors
synced from a real folder, and agents answering with the passages as context."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from tests.helpers import GraphQLClient, TestUser, make_org, make_user
from tests.schema.threads.factories import create_thread, post, wait_until_answered
from tests.support.openai_server import openai_server

CREATE = """
mutation($input: CreateKnowledgeBaseInput!) {
  createKnowledgeBase(input: $input) { knowledgeBase { id name } userErrors { field code } }
}
"""
INGEST = """
mutation($input: IngestKnowledgeDocumentInput!) {
  ingestKnowledgeDocument(input: $input) {
    document { id title format chunkCount } userErrors { field message code }
  }
}
"""
SEARCH = """
query($id: ID!, $q: String!, $limit: Int = 5) {
  knowledgeBase(id: $id) {
    search(query: $q, limit: $limit) { text heading snippet highlights citation score
                                       document { title path } }
  }
}
"""
HEALTH = """
query($id: ID!) {
  knowledgeBase(id: $id) {
    health { healthy documents chunks indexedChunks problems }
    documents { totalCount nodes { path title chunkCount source } }
    connectors { status error lastSyncedAt }
  }
}
"""
CONNECT = """
mutation($input: AddKnowledgeConnectorInput!) {
  addKnowledgeConnector(input: $input) { connector { id status } userErrors { field code } }
}
"""
SYNC = """
mutation($input: KnowledgeConnectorIdInput!) {
  syncKnowledgeConnector(input: $input) { connector { id status } userErrors { code } }
}
"""

CORPUS = {
    "deploy.md": "# Deploying\n\n## Blue-green\nBlue-green deploys switch traffic between two "
    "identical environments, so a rollback is instant.\n\n## Canary\nA canary release sends "
    "a small share of traffic to the new version first.",
    "database.md": "# Databases\n\nPostgreSQL is the production database. Back it up nightly; "
    "restore drills run monthly.",
    "notes.txt": "Meeting notes: we talked about lunch, and briefly about traffic on the highway.",
}


async def _base(client: GraphQLClient) -> tuple[TestUser, str, str]:
    owner = await make_user(client)
    org = (await make_org(client, owner))["id"]
    base = await client.mutate(
        "createKnowledgeBase",
        CREATE,
        {"input": {"organizationId": org, "name": "Handbook"}},
        token=owner.token,
    )
    return owner, org, base["knowledgeBase"]["id"]


async def _ingest(client: GraphQLClient, owner: TestUser, base: str) -> None:
    for name, content in CORPUS.items():
        await client.mutate(
            "ingestKnowledgeDocument",
            INGEST,
            {"input": {"knowledgeBaseId": base, "name": name, "content": content}},
            token=owner.token,
        )


async def _search(client: GraphQLClient, owner: TestUser, base: str, q: str) -> Any:
    response = await client.execute(SEARCH, {"id": base, "q": q}, token=owner.token)
    return response.data["knowledgeBase"]["search"]


async def test_search_ranks_the_relevant_passage_first_and_cites_it(client: GraphQLClient) -> None:
    owner, _, base = await _base(client)
    await _ingest(client, owner, base)
    # the passage about switching traffic between environments beats the passing mention
    hits = await _search(client, owner, base, "traffic rollback")
    assert hits[0]["heading"] == "Deploying > Blue-green"
    assert hits[0]["citation"] == "deploy — Deploying > Blue-green (deploy.md)"
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    snippet, (start, end) = hits[0]["snippet"], hits[0]["highlights"][0]
    assert snippet[start:end].lower() in ("traffic", "rollback")
    # stemming, phrases and exclusions work; nothing matching is an empty list
    assert (await _search(client, owner, base, "restoring"))[0]["document"]["path"] == (
        "database.md"
    )
    excluded = await _search(client, owner, base, "traffic -canary")
    assert {h["document"]["path"] for h in excluded} == {"deploy.md", "notes.txt"}
    assert "Deploying > Canary" not in {h["heading"] for h in excluded}
    assert await _search(client, owner, base, "kubernetes") == []


async def test_reingesting_replaces_a_document_and_health_counts_it(client: GraphQLClient) -> None:
    owner, _, base = await _base(client)
    await _ingest(client, owner, base)
    await client.mutate(
        "ingestKnowledgeDocument",
        INGEST,
        {
            "input": {
                "knowledgeBaseId": base,
                "name": "deploy.md",
                "content": "# Deploying\nWe only do rolling updates now.",
            }
        },
        token=owner.token,
    )
    assert await _search(client, owner, base, "canary") == []
    data = (await client.execute(HEALTH, {"id": base}, token=owner.token)).data["knowledgeBase"]
    assert data["health"]["healthy"] is True and data["health"]["documents"] == 3
    assert data["health"]["chunks"] == data["health"]["indexedChunks"]
    bad = await client.execute(
        INGEST,
        {"input": {"knowledgeBaseId": base, "name": "x.md", "content": "  "}},
        token=owner.token,
    )
    assert bad.data["ingestKnowledgeDocument"]["userErrors"][0]["code"] == "REQUIRED"


async def test_a_folder_connector_syncs_changes_and_removals(
    client: GraphQLClient, tmp_path: Path
) -> None:
    owner, _, base = await _base(client)
    (tmp_path / "guides").mkdir()
    (tmp_path / "guides" / "setup.md").write_text("# Setup\nInstall with pipx.")
    (tmp_path / "old.txt").write_text("Deprecated notes about fax machines.")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\x00\x01")
    added = await client.mutate(
        "addKnowledgeConnector",
        CONNECT,
        {
            "input": {
                "knowledgeBaseId": base,
                "kind": "FOLDER",
                "path": str(tmp_path),
                "schedule": "0 * * * *",
            }
        },
        token=owner.token,
    )
    connector = added["connector"]["id"]

    async def synced(paths: set[str]) -> dict[str, Any]:
        deadline = time.monotonic() + 15
        while True:
            data = (await client.execute(HEALTH, {"id": base}, token=owner.token)).data
            kb = data["knowledgeBase"]
            found = {d["path"] for d in kb["documents"]["nodes"]}
            if found == paths and kb["connectors"][0]["status"] == "IDLE":
                return kb  # type: ignore[no-any-return]
            assert time.monotonic() < deadline, kb
            await asyncio.sleep(0.05)

    first = await synced({"guides/setup.md", "old.txt"})
    assert {d["source"] for d in first["documents"]["nodes"]} == {"CONNECTOR"}
    # when a file changes and another goes, a sync follows
    (tmp_path / "guides" / "setup.md").write_text("# Setup\nInstall with uv tool install.")
    (tmp_path / "old.txt").unlink()
    await client.mutate(
        "syncKnowledgeConnector", SYNC, {"input": {"id": connector}}, token=owner.token
    )
    await synced({"guides/setup.md"})
    hits = await _search(client, owner, base, "uv")
    assert hits and hits[0]["document"]["path"] == "guides/setup.md"


async def test_a_linked_agent_gets_cited_passages_in_its_prompt(client: GraphQLClient) -> None:
    owner, org, base = await _base(client)
    await _ingest(client, owner, base)
    async with openai_server() as fake:
        fake.reply(["Use blue-green [1]."])
        agent = await client.mutate(
            "createAgent",
            """mutation($input: CreateAgentInput!) { createAgent(input: $input) {
                 agent { id } userErrors { field message code } } }""",
            {
                "input": {
                    "organizationId": org,
                    "name": "Ops",
                    "systemPrompt": "You run ops.",
                    "provider": "openai",
                    "providerBaseUrl": fake.base_url,
                    "providerApiKey": "sk-fake",
                }
            },
            token=owner.token,
        )
        agent_id = agent["agent"]["id"]
        linked = await client.execute(
            """mutation($input: AgentKnowledgeBaseInput!) {
                 linkAgentKnowledgeBase(input: $input) { linked userErrors { code } } }""",
            {"input": {"agentId": agent_id, "knowledgeBaseId": base}},
            token=owner.token,
        )
        assert linked.data["linkAgentKnowledgeBase"]["linked"] is True
        thread = await create_thread(client, owner, organizationId=org, agentId=agent_id)
        await post(client, owner, thread["id"], "How do we roll back a deploy?")
        await wait_until_answered(client, owner, thread["id"])
        [request] = fake.requests
    system = [m["content"] for m in request.messages if m["role"] == "system"]
    assert system[0] == "You run ops."
    assert "] deploy — Deploying > Blue-green (deploy.md)\n" in system[1]
    assert "rollback is instant" in system[1]
