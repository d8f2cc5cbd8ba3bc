"""API keys: minting, hashing, headers, scopes, expiry, revocation, service accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from atrium.models.identity import ApiKey
from tests.helpers import (
    CREATE_API_KEY,
    CREATE_INVITATION,
    CREATE_TEAM,
    GraphQLClient,
    TestUser,
    add_member,
    count_statements,
    db_session,
    make_api_key,
    make_org,
    make_service_account,
    make_user,
    unique_email,
    user_error,
)

VIEWER = """
{ viewer { scope user { id } serviceAccount { id } organizations { nodes { id viewerRole } } } }
"""
REVOKE = """
mutation Revoke($id: ID!) {
  revokeApiKey(input: {id: $id}) { apiKey { id revokedAt } userErrors { code } }
}
"""
KEYS = """
query Keys($id: ID!) {
  organization(id: $id) {
    apiKeys { totalCount nodes { id name prefix lastUsedAt user { id } serviceAccount { id } } }
  }
}
"""
RENAME_ORG = """
mutation Rename($id: ID!) {
  updateOrganization(input: {id: $id, name: "Renamed"}) {
    organization { name } userErrors { code }
  }
}
"""


async def _create_key(client: GraphQLClient, user: TestUser, **input: Any) -> dict[str, Any]:
    input.setdefault("name", "a key")
    response = await client.execute(CREATE_API_KEY, {"input": input}, token=user.token)
    payload: dict[str, Any] = response.data["createApiKey"]
    return payload


async def _owner_and_org(client: GraphQLClient) -> tuple[TestUser, str]:
    owner = await make_user(client)
    org = await make_org(client, owner)
    return owner, org["id"]


@pytest.mark.parametrize(("kind", "prefix"), [("SECRET", "sk_live_"), ("PUBLISHABLE", "pk_live_")])
async def test_key_is_shown_once_and_only_a_hash_is_stored(
    client: GraphQLClient, app: Any, kind: str, prefix: str
) -> None:
    # given an owner
    owner, org_id = await _owner_and_org(client)
    # when they create a key
    record, secret = await make_api_key(client, org_id, owner, "READ", kind=kind)
    # then the secret has the kind's prefix and the record shows only its first characters
    assert secret.startswith(prefix)
    assert len(secret) > 40
    assert record["prefix"] == secret[:16]
    assert record["kind"] == kind
    # and no column of the stored row holds the secret
    async with db_session(app) as session:
        row = await session.get(ApiKey, record["id"])
    assert row is not None
    stored = [str(getattr(row, c.key)) for c in ApiKey.__table__.columns]
    assert not any(secret in value for value in stored)
    assert row.key_hash != secret
    # and listing the keys never shows it again
    listed = await client.execute(KEYS, {"id": org_id}, token=owner.token)
    assert secret not in str(listed.body)
    assert listed.data["organization"]["apiKeys"]["totalCount"] == 1


@pytest.mark.parametrize("header", ["authorization", "x-api-key"])
async def test_key_authenticates_through_either_header(client: GraphQLClient, header: str) -> None:
    # given a READ key
    owner, org_id = await _owner_and_org(client)
    _, secret = await make_api_key(client, org_id, owner, "READ")
    headers = (
        {"Authorization": f"Bearer {secret}"}
        if header == "authorization"
        else {"x-api-key": secret}
    )
    # when it asks who it is
    response = await client.execute(VIEWER, headers=headers)
    # then it is the owner, with the key's scope, in the key's organization only
    viewer = response.data["viewer"]
    assert viewer["scope"] == "READ"
    assert viewer["user"] == {"id": owner.id}
    assert viewer["organizations"]["nodes"] == [{"id": org_id, "viewerRole": "OWNER"}]


async def test_bad_key_is_401(client: GraphQLClient) -> None:
    # given a made-up key, when it is used
    response = await client.execute(VIEWER, headers={"x-api-key": "sk_live_notarealkeyatall0000"})
    # then it is 401 UNAUTHENTICATED
    assert response.status == 401
    assert response.codes == ["UNAUTHENTICATED"]


async def test_read_key_cannot_run_a_mutation(client: GraphQLClient) -> None:
    # given an OWNER's READ key
    owner, org_id = await _owner_and_org(client)
    _, secret = await make_api_key(client, org_id, owner, "READ")
    # when it runs a mutation
    response = await client.execute(RENAME_ORG, {"id": org_id}, token=secret)
    # then the whole operation is FORBIDDEN and nothing changed
    assert response.codes == ["FORBIDDEN"]
    assert response.body.get("data") is None
    name = await client.execute(
        "query($id: ID!) { organization(id: $id) { name } }", {"id": org_id}, token=owner.token
    )
    assert name.data["organization"]["name"] != "Renamed"


async def test_write_key_writes_but_cannot_create_keys_or_invite(client: GraphQLClient) -> None:
    # given an OWNER's WRITE key
    owner, org_id = await _owner_and_org(client)
    _, secret = await make_api_key(client, org_id, owner, "WRITE")
    # when it renames the organization
    renamed = await client.execute(RENAME_ORG, {"id": org_id}, token=secret)
    # then that works
    assert renamed.data["updateOrganization"]["organization"] == {"name": "Renamed"}
    # when it creates a key or invites someone
    key = await client.execute(
        CREATE_API_KEY, {"input": {"organizationId": org_id, "name": "k"}}, token=secret
    )
    invitation = await client.execute(
        CREATE_INVITATION,
        {"input": {"organizationId": org_id, "email": unique_email()}},
        token=secret,
    )
    # then each is a FORBIDDEN userError
    assert user_error(key.data["createApiKey"])["code"] == "FORBIDDEN"
    assert key.data["createApiKey"]["secret"] is None
    assert user_error(invitation.data["createInvitation"])["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [("VIEWER", "READ", "WRITE"), ("MEMBER", "WRITE", "ADMIN")],
)
async def test_key_scope_cannot_exceed_the_owners_role(
    client: GraphQLClient, role: str, allowed: str, refused: str
) -> None:
    # given a member with a limited role
    owner, org_id = await _owner_and_org(client)
    member = await add_member(client, org_id, owner, role)
    # when they ask for a key above their role
    payload = await _create_key(client, member, organizationId=org_id, scope=refused)
    # then it is FORBIDDEN on the scope
    error = user_error(payload)
    assert (error["code"], error["field"]) == ("FORBIDDEN", ["scope"])
    # while a key at their level is fine
    record, _ = await make_api_key(client, org_id, member, allowed)
    assert record["scope"] == allowed


async def test_publishable_keys_are_read_only(client: GraphQLClient) -> None:
    # given an owner
    owner, org_id = await _owner_and_org(client)
    # when they ask for a WRITE publishable key
    payload = await _create_key(
        client, owner, organizationId=org_id, kind="PUBLISHABLE", scope="WRITE"
    )
    # then the scope is INVALID
    error = user_error(payload)
    assert (error["code"], error["field"]) == ("INVALID", ["scope"])


async def test_expiry_sets_expires_at_and_an_expired_key_is_401(
    client: GraphQLClient, app: Any
) -> None:
    # given a key that lives 30 days
    owner, org_id = await _owner_and_org(client)
    before = datetime.now(UTC)
    record, secret = await make_api_key(client, org_id, owner, "READ", expires_in="DAYS_30")
    # then it expires 30 days from now
    expires = datetime.fromisoformat(record["expiresAt"])
    assert before + timedelta(days=30) <= expires <= datetime.now(UTC) + timedelta(days=30)
    assert (await client.execute(VIEWER, token=secret)).status == 200
    # when its expiry has passed
    async with db_session(app) as session:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == record["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
    # then it is refused with 401 UNAUTHENTICATED
    response = await client.execute(VIEWER, token=secret)
    assert response.status == 401
    assert response.codes == ["UNAUTHENTICATED"]


async def test_never_expiring_key(client: GraphQLClient) -> None:
    # given an owner
    owner, org_id = await _owner_and_org(client)
    # when they create a key with the default lifetime
    record, _ = await make_api_key(client, org_id, owner, "READ")
    # then it never expires
    assert record["expiresAt"] is None


async def test_revocation_is_immediate(client: GraphQLClient) -> None:
    # given a working key
    owner, org_id = await _owner_and_org(client)
    record, secret = await make_api_key(client, org_id, owner, "READ")
    assert (await client.execute(VIEWER, token=secret)).status == 200
    # when its owner revokes it
    revoked = await client.mutate("revokeApiKey", REVOKE, {"id": record["id"]}, token=owner.token)
    assert revoked["apiKey"]["revokedAt"] is not None
    # then the very next request with it is 401
    response = await client.execute(VIEWER, headers={"x-api-key": secret})
    assert response.status == 401
    assert response.codes == ["UNAUTHENTICATED"]


async def test_member_cannot_revoke_someone_elses_key(client: GraphQLClient) -> None:
    # given the owner's key and a MEMBER
    owner, org_id = await _owner_and_org(client)
    member = await add_member(client, org_id, owner, "MEMBER")
    record, secret = await make_api_key(client, org_id, owner, "READ")
    # when the MEMBER revokes it
    response = await client.execute(REVOKE, {"id": record["id"]}, token=member.token)
    # then it is FORBIDDEN and the key still works
    assert user_error(response.data["revokeApiKey"])["code"] == "FORBIDDEN"
    assert (await client.execute(VIEWER, token=secret)).status == 200


async def test_last_used_at_is_recorded(client: GraphQLClient) -> None:
    # given a key never used
    owner, org_id = await _owner_and_org(client)
    record, secret = await make_api_key(client, org_id, owner, "READ")
    assert record["lastUsedAt"] is None
    # when it is used
    started = datetime.now(UTC)
    assert (await client.execute(VIEWER, token=secret)).status == 200
    # then its record shows when
    listed = await client.execute(KEYS, {"id": org_id}, token=owner.token)
    (node,) = listed.data["organization"]["apiKeys"]["nodes"]
    assert node["lastUsedAt"] is not None
    assert datetime.fromisoformat(node["lastUsedAt"]) >= started - timedelta(seconds=1)


async def test_members_list_only_their_own_keys_admins_all(client: GraphQLClient) -> None:
    # given a key of the owner and one of a MEMBER
    owner, org_id = await _owner_and_org(client)
    member = await add_member(client, org_id, owner, "MEMBER")
    own, _ = await make_api_key(client, org_id, owner, "READ")
    mine, _ = await make_api_key(client, org_id, member, "READ")
    # when each lists the organization's keys
    as_member = (await client.execute(KEYS, {"id": org_id}, token=member.token)).data
    as_owner = (await client.execute(KEYS, {"id": org_id}, token=owner.token)).data
    # then the MEMBER sees only theirs, the owner both
    assert [n["id"] for n in as_member["organization"]["apiKeys"]["nodes"]] == [mine["id"]]
    assert as_member["organization"]["apiKeys"]["totalCount"] == 1
    assert {n["id"] for n in as_owner["organization"]["apiKeys"]["nodes"]} == {
        own["id"],
        mine["id"],
    }


async def test_service_account_key_acts_with_the_accounts_role(client: GraphQLClient) -> None:
    # given a MEMBER service account with a WRITE key
    owner, org_id = await _owner_and_org(client)
    account = await make_service_account(client, org_id, owner, "MEMBER")
    record, secret = await make_api_key(
        client, org_id, owner, "WRITE", service_account_id=account["id"]
    )
    # then the key is the account's, not the creator's
    viewer = (await client.execute(VIEWER, token=secret)).data["viewer"]
    assert viewer["user"] is None
    assert viewer["serviceAccount"] == {"id": account["id"]}
    assert viewer["organizations"]["nodes"] == [{"id": org_id, "viewerRole": "MEMBER"}]
    # when it creates a team (MEMBER may) and renames the organization (MEMBER may not)
    team = await client.execute(
        CREATE_TEAM, {"input": {"organizationId": org_id, "name": "Bots"}}, token=secret
    )
    rename = await client.execute(RENAME_ORG, {"id": org_id}, token=secret)
    # then the first works and the second is FORBIDDEN, though the creator is OWNER
    assert team.data["createTeam"]["userErrors"] == []
    assert user_error(rename.data["updateOrganization"])["code"] == "FORBIDDEN"
    # and the owner sees the key as the account's
    keys = (await client.execute(KEYS, {"id": org_id}, token=owner.token)).data
    listed = {n["id"]: n for n in keys["organization"]["apiKeys"]["nodes"]}
    assert listed[record["id"]]["serviceAccount"] == {"id": account["id"]}
    assert listed[record["id"]]["user"] is None


async def test_service_account_key_cannot_exceed_the_accounts_role(client: GraphQLClient) -> None:
    # given a VIEWER service account
    owner, org_id = await _owner_and_org(client)
    account = await make_service_account(client, org_id, owner, "VIEWER")
    # when a WRITE key is asked for it
    payload = await _create_key(
        client, owner, organizationId=org_id, scope="WRITE", serviceAccountId=account["id"]
    )
    # then the scope is FORBIDDEN
    assert (user_error(payload)["code"], user_error(payload)["field"]) == ("FORBIDDEN", ["scope"])


async def test_deleting_a_service_account_kills_its_keys(client: GraphQLClient) -> None:
    # given a service account with a key
    owner, org_id = await _owner_and_org(client)
    account = await make_service_account(client, org_id, owner, "MEMBER")
    _, secret = await make_api_key(client, org_id, owner, "READ", service_account_id=account["id"])
    # when the account is deleted
    await client.mutate(
        "deleteServiceAccount",
        """mutation($id: ID!) {
          deleteServiceAccount(input: {id: $id}) { deletedId userErrors { code } }
        }""",
        {"id": account["id"]},
        token=owner.token,
    )
    # then its key is refused
    assert (await client.execute(VIEWER, token=secret)).status == 401


async def test_service_account_cannot_be_owner_nor_made_by_a_member(client: GraphQLClient) -> None:
    # given an owner and a MEMBER
    owner, org_id = await _owner_and_org(client)
    member = await add_member(client, org_id, owner, "MEMBER")
    query = """
    mutation($input: CreateServiceAccountInput!) {
      createServiceAccount(input: $input) { serviceAccount { id } userErrors { field code } }
    }
    """
    # when the owner makes an OWNER account and the MEMBER any account
    as_owner = await client.execute(
        query,
        {"input": {"organizationId": org_id, "name": "root", "role": "OWNER"}},
        token=owner.token,
    )
    as_member = await client.execute(
        query, {"input": {"organizationId": org_id, "name": "bot"}}, token=member.token
    )
    # then the role is refused, and so is the MEMBER
    assert user_error(as_owner.data["createServiceAccount"])["field"] == ["role"]
    assert user_error(as_member.data["createServiceAccount"])["code"] == "FORBIDDEN"


async def test_demoted_owner_key_follows_the_new_role(client: GraphQLClient) -> None:
    # given an ADMIN with an ADMIN-scope key
    owner, org_id = await _owner_and_org(client)
    admin = await add_member(client, org_id, owner, "ADMIN")
    _, secret = await make_api_key(client, org_id, admin, "ADMIN")
    # when the ADMIN is demoted to MEMBER
    await client.mutate(
        "updateMemberRole",
        """mutation($input: UpdateMemberRoleInput!) {
          updateMemberRole(input: $input) { membership { role } userErrors { code } }
        }""",
        {"input": {"organizationId": org_id, "userId": admin.id, "role": "MEMBER"}},
        token=owner.token,
    )
    # then the key can no longer invite
    response = await client.execute(
        CREATE_INVITATION,
        {"input": {"organizationId": org_id, "email": unique_email()}},
        token=secret,
    )
    assert user_error(response.data["createInvitation"])["code"] == "FORBIDDEN"


async def test_a_key_is_checked_in_one_statement_and_stops_when_its_owner_leaves(
    client: GraphQLClient, app: Any
) -> None:
    # given a MEMBER's key, used once (its last use is now recorded)
    owner, org_id = await _owner_and_org(client)
    member = await add_member(client, org_id, owner, "MEMBER")
    _, secret = await make_api_key(client, org_id, member, "READ")
    assert (await client.execute("{ viewer { scope } }", token=secret)).data
    # when it is used again: the key, its owner's role and the plan in one statement
    with count_statements(app) as statements:
        response = await client.execute("{ viewer { scope } }", token=secret)
    assert response.data == {"viewer": {"scope": "READ"}}
    assert [s for s in statements if not s.startswith("BEGIN")] == [statements[-1]]
    assert "JOIN memberships" in statements[-1] and "JOIN organizations" in statements[-1]
    # and when its owner is removed from the organization, it stops working
    removed = await client.execute(
        "mutation($input: MemberInput!) { removeMember(input: $input) { userErrors { code } } }",
        {"input": {"organizationId": org_id, "userId": member.id}},
        token=owner.token,
    )
    assert removed.data["removeMember"]["userErrors"] == []
    refused = await client.execute("{ viewer { scope } }", token=secret)
    assert refused.codes == ["UNAUTHENTICATED"]
