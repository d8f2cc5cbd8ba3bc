"""updateProfile and changeEmail: only the user changes their own account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from atrium.models.events import EventRecord
from tests.helpers import (
    GraphQLClient,
    add_member,
    db_session,
    make_api_key,
    make_org,
    make_service_account,
    make_user,
    unique_email,
    user_error,
)

UPDATE_PROFILE = """
mutation U($input: UpdateProfileInput!) {
  updateProfile(input: $input) { user { id name timezone } userErrors { field code } }
}
"""
CHANGE_EMAIL = """
mutation C($input: ChangeEmailInput!) {
  changeEmail(input: $input) { user { id email } userErrors { field code } }
}
"""
LOGIN = """
mutation L($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { user { id } userErrors { code } }
}
"""


async def _run(
    client: GraphQLClient, query: str, field: str, token: str, **input: Any
) -> dict[str, Any]:
    response = await client.execute(query, {"input": input}, token=token)
    payload: dict[str, Any] = response.data[field]
    return payload


async def test_update_profile_sets_name_and_time_zone(client: GraphQLClient, app: Any) -> None:
    # given a user in an organization
    user = await make_user(client, "Before")
    org = await make_org(client, user)
    # when they change their name and time zone
    payload = await _run(
        client, UPDATE_PROFILE, "updateProfile", user.token, name=" After ", timezone="Asia/Tokyo"
    )
    # then both are saved (the name trimmed) and the organization hears `user.updated`
    assert payload == {
        "user": {"id": user.id, "name": "After", "timezone": "Asia/Tokyo"},
        "userErrors": [],
    }
    async with db_session(app) as session:
        events = (
            await session.scalars(
                select(EventRecord).where(
                    EventRecord.type == "user.updated",
                    EventRecord.topic.in_([f"org:{org['id']}", f"user:{user.id}"]),
                )
            )
        ).all()
    assert sorted(e.topic for e in events) == sorted([f"org:{org['id']}", f"user:{user.id}"])
    assert {e.payload["user_id"] for e in events} == {user.id}


async def test_update_profile_rejects_what_is_not_an_iana_zone(client: GraphQLClient) -> None:
    # given a user
    user = await make_user(client)
    for bad in ("Mars/Olympus", "utc", "../etc/passwd", "", "+02:00"):
        # when they send something that is not an IANA key
        payload = await _run(client, UPDATE_PROFILE, "updateProfile", user.token, timezone=bad)
        # then it is INVALID on `timezone` and nothing changes
        assert user_error(payload) == {"field": ["timezone"], "code": "INVALID"}, bad


async def test_another_users_profile_is_forbidden_or_not_found(client: GraphQLClient) -> None:
    # given two members of one organization and a stranger
    owner = await make_user(client)
    org = await make_org(client, owner)
    member = await add_member(client, org["id"], owner)
    stranger = await make_user(client)
    # when the owner names the member, then the stranger
    seen = await _run(
        client, UPDATE_PROFILE, "updateProfile", owner.token, userId=member.id, name="X"
    )
    unseen = await _run(
        client, CHANGE_EMAIL, "changeEmail", owner.token, userId=stranger.id, email=unique_email()
    )
    # then the member's account is FORBIDDEN and the stranger's does not exist for them
    assert user_error(seen) == {"field": ["userId"], "code": "FORBIDDEN"}
    assert user_error(unseen) == {"field": ["userId"], "code": "NOT_FOUND"}
    # and naming oneself is allowed
    own = await _run(
        client, UPDATE_PROFILE, "updateProfile", owner.token, userId=owner.id, name="Me"
    )
    assert own["userErrors"] == []


async def test_change_email_moves_sign_in_and_tells_the_old_address(
    client: GraphQLClient, app: Any
) -> None:
    # given a user and another account
    user = await make_user(client)
    other = await make_user(client)
    new_email = unique_email()
    # when they take an address already in use
    taken = await _run(client, CHANGE_EMAIL, "changeEmail", user.token, email=other.email.upper())
    # then it is ALREADY_EXISTS
    assert user_error(taken) == {"field": ["email"], "code": "ALREADY_EXISTS"}
    # when they take a free one
    changed = await _run(client, CHANGE_EMAIL, "changeEmail", user.token, email=new_email)
    # then they sign in with it, no longer with the old one, and the old one was told
    assert changed["user"] == {"id": user.id, "email": new_email}
    login = await client.execute(LOGIN, {"email": new_email, "password": user.password})
    assert login.data["login"]["user"] == {"id": user.id}
    old = await client.execute(LOGIN, {"email": user.email, "password": user.password})
    assert old.data["login"]["userErrors"] == [{"code": "INVALID_CREDENTIALS"}]
    notice = app.state.atrium.services.mailer.last_to(user.email)
    assert notice is not None and new_email in notice.body


async def test_change_email_validates_the_address(client: GraphQLClient) -> None:
    # given a user
    user = await make_user(client)
    # when the new address is not one
    payload = await _run(client, CHANGE_EMAIL, "changeEmail", user.token, email="not-an-email")
    # then it is INVALID
    assert user_error(payload) == {"field": ["email"], "code": "INVALID"}


async def test_a_service_account_key_has_no_profile(client: GraphQLClient) -> None:
    # given a key of a service account
    owner = await make_user(client)
    org = await make_org(client, owner)
    account = await make_service_account(client, org["id"], owner)
    _, key = await make_api_key(client, org["id"], owner, "WRITE", service_account_id=account["id"])
    # when it tries to change a profile
    response = await client.execute(UPDATE_PROFILE, {"input": {"name": "Bot"}}, token=key)
    # then it is FORBIDDEN: profiles belong to people
    assert response.codes == ["FORBIDDEN"]
