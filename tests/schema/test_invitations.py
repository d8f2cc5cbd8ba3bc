"""Invitations: create (token shown once, mailed), accept, revoke, expiry, teams, listing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from atrium.core.security import sha256
from atrium.models.identity import Invitation
from tests.helpers import (
    ACCEPT_INVITATION,
    CREATE_INVITATION,
    GraphQLClient,
    TestUser,
    add_member,
    db_session,
    invite,
    make_org,
    make_team,
    make_user,
    unique_email,
    user_error,
)

REVOKE = """
mutation Revoke($id: ID!) {
  revokeInvitation(input: {id: $id}) { invitation { id status } userErrors { field code } }
}
"""
LIST = """
query Invitations($id: ID!) {
  organization(id: $id) {
    invitations { totalCount nodes { id email role status invitedBy { id } } }
  }
}
"""


async def _invite(
    client: GraphQLClient, org_id: str, inviter: TestUser, email: str, **extra: Any
) -> dict[str, Any]:
    response = await client.execute(
        CREATE_INVITATION,
        {"input": {"organizationId": org_id, "email": email, **extra}},
        token=inviter.token,
    )
    payload: dict[str, Any] = response.data["createInvitation"]
    return payload


async def _accept(client: GraphQLClient, token: str, user: TestUser) -> dict[str, Any]:
    response = await client.execute(ACCEPT_INVITATION, {"token": token}, token=user.token)
    payload: dict[str, Any] = response.data["acceptInvitation"]
    return payload


async def test_create_returns_the_token_once_and_mails_it(client: GraphQLClient, app: Any) -> None:
    # given an owner and an email to invite
    owner = await make_user(client)
    org = await make_org(client, owner, "Mail Test Org")
    email = unique_email()
    # when the owner invites it as ADMIN, with capitals in the address
    payload = await _invite(client, org["id"], owner, email.upper(), role="ADMIN")
    # then the invitation is pending for the normalized address and the token is returned
    assert payload["userErrors"] == []
    invitation, token = payload["invitation"], payload["token"]
    assert (invitation["email"], invitation["role"], invitation["status"]) == (
        email,
        "ADMIN",
        "PENDING",
    )
    expires = datetime.fromisoformat(invitation["expiresAt"])
    assert timedelta(days=6) < expires - datetime.now(UTC) <= timedelta(days=7)
    # and mailed to the invitee, naming the organization
    mail = app.state.atrium.services.mailer.last_to(email)
    assert mail is not None
    assert token in mail.body
    assert "Mail Test Org" in mail.subject
    # and only its hash is stored
    async with db_session(app) as session:
        row = await session.get(Invitation, invitation["id"])
    assert row is not None
    assert row.token_hash == sha256(token)
    assert token not in {row.token_hash, row.email}
    # and the listing never shows the token again
    listed = await client.execute(
        "query($id: ID!) { node(id: $id) { ... on Invitation { id status } } }",
        {"id": invitation["id"]},
        token=owner.token,
    )
    assert token not in str(listed.body)


async def test_failed_invitation_sends_no_mail(client: GraphQLClient, app: Any) -> None:
    # given an admin who may not invite an OWNER
    owner = await make_user(client)
    org = await make_org(client, owner)
    admin = await add_member(client, org["id"], owner, "ADMIN")
    email = unique_email()
    # when they try
    payload = await _invite(client, org["id"], admin, email, role="OWNER")
    # then it is FORBIDDEN on the role, nothing is stored and nothing is mailed
    error = user_error(payload)
    assert (error["code"], error["field"]) == ("FORBIDDEN", ["role"])
    assert payload["token"] is None
    assert app.state.atrium.services.mailer.last_to(email) is None
    async with db_session(app) as session:
        rows = (await session.scalars(select(Invitation).where(Invitation.email == email))).all()
    assert rows == []


async def test_invalid_email_and_existing_member(client: GraphQLClient) -> None:
    # given an organization
    owner = await make_user(client)
    org = await make_org(client, owner)
    # when an invalid address is invited, then the email field is at fault
    bad = user_error(await _invite(client, org["id"], owner, "not-an-email"))
    assert bad["field"] == ["email"]
    # when an existing member is invited, then it is ALREADY_EXISTS
    member = await add_member(client, org["id"], owner)
    again = user_error(await _invite(client, org["id"], owner, member.email))
    assert (again["code"], again["field"]) == ("ALREADY_EXISTS", ["email"])


async def test_only_the_invited_email_can_accept(client: GraphQLClient) -> None:
    # given an invitation for one address
    owner = await make_user(client)
    org = await make_org(client, owner)
    invitee = await make_user(client)
    token = await invite(client, org["id"], owner, invitee.email, "ADMIN")
    # when someone else presents the token
    stranger = await make_user(client)
    refused = await _accept(client, token, stranger)
    # then it is FORBIDDEN and they did not join
    assert user_error(refused)["code"] == "FORBIDDEN"
    assert refused["membership"] is None
    # when the invitee accepts
    accepted = await _accept(client, token, invitee)
    # then they are a member with the invited role
    assert accepted["userErrors"] == []
    assert accepted["membership"]["role"] == "ADMIN"
    assert accepted["membership"]["user"]["id"] == invitee.id
    assert accepted["membership"]["organization"]["id"] == org["id"]


async def test_accept_twice_is_already_used(client: GraphQLClient) -> None:
    # given an invitation accepted once
    owner = await make_user(client)
    org = await make_org(client, owner)
    invitee = await make_user(client)
    token = await invite(client, org["id"], owner, invitee.email)
    assert (await _accept(client, token, invitee))["userErrors"] == []
    # when it is accepted again
    again = user_error(await _accept(client, token, invitee))
    # then it is ALREADY_USED
    assert (again["code"], again["field"]) == ("ALREADY_USED", ["token"])


async def test_unknown_token_is_not_found(client: GraphQLClient) -> None:
    # given a user
    user = await make_user(client)
    # when they present a token nobody issued
    error = user_error(await _accept(client, "inv_tok_nope", user))
    # then it is NOT_FOUND
    assert error["code"] == "NOT_FOUND"


async def test_revoked_invitation_cannot_be_accepted(client: GraphQLClient) -> None:
    # given a pending invitation
    owner = await make_user(client)
    org = await make_org(client, owner)
    invitee = await make_user(client)
    created = await _invite(client, org["id"], owner, invitee.email)
    # when the owner revokes it
    revoked = (
        await client.execute(REVOKE, {"id": created["invitation"]["id"]}, token=owner.token)
    ).data["revokeInvitation"]
    assert revoked["invitation"]["status"] == "REVOKED"
    # then accepting is REVOKED and the invitee did not join
    assert user_error(await _accept(client, created["token"], invitee))["code"] == "REVOKED"
    orgs = await client.execute("{ viewer { organizations { totalCount } } }", token=invitee.token)
    assert orgs.data["viewer"]["organizations"]["totalCount"] == 0
    # and revoking twice is a CONFLICT
    twice = await client.execute(REVOKE, {"id": created["invitation"]["id"]}, token=owner.token)
    assert user_error(twice.data["revokeInvitation"])["code"] == "CONFLICT"


async def test_member_cannot_revoke(client: GraphQLClient) -> None:
    # given a MEMBER and a pending invitation
    owner = await make_user(client)
    org = await make_org(client, owner)
    member = await add_member(client, org["id"], owner)
    created = await _invite(client, org["id"], owner, unique_email())
    # when the MEMBER revokes it
    response = await client.execute(REVOKE, {"id": created["invitation"]["id"]}, token=member.token)
    # then it is FORBIDDEN (they are in the organization)
    assert user_error(response.data["revokeInvitation"])["code"] == "FORBIDDEN"


async def test_expired_invitation(client: GraphQLClient, app: Any) -> None:
    # given an invitation whose expiry has passed
    owner = await make_user(client)
    org = await make_org(client, owner)
    invitee = await make_user(client)
    created = await _invite(client, org["id"], owner, invitee.email)
    async with db_session(app) as session:
        await session.execute(
            update(Invitation)
            .where(Invitation.id == created["invitation"]["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
    # when the invitee accepts
    error = user_error(await _accept(client, created["token"], invitee))
    # then it is EXPIRED, and the listing says so
    assert error["code"] == "EXPIRED"
    listed = await client.execute(LIST, {"id": org["id"]}, token=owner.token)
    statuses = {n["id"]: n["status"] for n in listed.data["organization"]["invitations"]["nodes"]}
    assert statuses[created["invitation"]["id"]] == "EXPIRED"


async def test_team_invitation_adds_team_membership(client: GraphQLClient) -> None:
    # given an invitation into a team
    owner = await make_user(client)
    org = await make_org(client, owner)
    team = await make_team(client, org["id"], owner)
    invitee = await make_user(client)
    token = await invite(client, org["id"], owner, invitee.email, team_id=team["id"])
    # when it is accepted
    assert (await _accept(client, token, invitee))["userErrors"] == []
    # then the invitee is a member of the team
    response = await client.execute(
        """query($id: ID!) {
          node(id: $id) { ... on Team { members { nodes { role user { id } } } } }
        }""",
        {"id": team["id"]},
        token=invitee.token,
    )
    members = response.data["node"]["members"]["nodes"]
    assert {"role": "MEMBER", "user": {"id": invitee.id}} in members


async def test_team_of_another_org_is_not_found(client: GraphQLClient) -> None:
    # given a team in another organization
    owner = await make_user(client)
    org = await make_org(client, owner)
    other_org = await make_org(client, owner)
    team = await make_team(client, other_org["id"], owner)
    # when an invitation names it
    payload = await _invite(client, org["id"], owner, unique_email(), teamId=team["id"])
    # then it is NOT_FOUND on teamId
    error = user_error(payload)
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["teamId"])


async def test_listing_needs_admin(client: GraphQLClient) -> None:
    # given an organization with a pending invitation, an ADMIN and a MEMBER
    owner = await make_user(client)
    org = await make_org(client, owner)
    admin = await add_member(client, org["id"], owner, "ADMIN")
    member = await add_member(client, org["id"], owner, "MEMBER")
    created = await _invite(client, org["id"], admin, unique_email())
    # when the ADMIN lists invitations
    listed = await client.execute(LIST, {"id": org["id"]}, token=admin.token)
    # then the pending one is there, with its inviter (accepted ones too)
    nodes = listed.data["organization"]["invitations"]["nodes"]
    pending = [n for n in nodes if n["id"] == created["invitation"]["id"]]
    assert pending == [
        {
            "id": created["invitation"]["id"],
            "email": created["invitation"]["email"],
            "role": "MEMBER",
            "status": "PENDING",
            "invitedBy": {"id": admin.id},
        }
    ]
    assert listed.data["organization"]["invitations"]["totalCount"] == 3
    # when the MEMBER lists them, or fetches one by ID
    refused = await client.execute(LIST, {"id": org["id"]}, token=member.token)
    by_id = await client.execute(
        "query($id: ID!) { node(id: $id) { ... on Invitation { email } } }",
        {"id": created["invitation"]["id"]},
        token=member.token,
    )
    # then the list is FORBIDDEN and the invitation is not theirs to see
    assert refused.codes == ["FORBIDDEN"]
    assert by_id.codes == ["NOT_FOUND"]
