"""Octokraft (seed 003) routes beyond the basics: GitHub installation sync and the PUSH
assessment it leads to, health categories, one issue, an ADR's status by PATCH, and a
project invitation accepted by someone not yet in the organization."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from tests.helpers import (
    ACCEPT_INVITATION,
    GraphQLClient,
    add_member,
    invite,
    make_org,
    make_user,
)
from tests.support.git_repo import commit, make_repo

BASE = "/rest/octokraft/api/v1"
EVAL = '"""Tool."""\n\n\ndef run(x: str) -> object:\n    """Run."""\n    return eval(x)\n'


async def _until(probe: Any, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := await probe()):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
    return found


async def _repo_ready(http: httpx.AsyncClient, auth: dict[str, str], repo_id: str) -> None:
    async def ready() -> bool:
        got = await http.get(f"/rest/archon/api/codebases/{repo_id}", headers=auth)
        return bool(got.json()["status"] == "ready")

    await _until(ready, 15)


async def test_installation_sync_assesses_the_push_then_categories_and_one_issue(
    client: GraphQLClient, tmp_path: Path
) -> None:
    owner = await make_user(client)
    await make_org(client, owner)
    http, auth = client.http, {"Authorization": f"Bearer {owner.token}"}
    source = tmp_path / "tool"
    make_repo(source, {"tool.py": '"""Tool."""\n'})
    repo = (
        await http.post("/rest/archon/api/codebases", headers=auth, json={"path": str(source)})
    ).json()
    await _repo_ready(http, auth, repo["id"])
    project = (await http.post(f"{BASE}/projects", headers=auth, json={"name": "Tool"})).json()
    await http.post(
        f"{BASE}/projects/{project['id']}/repos", headers=auth, json={"repository_id": repo["id"]}
    )
    # before any assessment the eight categories are listed, unscored
    empty = await http.get(f"{BASE}/projects/{project['id']}/health/categories", headers=auth)
    assert empty.status_code == 200, empty.text
    assert [c["key"] for c in empty.json()][:2] == ["SECURITY", "RUNTIME_RISKS"]
    assert len(empty.json()) == 8 and {c["score"] for c in empty.json()} == {None}
    # when a commit is pushed and the GitHub installations are synced
    head = commit(source, {"tool.py": EVAL}, "eval")
    synced = await http.post(f"{BASE}/github/installations/sync", headers=auth, json={})
    assert synced.status_code == 202, synced.text
    assert [r["id"] for r in synced.json()["repositories"]] == [repo["id"]]
    assert synced.json()["repositories"][0]["status"] == "pending"

    # then a PUSH assessment of the new head runs to completion
    async def completed() -> Any:
        listed = await http.get(f"{BASE}/projects/{project['id']}/health/assessments", headers=auth)
        items = listed.json()["items"]
        return items if items and items[0]["status"] == "completed" else None

    [assessment] = await _until(completed)
    assert (assessment["trigger"], assessment["commit"]) == ("push", head)
    assert assessment["scheduled_for"] is None
    # and the categories show the security finding
    categories = (
        await http.get(f"{BASE}/projects/{project['id']}/health/categories", headers=auth)
    ).json()
    security = {c["key"]: c for c in categories}["SECURITY"]
    assert security["name"] == "Security" and security["weight"] == 2
    assert security["findings"] == 1 and security["score"] < 100
    # and the issue can be read on its own
    [issue] = (
        await http.get(
            f"{BASE}/projects/{project['id']}/analysis/issues?severity=critical", headers=auth
        )
    ).json()["items"]
    got = await http.get(
        f"{BASE}/projects/{project['id']}/analysis/issues/{issue['id']}", headers=auth
    )
    assert got.status_code == 200, got.text
    assert (got.json()["id"], got.json()["rule"], got.json()["path"]) == (
        issue["id"],
        "S307",
        "tool.py",
    )
    for path in (
        f"{BASE}/projects/prj_01NOPE/analysis/issues/{issue['id']}",
        f"{BASE}/projects/{project['id']}/analysis/issues/fnd_01NOPE",
    ):
        missing = await http.get(path, headers=auth)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    # a repository of no organization of the caller's is not found
    unknown = await http.post(
        f"{BASE}/github/installations/sync", headers=auth, json={"repository_ids": ["repo_01NO"]}
    )
    assert unknown.status_code == 404, unknown.text


async def test_an_adr_moves_through_its_statuses_by_patch(client: GraphQLClient) -> None:
    owner = await make_user(client)
    await make_org(client, owner)
    http, auth = client.http, {"Authorization": f"Bearer {owner.token}"}
    project = (await http.post(f"{BASE}/projects", headers=auth, json={"name": "Web"})).json()
    other = (await http.post(f"{BASE}/projects", headers=auth, json={"name": "Api"})).json()
    adrs = f"{BASE}/projects/{project['id']}/architecture/adrs"
    first = (await http.post(adrs, headers=auth, json={"title": "Use Postgres"})).json()
    second = (await http.post(adrs, headers=auth, json={"title": "Use SQLite"})).json()
    assert first["status"] == "proposed"
    accepted = await http.patch(
        f"{adrs}/{first['id']}", headers=auth, json={"status": "accepted", "decision": "PG 17"}
    )
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["status"], accepted.json()["decision"]) == ("accepted", "PG 17")
    backwards = await http.patch(f"{adrs}/{first['id']}", headers=auth, json={"status": "proposed"})
    assert backwards.status_code == 400 and backwards.json()["error"]["code"] == "validation_failed"
    no_successor = await http.patch(
        f"{adrs}/{first['id']}", headers=auth, json={"status": "superseded"}
    )
    assert no_successor.status_code == 400, no_successor.text
    superseded = await http.patch(
        f"{adrs}/{first['id']}",
        headers=auth,
        json={"status": "superseded", "superseded_by_id": second["id"]},
    )
    assert superseded.status_code == 200, superseded.text
    assert superseded.json()["superseded_by"] == {"id": second["id"]}
    # an ADR is changed only under its own project
    elsewhere = await http.patch(
        f"{BASE}/projects/{other['id']}/architecture/adrs/{second['id']}",
        headers=auth,
        json={"status": "accepted"},
    )
    assert elsewhere.status_code == 404, elsewhere.text
    unchanged = await http.get(f"{adrs}/{second['id']}", headers=auth)
    assert unchanged.json()["status"] == "proposed"


async def test_an_invitation_is_accepted_by_someone_not_yet_in_the_organization(
    client: GraphQLClient,
) -> None:
    admin = await make_user(client)
    org = await make_org(client, admin)
    http = client.http
    admin_auth = {"Authorization": f"Bearer {admin.token}"}
    project = (await http.post(f"{BASE}/projects", headers=admin_auth, json={"name": "Web"})).json()
    outsider, stranger = await make_user(client, "Outsider"), await make_user(client, "Stranger")
    # the organization's admin invites someone from outside it
    invited = await http.post(
        f"{BASE}/projects/{project['id']}/invitations",
        headers=admin_auth,
        json={"email": outsider.email, "role": "owner"},
    )
    assert invited.status_code == 201, invited.text
    invitation = invited.json()["invitation"]
    assert invitation["status"] == "pending" and invited.json()["member"] is None
    accept = f"{BASE}/projects/{project['id']}/invitations/{invitation['id']}/accept"
    # somebody else cannot accept it, nor learn that it exists
    taken = await http.post(accept, headers={"Authorization": f"Bearer {stranger.token}"})
    assert taken.status_code == 404, taken.text
    # the invitee accepts, joins the organization as a member and the project as its owner
    outsider_auth = {"Authorization": f"Bearer {outsider.token}"}
    before = await http.get(f"{BASE}/projects/{project['id']}", headers=outsider_auth)
    assert before.status_code == 404
    accepted = await http.post(accept, headers=outsider_auth)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["invitation"]["status"] == "accepted"
    assert accepted.json()["member"]["user"]["id"] == outsider.id
    assert accepted.json()["member"]["role"] == "owner"
    seen = await http.get(f"{BASE}/projects/{project['id']}", headers=outsider_auth)
    assert seen.status_code == 200 and seen.json()["role"] == "owner"
    again = await http.post(accept, headers=outsider_auth)
    assert again.status_code == 400 and again.json()["error"]["code"] == "already_used"
    # a project owner who is not an organization admin cannot bring outsiders in ...
    member = await add_member(client, org["id"], admin, "MEMBER")
    member_auth = {"Authorization": f"Bearer {member.token}"}
    own = (await http.post(f"{BASE}/projects", headers=member_auth, json={"name": "Own"})).json()
    newcomer = await make_user(client, "Newcomer")
    pending = (
        await http.post(
            f"{BASE}/projects/{own['id']}/invitations",
            headers=member_auth,
            json={"email": newcomer.email},
        )
    ).json()["invitation"]
    refused = await http.post(
        f"{BASE}/projects/{own['id']}/invitations/{pending['id']}/accept",
        headers={"Authorization": f"Bearer {newcomer.token}"},
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    # ... but once an admin invites them to the organization, joining it joins the project
    token = await invite(client, org["id"], admin, newcomer.email)
    await client.mutate(
        "acceptInvitation", ACCEPT_INVITATION, {"token": token}, token=newcomer.token
    )
    members = (await http.get(f"{BASE}/projects/{own['id']}/members", headers=member_auth)).json()
    assert {m["user"]["id"]: m["role"] for m in members["items"]}[newcomer.id] == "member"
