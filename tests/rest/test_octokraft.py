"""Octokraft's (seed 003) project, member and repository routes; Archon's codebase routes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.helpers import GraphQLClient, add_member, make_api_key, make_org, make_user
from tests.support.git_repo import make_repo

BASE = "/rest/octokraft/api/v1"


async def test_projects_members_and_the_409_for_the_last_owner(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    colleague = await add_member(client, org["id"], owner, "MEMBER")
    http, auth = client.http, {"Authorization": f"Bearer {owner.token}"}
    created = await http.post(f"{BASE}/projects", headers=auth, json={"name": "Web", "key": "WEB"})
    assert created.status_code == 201, created.text
    project = created.json()
    assert (project["key"], project["role"]) == ("WEB", "owner")
    invited = await http.post(
        f"{BASE}/projects/{project['id']}/invitations",
        headers=auth,
        json={"email": colleague.email, "role": "member"},
    )
    assert invited.status_code == 201 and invited.json()["member"]["user"]["id"] == colleague.id
    members = await http.get(f"{BASE}/projects/{project['id']}/members?limit=1", headers=auth)
    assert members.json()["total_count"] == 2 and len(members.json()["items"]) == 1
    last = await http.delete(f"{BASE}/projects/{project['id']}/members/{owner.id}", headers=auth)
    assert last.status_code == 409, last.text
    promoted = await http.patch(
        f"{BASE}/projects/{project['id']}/members/{colleague.id}",
        headers=auth,
        json={"role": "owner"},
    )
    assert promoted.json()["role"] == "owner"
    removed = await http.delete(f"{BASE}/projects/{project['id']}/members/{owner.id}", headers=auth)
    assert removed.status_code == 204
    too_many = await http.get(f"{BASE}/projects?limit=101", headers=auth)
    assert too_many.status_code == 400


async def test_repositories_link_and_archon_codebases(
    client: GraphQLClient, tmp_path: Path
) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    _, key = await make_api_key(client, org["id"], owner, "WRITE")
    http, auth = client.http, {"Authorization": f"Bearer {key}"}
    source = tmp_path / "shop"
    make_repo(source, {"shop.py": "print(1)\n"})
    # Archon registers a codebase by path and lists its environments
    codebase = await http.post(
        "/rest/archon/api/codebases", headers=auth, json={"path": str(source)}
    )
    assert codebase.status_code == 201, codebase.text
    repo_id = codebase.json()["id"]
    deadline = time.monotonic() + 15
    while (await http.get(f"/rest/archon/api/codebases/{repo_id}", headers=auth)).json()[
        "status"
    ] != "ready":
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    envs = await http.get(f"/rest/archon/api/codebases/{repo_id}/environments", headers=auth)
    assert envs.status_code == 200 and envs.json() == []
    # Octokraft links it to a project
    project = (await http.post(f"{BASE}/projects", headers=auth, json={"name": "Shop"})).json()
    available = await http.get(f"{BASE}/projects/{project['id']}/repos/available", headers=auth)
    assert [r["id"] for r in available.json()] == [repo_id]
    linked = await http.post(
        f"{BASE}/projects/{project['id']}/repos", headers=auth, json={"repository_id": repo_id}
    )
    assert linked.status_code == 201 and linked.json()["status"] == "ready"
    repos = await http.get(f"{BASE}/projects/{project['id']}/repos", headers=auth)
    assert repos.json()["total_count"] == 1
    unlinked = await http.delete(f"{BASE}/projects/{project['id']}/repos/{repo_id}", headers=auth)
    assert unlinked.status_code == 204
    gone = await http.delete(f"/rest/archon/api/codebases/{repo_id}", headers=auth)
    assert gone.status_code == 200 and gone.json() == {"id": repo_id}


async def test_health_trigger_issues_stats_dismiss_and_rules(
    client: GraphQLClient, tmp_path: Path
) -> None:
    owner = await make_user(client)
    await make_org(client, owner)
    http, auth = client.http, {"Authorization": f"Bearer {owner.token}"}
    source = tmp_path / "tool"
    make_repo(
        source,
        {
            "tool.py": (
                '"""Tool."""\n\n\ndef run(x: str) -> object:\n    """Run."""\n    return eval(x)\n'
            )
        },
    )
    repo = (
        await http.post("/rest/archon/api/codebases", headers=auth, json={"path": str(source)})
    ).json()
    deadline = time.monotonic() + 15
    while (await http.get(f"/rest/archon/api/codebases/{repo['id']}", headers=auth)).json()[
        "status"
    ] != "ready":
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    project = (await http.post(f"{BASE}/projects", headers=auth, json={"name": "Tool"})).json()
    await http.post(
        f"{BASE}/projects/{project['id']}/repos", headers=auth, json={"repository_id": repo["id"]}
    )
    trigger = await http.post(
        f"{BASE}/projects/{project['id']}/health/trigger", headers=auth, json={}
    )
    assert trigger.status_code == 202, trigger.text
    [queued] = trigger.json()["assessments"]
    deadline = time.monotonic() + 60
    while True:
        got = await http.get(
            f"{BASE}/projects/{project['id']}/health/assessments/{queued['id']}", headers=auth
        )
        if got.json()["status"] in ("completed", "failed"):
            break
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
    assert got.json()["status"] == "completed" and got.json()["grade"]
    issues = await http.get(
        f"{BASE}/projects/{project['id']}/analysis/issues?severity=critical", headers=auth
    )
    assert issues.status_code == 200, issues.text
    [issue] = issues.json()["items"]
    assert issue["rule"] == "S307" and issues.json()["total_count"] == 1
    stats = (
        await http.get(f"{BASE}/projects/{project['id']}/analysis/issues/stats", headers=auth)
    ).json()
    assert {"key": "CRITICAL", "count": 1} in stats["by_severity"]
    dismissed = await http.post(
        f"{BASE}/projects/{project['id']}/analysis/issues/{issue['id']}/dismiss",
        headers=auth,
        json={"reason": "sandboxed"},
    )
    assert dismissed.json()["dismissed"] is True
    wrong_project = await http.post(
        f"{BASE}/projects/prj_01NOPE/analysis/issues/{issue['id']}/restore", headers=auth
    )
    assert wrong_project.status_code == 404
    rule = await http.post(
        f"{BASE}/projects/{project['id']}/analysis/dismiss-rules",
        headers=auth,
        json={"rule": "S307", "path_glob": "tool.py", "reason": "known"},
    )
    assert rule.status_code == 201, rule.text
    rules = await http.get(f"{BASE}/projects/{project['id']}/analysis/dismiss-rules", headers=auth)
    assert rules.json()["total_count"] == 1
    health = await http.get(f"{BASE}/projects/{project['id']}/health", headers=auth)
    assert health.status_code == 200 and health.json()["latest"][0]["id"] == queued["id"]
