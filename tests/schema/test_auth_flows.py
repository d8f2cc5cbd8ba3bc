"""Passwordless sign-in (magic links, one-time codes), through GraphQL over HTTP.

The device flow is in ``test_auth_flows_device.py``; both share the helpers here.
Mails are read from the development mailer's outbox; expiry is simulated by moving
``expires_at`` into the past in the database, never by sleeping.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select, update

from atrium.core.mailer import DevelopmentMailer
from atrium.models.auth import DeviceAuthorization, LoginChallenge
from atrium.models.identity import User
from tests.helpers import GraphQLClient, make_user, unique, unique_email

TOKENS = "user { id email } accessToken refreshToken userErrors { field message code }"
REQUEST_LINK = """
mutation ($email: String!) {
  requestMagicLink(input: {email: $email}) { success expiresAt userErrors { field code } }
}
"""
VERIFY_LINK = f"""
mutation ($token: String!) {{ verifyMagicLink(input: {{token: $token}}) {{ {TOKENS} }} }}
"""
REQUEST_CODE = """
mutation ($email: String!) {
  requestLoginCode(input: {email: $email}) { success expiresAt userErrors { field code } }
}
"""
VERIFY_CODE = f"""
mutation ($email: String!, $code: String!) {{
  verifyLoginCode(input: {{email: $email, code: $code}}) {{ {TOKENS} }}
}}
"""
VIEWER = "{ viewer { user { id email } } }"


def mailer(app: Any) -> DevelopmentMailer:
    return app.state.atrium.services.mailer


def link_token(app: Any, email: str) -> str:
    message = mailer(app).last_to(email)
    assert message is not None and message.links
    return parse_qs(urlsplit(message.links[0]).query)["token"][0]


def mailed_code(app: Any, email: str) -> str:
    message = mailer(app).last_to(email)
    assert message is not None
    match = re.search(r"\b(\d{6})\b", message.body)
    assert match is not None, message.body
    return match.group(1)


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


async def expire(
    app: Any, model: type[LoginChallenge] | type[DeviceAuthorization], **where: str
) -> None:
    """Move the matching rows' expiry into the past, as if their time had run out."""
    conditions = [getattr(model, name) == value for name, value in where.items()]
    async with app.state.atrium.db.sessionmaker() as session:
        await session.execute(
            update(model)
            .where(*conditions)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()


# Magic links


async def test_magic_link_signs_in_once_and_creates_a_verified_account(
    client: GraphQLClient, app: Any
) -> None:
    # given a link requested for an address without an account
    email = unique_email()
    requested = await client.mutate("requestMagicLink", REQUEST_LINK, {"email": email})
    assert requested["success"] is True
    link = mailer(app).last_to(email)
    assert link is not None and link.links[0].startswith(
        f"{app.state.atrium.settings.public_url}/auth/verify?token="
    )
    token = link_token(app, email)
    # when the link is opened
    first = await client.mutate("verifyMagicLink", VERIFY_LINK, {"token": token})
    # then the new account is signed in and its email counts as verified
    assert first["user"]["email"] == email
    viewer = await client.execute(VIEWER, token=first["accessToken"])
    assert viewer.data["viewer"]["user"]["id"] == first["user"]["id"]
    async with app.state.atrium.db.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.email == email))
        assert user is not None and user.email_verified_at is not None
        stored = await session.scalars(
            select(LoginChallenge.secret_hash).where(LoginChallenge.email == email)
        )
        assert token not in list(stored)
    # and opening it again is refused
    again = await client.execute(VERIFY_LINK, {"token": token})
    assert codes(again.data["verifyMagicLink"]) == ["ALREADY_USED"]
    assert again.data["verifyMagicLink"]["accessToken"] is None


async def test_magic_link_signs_in_an_existing_account(client: GraphQLClient, app: Any) -> None:
    # given a registered user who asks for a link
    user = await make_user(client)
    await client.mutate("requestMagicLink", REQUEST_LINK, {"email": user.email.upper()})
    # when they open it
    payload = await client.mutate(
        "verifyMagicLink", VERIFY_LINK, {"token": link_token(app, user.email)}
    )
    # then it is their own account, not a new one
    assert payload["user"]["id"] == user.id


async def test_request_does_not_reveal_whether_an_account_exists(client: GraphQLClient) -> None:
    # given one address with an account and one without
    user = await make_user(client)
    # when both ask for a link and a code
    answers = [
        (await client.execute(query, {"email": email})).data[field]
        for email in (user.email, unique_email())
        for query, field in ((REQUEST_LINK, "requestMagicLink"), (REQUEST_CODE, "requestLoginCode"))
    ]
    # then every answer has the same shape: success, no errors
    assert all(a["success"] is True and a["userErrors"] == [] for a in answers)


