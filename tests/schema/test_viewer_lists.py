"""viewer.teams and viewer.serviceAccounts; createTeam and createInvitation without an
organization (the credential's only one, or the team's)."""

from __future__ import annotations

from typing import Any

from tests.helpers import (
    CREATE_INVITATION,
    CREATE_TEAM,
    GraphQLClient,
    add_member,
    make_api_key,
    make_org,
    make_service_account,
    make_team,
    make_user,
    unique_email,
    user_error,
)

VIEWER_TEAMS = """
query { viewer { teams(first: 10) { totalCount nodes { id organization { id } } } } }
"""
VIEWER_SERVICE_ACCOUNTS = """
query { viewer { serviceAccounts { totalCount nodes { id name } } } }
"""


async def _create_team(client: GraphQLClient, token: str, **input: Any) -> dict[str, Any]:
    response = await client.execute(CREATE_TEAM, {"input": input}, token=token)
    payload: dict[str, Any] = response.data["createTeam"]
    return payload


async def test_viewer_teams_are_the_callers_in_reachable_organizations(
    client: GraphQLClient,
) -> None:
    # given a user in two organizations, in one team of each, and a team they are not in
    user = await make_user(client)
    first, second = await make_org(client, user), await make_org(client, user)
    mine = [await make_team(client, first["id"], user), await make_team(client, second["id"], user)]
    other_owner = await make_user(client)
    other_org = await make_org(client, other_owner)
    await make_team(client, other_org["id"], other_owner)
    # when they list their teams with their access token
    response = await client.execute(VIEWER_TEAMS, token=user.token)
    # then they see their two teams
    teams = response.data["viewer"]["teams"]
    assert teams["totalCount"] == 2
    assert {t["id"] for t in teams["nodes"]} == {t["id"] for t in mine}
    # and with a key of the first organization, only that organization's team
    _, key = await make_api_key(client, first["id"], user)
    narrowed = await client.execute(VIEWER_TEAMS, token=key)
    assert [t["id"] for t in narrowed.data["viewer"]["teams"]["nodes"]] == [mine[0]["id"]]


async def test_create_team_defaults_to_the_only_organization(client: GraphQLClient) -> None:
    # given a user with one organization
    user = await make_user(client)
    org = await make_org(client, user)
    # when they create a team without naming it
    payload = await _create_team(client, user.token, name="Platform")
    # then it is created there, and they maintain it
    assert payload["userErrors"] == []
    team_id = payload["team"]["id"]
    listed = await client.execute(VIEWER_TEAMS, token=user.token)
    assert listed.data["viewer"]["teams"]["nodes"] == [
        {"id": team_id, "organization": {"id": org["id"]}}
    ]


async def test_create_team_needs_an_organization_when_ambiguous(client: GraphQLClient) -> None:
    # given a user in two organizations, and one in none
    user = await make_user(client)
    await make_org(client, user)
    await make_org(client, user)
    loner = await make_user(client)
    for caller in (user, loner):
        # when they create a team without naming the organization
        payload = await _create_team(client, caller.token, name="Ambiguous")
        # then organizationId is REQUIRED
        assert user_error(payload) == {
            "field": ["organizationId"],
            "message": user_error(payload)["message"],
            "code": "REQUIRED",
        }


async def test_invitation_by_team_alone_uses_the_teams_organization(
    client: GraphQLClient,
) -> None:
    # given an owner of two organizations with a team in the second
    owner = await make_user(client)
    await make_org(client, owner)
    second = await make_org(client, owner)
    team = await make_team(client, second["id"], owner)
    # when they invite to the team without naming an organization
    email = unique_email()
    response = await client.execute(
        CREATE_INVITATION, {"input": {"teamId": team["id"], "email": email}}, token=owner.token
    )
    # then the invitation is for the team's organization
    payload = response.data["createInvitation"]
    assert payload["userErrors"] == [] and payload["invitation"]["email"] == email
    invitations = await client.execute(
        "query O($id: ID!) { organization(id: $id) { invitations { nodes { email } } } }",
        {"id": second["id"]},
        token=owner.token,
    )
    assert invitations.data["organization"]["invitations"]["nodes"] == [{"email": email}]


async def test_invitation_to_a_team_of_another_organization_is_not_found(
    client: GraphQLClient,
) -> None:
    # given a team of an organization the caller is not in
    stranger = await make_user(client)
    await make_org(client, stranger)
    owner = await make_user(client)
    org = await make_org(client, owner)
    team = await make_team(client, org["id"], owner)
    # when the stranger invites to it by its ID
    response = await client.execute(
        CREATE_INVITATION,
        {"input": {"teamId": team["id"], "email": unique_email()}},
        token=stranger.token,
    )
    # then the team does not exist for them
    assert user_error(response.data["createInvitation"])["code"] == "NOT_FOUND"


async def test_viewer_service_accounts_are_for_key_managers(client: GraphQLClient) -> None:
    # given an organization with a service account and a plain member
    owner = await make_user(client)
    org = await make_org(client, owner)
    account = await make_service_account(client, org["id"], owner)
    member = await add_member(client, org["id"], owner, "MEMBER")
    # when the owner and the member list service accounts
    seen = await client.execute(VIEWER_SERVICE_ACCOUNTS, token=owner.token)
    unseen = await client.execute(VIEWER_SERVICE_ACCOUNTS, token=member.token)
    # then the owner sees it and the member sees none
    assert seen.data["viewer"]["serviceAccounts"] == {
        "totalCount": 1,
        "nodes": [{"id": account["id"], "name": account["name"]}],
    }
    assert unseen.data["viewer"]["serviceAccounts"] == {"totalCount": 0, "nodes": []}
