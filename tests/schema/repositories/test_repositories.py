"""Repositories: registered by git URL (cloned) or local path, synced, worktrees, deleted."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from tests.helpers import GraphQLClient, TestUser, make_org, make_user
from tests.support.git_repo import commit, make_repo

REGISTER = """
mutation($input: RegisterRepositoryInput!) { registerRepository(input: $input) {
  repository { id name status url localPath } userErrors { field message code } } }
"""
REPOSITORY = """
query($id: ID!) { repository(id: $id) {
  id name status error defaultBranch lastSyncedCommit environments { id path branch } } }
"""


def _exists(path: Path) -> bool:
    return path.exists()


def _read(path: Path) -> str:
    return path.read_text()


async def _wait_ready(client: GraphQLClient, user: TestUser, repo_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        repo = (await client.execute(REPOSITORY, {"id": repo_id}, token=user.token)).data[
            "repository"
        ]
        if repo["status"] in ("READY", "FAILED") or time.monotonic() > deadline:
            return repo  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)


async def test_a_git_url_is_cloned_and_synced(client: GraphQLClient, tmp_path: Path) -> None:
    # given a real repository served by file:// URL
    source = tmp_path / "service"
    head = make_repo(source, {"app.py": "print('hi')\n"}, branch="trunk")
    owner = await make_user(client)
    org = await make_org(client, owner)
    # when it is registered by URL
    payload = await client.mutate(
        "registerRepository",
        REGISTER,
        {"input": {"organizationId": org["id"], "url": f"file://{source}"}},
        token=owner.token,
    )
    assert payload["repository"]["status"] == "PENDING"
    assert payload["repository"]["name"] == "service"
    # then a job clones it and records its branch and HEAD
    repo = await _wait_ready(client, owner, payload["repository"]["id"])
    assert (repo["status"], repo["defaultBranch"], repo["lastSyncedCommit"]) == (
        "READY",
        "trunk",
        head,
    )
    # and a resync picks up a new commit
    newer = commit(source, {"app.py": "print('hello')\n"}, "second")
    await client.mutate(
        "syncRepository",
        """mutation($id: ID!) { syncRepository(input: {id: $id}) { repository { status }
             userErrors { field message code } } }""",
        {"id": repo["id"]},
        token=owner.token,
    )
    repo = await _wait_ready(client, owner, repo["id"])
    assert repo["lastSyncedCommit"] == newer


async def test_worktrees_are_created_and_everything_is_cleaned_up(
    client: GraphQLClient, tmp_path: Path
) -> None:
    source = tmp_path / "lib"
    make_repo(source, {"lib.py": "X = 1\n"})
    owner = await make_user(client)
    org = await make_org(client, owner)
    registered = await client.mutate(
        "registerRepository",
        REGISTER,
        {"input": {"organizationId": org["id"], "url": f"file://{source}"}},
        token=owner.token,
    )
    repo = await _wait_ready(client, owner, registered["repository"]["id"])
    # when an environment (worktree) is created
    env = await client.mutate(
        "createEnvironment",
        """mutation($id: ID!) { createEnvironment(input: {repositoryId: $id}) {
             environment { id path branch status baseCommit }
             userErrors { field message code } } }""",
        {"id": repo["id"]},
        token=owner.token,
    )
    environment = env["environment"]
    worktree = Path(environment["path"])
    # then it is a checkout of the repository on its own branch
    assert _read(worktree / "lib.py") == "X = 1\n"
    assert environment["branch"] == f"atrium/{environment['id']}"
    listed = (await client.execute(REPOSITORY, {"id": repo["id"]}, token=owner.token)).data
    assert [e["id"] for e in listed["repository"]["environments"]] == [environment["id"]]
    clone_root = worktree.parent.parent / "repositories" / repo["id"]
    assert _exists(clone_root)
    # when the repository is deleted
    await client.mutate(
        "deleteRepository",
        """mutation($id: ID!) { deleteRepository(input: {id: $id}) { deletedId
             userErrors { field message code } } }""",
        {"id": repo["id"]},
        token=owner.token,
    )
    # then its clone and worktree are gone from disk, and the source is untouched
    assert not _exists(worktree) and not _exists(clone_root)
    assert _exists(source / "lib.py")


async def test_a_local_path_is_used_in_place(client: GraphQLClient, tmp_path: Path) -> None:
    local = tmp_path / "checkout"
    head = make_repo(local, {"main.go": "package main\n"})
    owner = await make_user(client)
    org = await make_org(client, owner)
    payload = await client.mutate(
        "registerRepository",
        REGISTER,
        {"input": {"organizationId": org["id"], "path": str(local), "name": "checkout"}},
        token=owner.token,
    )
    repo = await _wait_ready(client, owner, payload["repository"]["id"])
    assert repo["status"] == "READY" and repo["lastSyncedCommit"] == head


async def test_bad_sources_are_user_errors(client: GraphQLClient, tmp_path: Path) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    cases = [
        ({}, ["url"], "REQUIRED"),
        ({"url": "ftp://example.test/x"}, ["url"], "INVALID"),
        ({"path": "relative/dir"}, ["path"], "INVALID"),
        ({"path": str(tmp_path / "missing")}, ["path"], "NOT_FOUND"),
    ]
    for fields, field, code in cases:
        response = await client.execute(
            REGISTER, {"input": {"organizationId": org["id"], **fields}}, token=owner.token
        )
        errors = response.data["registerRepository"]["userErrors"]
        assert (errors[0]["field"], errors[0]["code"]) == (field, code), fields
    # a URL that cannot be cloned is registered, then FAILED with git's reason
    payload = await client.mutate(
        "registerRepository",
        REGISTER,
        {"input": {"organizationId": org["id"], "url": f"file://{tmp_path}/nope"}},
        token=owner.token,
    )
    repo = await _wait_ready(client, owner, payload["repository"]["id"])
    assert repo["status"] == "FAILED" and repo["error"]