async def test_request_with_malformed_email_is_a_field_error(client: GraphQLClient) -> None:
    response = await client.execute(REQUEST_LINK, {"email": "not-an-email"})
    payload = response.data["requestMagicLink"]
    assert payload["success"] is False
    assert payload["userErrors"] == [{"field": ["email"], "code": "INVALID"}]


async def test_expired_magic_link_is_refused(client: GraphQLClient, app: Any) -> None:
    # given a link whose time has run out
    email = unique_email()
    await client.mutate("requestMagicLink", REQUEST_LINK, {"email": email})
    await expire(app, LoginChallenge, email=email)
    # when it is opened
    response = await client.execute(VERIFY_LINK, {"token": link_token(app, email)})
    # then it is refused as expired
    assert codes(response.data["verifyMagicLink"]) == ["EXPIRED"]


async def test_unknown_magic_link_is_invalid_credentials(client: GraphQLClient) -> None:
    response = await client.execute(VERIFY_LINK, {"token": "ml_" + unique()})
    assert codes(response.data["verifyMagicLink"]) == ["INVALID_CREDENTIALS"]


# One-time codes


async def test_login_code_signs_in_once(client: GraphQLClient, app: Any) -> None:
    # given a code mailed to a new address
    email = unique_email()
    await client.mutate("requestLoginCode", REQUEST_CODE, {"email": email})
    code = mailed_code(app, email)
    # when it is entered
    payload = await client.mutate("verifyLoginCode", VERIFY_CODE, {"email": email, "code": code})
    # then the user is signed in, and the same code does not work twice
    assert payload["user"]["email"] == email and payload["accessToken"]
    again = await client.execute(VERIFY_CODE, {"email": email, "code": code})
    assert codes(again.data["verifyLoginCode"]) == ["INVALID_CREDENTIALS"]


async def test_login_code_allows_five_wrong_attempts_then_dies(
    client: GraphQLClient, app: Any
) -> None:
    # given a mailed code and a wrong guess
    email = unique_email()
    await client.mutate("requestLoginCode", REQUEST_CODE, {"email": email})
    code = mailed_code(app, email)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    # when four wrong codes are entered, each is refused and counted
    for _ in range(4):
        response = await client.execute(VERIFY_CODE, {"email": email, "code": wrong})
        assert codes(response.data["verifyLoginCode"]) == ["INVALID_CREDENTIALS"]
    # then the fifth wrong code ends the challenge
    fifth = await client.execute(VERIFY_CODE, {"email": email, "code": wrong})
    assert codes(fifth.data["verifyLoginCode"]) == ["TOO_MANY_ATTEMPTS"]
    # and even the right code no longer works
    right = await client.execute(VERIFY_CODE, {"email": email, "code": code})
    assert codes(right.data["verifyLoginCode"]) == ["TOO_MANY_ATTEMPTS"]
    assert right.data["verifyLoginCode"]["accessToken"] is None
    async with app.state.atrium.db.sessionmaker() as session:
        attempts = await session.scalar(
            select(LoginChallenge.attempts).where(LoginChallenge.email == email)
        )
    assert attempts == 5


async def test_new_code_replaces_the_previous_one(client: GraphQLClient, app: Any) -> None:
    # given two codes requested in a row
    email = unique_email()
    await client.mutate("requestLoginCode", REQUEST_CODE, {"email": email})
    first = mailed_code(app, email)
    await client.mutate("requestLoginCode", REQUEST_CODE, {"email": email})
    second = mailed_code(app, email)
    # when the first is entered (unless both happen to be equal)
    if first != second:
        stale = await client.execute(VERIFY_CODE, {"email": email, "code": first})
        # then it is refused, and the wrong try does not spoil the second
        assert codes(stale.data["verifyLoginCode"]) == ["INVALID_CREDENTIALS"]
    await client.mutate("verifyLoginCode", VERIFY_CODE, {"email": email, "code": second})


async def test_expired_login_code_is_refused(client: GraphQLClient, app: Any) -> None:
    # given a code whose time has run out
    email = unique_email()
    await client.mutate("requestLoginCode", REQUEST_CODE, {"email": email})
    await expire(app, LoginChallenge, email=email)
    # when it is entered
    response = await client.execute(VERIFY_CODE, {"email": email, "code": mailed_code(app, email)})
    # then it is refused as expired
    assert codes(response.data["verifyLoginCode"]) == ["EXPIRED"]
