"""Pull request analyses on a real repository: a branch that adds an eval is BLOCKED."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from tests.helpers import GraphQLClient
from tests.schema.health.test_assessments import DANGEROUS, _project_with_repo
from tests.support.git_repo import commit, run

ANALYZE = """
mutation($input: AnalyzePullRequestInput!) { analyzePullRequest(input: $input) {
  analysis { id status } userErrors { field message code } } }
"""
ANALYSIS = """
query($id: ID!) { pullRequestAnalysis(id: $id) {
  status readiness readinessReasons risk healthImpact projectedScore changedFiles error
  introduced { rule severity path } fixed { rule } } }
"""


async def _finished(client: GraphQLClient, token: str, analysis_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while True:
        node = (await client.execute(ANALYSIS, {"id": analysis_id}, token=token)).data[
            "pullRequestAnalysis"
        ]
        if node["status"] in ("COMPLETED", "FAILED"):
            return node  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, node
        await asyncio.sleep(0.1)


async def test_a_branch_adding_eval_is_blocked(client: GraphQLClient, tmp_path: Path) -> None:
    # given a project whose repository has a feature branch adding an eval
    owner, project_id, source = await _project_with_repo(client, tmp_path)
    run(source, "checkout", "-q", "-b", "feature")
    commit(source, {"admin.py": DANGEROUS}, "admin helper")
    run(source, "checkout", "-q", "main")
    repos = await client.execute(
        "query($p: ID!) { project(id: $p) { repositories { nodes { id } } } }",
        {"p": project_id},
        token=owner.token,
    )
    repo_id = repos.data["project"]["repositories"]["nodes"][0]["id"]
    # when the pull request main <- feature is analysed
    payload = await client.mutate(
        "analyzePullRequest",
        ANALYZE,
        {
            "input": {
                "projectId": project_id,
                "repositoryId": repo_id,
                "base": "main",
                "head": "feature",
                "number": 7,
            }
        },
        token=owner.token,
    )
    result = await _finished(client, owner.token, payload["analysis"]["id"])
    # then the eval is introduced, the score falls and the merge is blocked
    assert result["status"] == "COMPLETED", result
    assert result["changedFiles"] == ["admin.py"]
    assert {"rule": "S307", "severity": "CRITICAL", "path": "admin.py"} in result["introduced"]
    assert result["readiness"] == "BLOCKED" and result["readinessReasons"]
    assert result["risk"] == "CRITICAL" and result["healthImpact"] < 0
    # and an unknown ref fails the analysis with git's reason, not the job runner
    bad = await client.mutate(
        "analyzePullRequest",
        ANALYZE,
        {
            "input": {
                "projectId": project_id,
                "repositoryId": repo_id,
                "base": "main",
                "head": "no-such-branch",
            }
        },
        token=owner.token,
    )
    failed = await _finished(client, owner.token, bad["analysis"]["id"])
    assert failed["status"] == "FAILED" and failed["error"]
