"""Projects: owners and members, the last owner, invitations, linked repositories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers import GraphQLClient, TestUser, add_member, make_org, make_user
from tests.support.git_repo import make_repo

CREATE = """
mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { id name key viewerRole } userErrors { field message code } } }
"""
MEMBERS = """
query($id: ID!) { project(id: $id) { members { totalCount nodes { role user { id } } } } }
"""
INVITE = """
mutation($input: InviteProjectMemberInput!) { inviteProjectMember(input: $input) {
  member { role user { id } } invitation { email status } userErrors { field message code } } }
"""
REMOVE = """
mutation($input: ProjectMemberInput!) { removeProjectMember(input: $input) {
  removedId userErrors { field message code } } }
"""
ROLE = """
mutation($input: ProjectMemberInput!) { setProjectMemberRole(input: $input) {
  member { role } userErrors { field message code } } }
"""


async def _project(
    client: GraphQLClient, owner: TestUser, org: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    payload = await client.mutate(
        "createProject",
        CREATE,
        {"input": {"organizationId": org["id"], **fields}},
        token=owner.token,
    )
    return payload["project"]  # type: ignore[no-any-return]


async def test_creator_owns_and_keys_are_derived_and_unique(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    web = await _project(client, owner, org, name="Web shop")
    assert (web["key"], web["viewerRole"]) == ("WEBSHO", "OWNER")
    again = await _project(client, owner, org, name="Web shop")
    assert again["key"] == "WEBSHO2"
    taken = await client.execute(
        CREATE,
        {"input": {"organizationId": org["id"], "name": "X", "key": "WEBSHO"}},
        token=owner.token,
    )
    assert taken.data["createProject"]["userErrors"][0]["code"] == "ALREADY_EXISTS"
    bad = await client.execute(
        CREATE,
        {"input": {"organizationId": org["id"], "name": "", "key": "lower"}},
        token=owner.token,
    )
    assert {tuple(e["field"]) for e in bad.data["createProject"]["userErrors"]} == {
        ("name",),
        ("key",),
    }


async def test_members_invitations_and_the_last_owner(client: GraphQLClient) -> None:
    # given a project and an organization member not in it
    owner = await make_user(client)
    org = await make_org(client, owner)
    colleague = await add_member(client, org["id"], owner, "MEMBER")
    project = await _project(client, owner, org, name="API")
    # when the owner invites the colleague and a stranger's address
    joined = await client.mutate(
        "inviteProjectMember",
        INVITE,
        {"input": {"projectId": project["id"], "email": colleague.email}},
        token=owner.token,
    )
    pending = await client.mutate(
        "inviteProjectMember",
        INVITE,
        {"input": {"projectId": project["id"], "email": "someone@else.test"}},
        token=owner.token,
    )
    # then the colleague is a member at once, the stranger's invitation waits
    assert joined["member"] == {"role": "MEMBER", "user": {"id": colleague.id}}
    assert joined["invitation"]["status"] == "ACCEPTED"
    assert pending["member"] is None and pending["invitation"]["status"] == "PENDING"
    members = await client.execute(MEMBERS, {"id": project["id"]}, token=owner.token)
    assert members.data["project"]["members"]["totalCount"] == 2
    # and the colleague (a MEMBER) may not change the project
    refused = await client.execute(
        REMOVE, {"input": {"projectId": project["id"], "userId": owner.id}}, token=colleague.token
    )
    assert refused.data["removeProjectMember"]["userErrors"][0]["code"] == "FORBIDDEN"
    # and the last owner can be neither removed nor demoted
    for mutation, field in ((REMOVE, "removeProjectMember"), (ROLE, "setProjectMemberRole")):
        response = await client.execute(
            mutation,
            {"input": {"projectId": project["id"], "userId": owner.id, "role": "MEMBER"}},
            token=owner.token,
        )
        assert response.data[field]["userErrors"][0]["code"] == "LAST_OWNER"
    # until there is another owner
    await client.mutate(
        "setProjectMemberRole",
        ROLE,
        {"input": {"projectId": project["id"], "userId": colleague.id, "role": "OWNER"}},
        token=owner.token,
    )
    removed = await client.mutate(
        "removeProjectMember",
        REMOVE,
        {"input": {"projectId": project["id"], "userId": owner.id}},
        token=colleague.token,
    )
    assert removed["removedId"]


async def test_linking_repositories(client: GraphQLClient, tmp_path: Path) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    project = await _project(client, owner, org, name="Platform")
    repos = []
    for name in ("alpha", "beta"):
        make_repo(tmp_path / name, {"x.py": "x = 1\n"})
        payload = await client.mutate(
            "registerRepository",
            """mutation($input: RegisterRepositoryInput!) { registerRepository(input: $input) {
                 repository { id } userErrors { field message code } } }""",
            {"input": {"organizationId": org["id"], "path": str(tmp_path / name)}},
            token=owner.token,
        )
        repos.append(payload["repository"]["id"])
    link = """mutation($input: ProjectRepositoryInput!) { linkRepository(input: $input) {
      repository { id } userErrors { field message code } } }"""
    await client.mutate(
        "linkRepository",
        link,
        {"input": {"projectId": project["id"], "repositoryId": repos[0]}},
        token=owner.token,
    )
    view = await client.execute(
        """query($id: ID!) { project(id: $id) { repositories { totalCount nodes { id name } }
             availableRepositories { id } } }""",
        {"id": project["id"]},
        token=owner.token,
    )
    data = view.data["project"]
    assert data["repositories"]["nodes"] == [{"id": repos[0], "name": "alpha"}]
    assert [r["id"] for r in data["availableRepositories"]] == [repos[1]]
    other = await make_user(client)
    other_org = await make_org(client, other)
    foreign = await client.execute(
        CREATE, {"input": {"organizationId": other_org["id"], "name": "Theirs"}}, token=other.token
    )
    theirs = foreign.data["createProject"]["project"]["id"]
    refused = await client.execute(
        link, {"input": {"projectId": theirs, "repositoryId": repos[1]}}, token=other.token
    )
    assert refused.data["linkRepository"]["userErrors"][0]["code"] == "NOT_FOUND"
