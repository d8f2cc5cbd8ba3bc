"""Assessments of real git repositories: findings, scores, triage, drift, projectEvents."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from tests.helpers import GraphQLClient, TestUser, make_org, make_user
from tests.support.git_repo import commit, make_repo
from tests.support.ws import wait_for_subscribers, ws_client

CLEAN = '''"""Prices."""


def total(prices: list[float]) -> float:
    """Sum of the prices."""
    return sum(prices)
'''
DANGEROUS = '''"""Admin helpers."""


def run(expression: str) -> object:
    """Evaluate what the admin typed."""
    return eval(expression)
'''
TRIGGER = """
mutation($input: TriggerAssessmentInput!) { triggerAssessment(input: $input) {
  assessments { id status } userErrors { field message code } } }
"""
ASSESSMENT = """
query($id: ID!) { node(id: $id) { ... on Assessment {
  id status grade overallScore commit linesOfCode error
  categories { category score findings weight } } } }
"""
FINDINGS = """
query($p: ID!, $sev: String, $dismissed: Boolean!) {
  findings(projectId: $p, severity: $sev, includeDismissed: $dismissed) {
    totalCount nodes { id rule category severity path line fingerprint dismissed dismissReason }
  }
}
"""


async def _project_with_repo(client: GraphQLClient, tmp_path: Path) -> tuple[TestUser, str, Path]:
    owner = await make_user(client)
    org = await make_org(client, owner)
    source = tmp_path / "svc"
    make_repo(source, {"prices.py": CLEAN})
    repo = await client.mutate(
        "registerRepository",
        """mutation($input: RegisterRepositoryInput!) { registerRepository(input: $input) {
             repository { id } userErrors { field message code } } }""",
        {"input": {"organizationId": org["id"], "path": str(source)}},
        token=owner.token,
    )
    repo_id = repo["repository"]["id"]
    deadline = time.monotonic() + 15
    while True:
        node = await client.execute(
            "query($id: ID!) { repository(id: $id) { status } }", {"id": repo_id}, token=owner.token
        )
        if node.data["repository"]["status"] == "READY":
            break
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    project = await client.mutate(
        "createProject",
        """mutation($input: CreateProjectInput!) { createProject(input: $input) {
             project { id } userErrors { field message code } } }""",
        {"input": {"organizationId": org["id"], "name": "Service"}},
        token=owner.token,
    )
    project_id = project["project"]["id"]
    await client.mutate(
        "linkRepository",
        """mutation($input: ProjectRepositoryInput!) { linkRepository(input: $input) {
             repository { id } userErrors { field message code } } }""",
        {"input": {"projectId": project_id, "repositoryId": repo_id}},
        token=owner.token,
    )
    return owner, project_id, source


async def _assess(client: GraphQLClient, owner: TestUser, project_id: str) -> dict[str, Any]:
    payload = await client.mutate(
        "triggerAssessment", TRIGGER, {"input": {"projectId": project_id}}, token=owner.token
    )
    [queued] = payload["assessments"]
    deadline = time.monotonic() + 60
    while True:
        node = (await client.execute(ASSESSMENT, {"id": queued["id"]}, token=owner.token)).data[
            "node"
        ]
        if node["status"] in ("COMPLETED", "FAILED"):
            return node  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, node
        await asyncio.sleep(0.1)


async def test_an_eval_is_found_scored_dismissed_and_drift_is_raised(
    app: Any, client: GraphQLClient, tmp_path: Path
) -> None:
    # given a project whose repository starts clean
    owner, project_id, source = await _project_with_repo(client, tmp_path)
    first = await _assess(client, owner, project_id)
    assert first["status"] == "COMPLETED", first
    security = {c["category"]: c for c in first["categories"]}["SECURITY"]
    assert security["findings"] == 0 and security["weight"] == 2
    # when a commit adds an eval of user input, and the project is assessed again (listened to)
    head = commit(source, {"admin.py": DANGEROUS}, "admin helper")
    async with ws_client(app) as ws:
        await ws.init(owner.token)
        operation = await ws.subscribe(
            "subscription($id: ID!) { projectEvents(id: $id) { type grade } }", {"id": project_id}
        )
        await wait_for_subscribers(app, f"project:{project_id}")
        second = await _assess(client, owner, project_id)
        seen = []
        while not seen or seen[-1]["type"] != "ASSESSMENT_COMPLETED":
            seen.append(
                (await ws.next_of(operation, seconds=30))["payload"]["data"]["projectEvents"]
            )
    # then the new commit was assessed, the eval is a critical security finding, the score fell
    assert second["commit"] == head
    assert second["overallScore"] < first["overallScore"]
    assert [e["type"] for e in seen] == [
        "ASSESSMENT_QUEUED",
        "ASSESSMENT_STARTED",
        "ASSESSMENT_COMPLETED",
    ]
    critical = await client.execute(
        FINDINGS, {"p": project_id, "sev": "CRITICAL", "dismissed": False}, token=owner.token
    )
    [finding] = critical.data["findings"]["nodes"]
    assert (finding["rule"], finding["category"], finding["path"]) == (
        "S307",
        "SECURITY",
        "admin.py",
    )
    # and a drift alert names the security score's fall
    drift = await client.execute(
        "query($p: ID!) { driftAlerts(projectId: $p) "
        "{ nodes { id type category previous current } } }",
        {"p": project_id},
        token=owner.token,
    )
    alerts = {(a["type"], a["category"]) for a in drift.data["driftAlerts"]["nodes"]}
    assert ("SCORE", "SECURITY") in alerts
    # when the finding is dismissed with a reason, it leaves the open list and the stats
    await client.mutate(
        "dismissFinding",
        """mutation($id: ID!) { dismissFinding(input: {id: $id, reason: "admin-only tool"}) {
             finding { dismissed dismissReason } userErrors { field message code } } }""",
        {"id": finding["id"]},
        token=owner.token,
    )
    open_now = await client.execute(
        FINDINGS, {"p": project_id, "sev": "CRITICAL", "dismissed": False}, token=owner.token
    )
    assert open_now.data["findings"]["totalCount"] == 0
    everything = await client.execute(
        FINDINGS, {"p": project_id, "sev": "CRITICAL", "dismissed": True}, token=owner.token
    )
    assert everything.data["findings"]["nodes"][0]["dismissReason"] == "admin-only tool"
    # and the dismissal follows the same issue into the next assessment
    third = await _assess(client, owner, project_id)
    assert third["status"] == "COMPLETED"
    still = await client.execute(
        FINDINGS, {"p": project_id, "sev": "CRITICAL", "dismissed": False}, token=owner.token
    )
    assert still.data["findings"]["totalCount"] == 0
    dashboard = await client.execute(
        "query($p: ID!) { projectHealth(projectId: $p) { latest { id grade } trend { id } "
        "openDriftAlerts } }",
        {"p": project_id},
        token=owner.token,
    )
    health = dashboard.data["projectHealth"]
    assert [a["id"] for a in health["latest"]] == [third["id"]]
    assert [a["id"] for a in health["trend"]] == [first["id"], second["id"], third["id"]]


async def test_a_project_without_repositories_cannot_be_assessed(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    project = await client.mutate(
        "createProject",
        """mutation($input: CreateProjectInput!) { createProject(input: $input) {
             project { id } userErrors { field message code } } }""",
        {"input": {"organizationId": org["id"], "name": "Empty"}},
        token=owner.token,
    )
    response = await client.execute(
        TRIGGER, {"input": {"projectId": project["project"]["id"]}}, token=owner.token
    )
    assert response.data["triggerAssessment"]["userErrors"][0]["code"] == "REQUIRED"
