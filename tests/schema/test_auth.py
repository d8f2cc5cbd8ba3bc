"""Sign-up and sign-in through GraphQL over HTTP."""

from __future__ import annotations

import jwt

from tests.helpers import REGISTER, GraphQLClient, make_user, unique_email

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { user { id } accessToken refreshToken userErrors { field message code } }
}
"""
REFRESH = """
mutation Refresh($token: String!) {
  refreshToken(input: {refreshToken: $token}) {
    accessToken refreshToken userErrors { field message code }
  }
}
"""
LOGOUT = """
mutation Logout($token: String!) {
  logout(input: {refreshToken: $token}) { success userErrors { code } }
}
"""
VIEWER = "{ viewer { user { id email } } }"


async def test_register_then_query_viewer(client: GraphQLClient) -> None:
    # given a new account
    user = await make_user(client)
    # when it asks who it is
    response = await client.execute(VIEWER, token=user.token)
    # then it is itself
    assert response.data["viewer"]["user"] == {"id": user.id, "email": user.email}


async def test_register_rejects_bad_input_with_field_errors(client: GraphQLClient) -> None:
    response = await client.execute(
        REGISTER, {"input": {"email": "not-an-email", "password": "short"}}
    )
    errors = response.data["register"]["userErrors"]
    assert {tuple(e["field"]) for e in errors} == {("email",), ("password",)}
    assert response.data["register"]["user"] is None


async def test_register_twice_is_already_exists(client: GraphQLClient) -> None:
    user = await make_user(client)
    response = await client.execute(
        REGISTER, {"input": {"email": user.email.upper(), "password": "another-password"}}
    )
    assert response.data["register"]["userErrors"][0]["code"] == "ALREADY_EXISTS"


async def test_login_with_password(client: GraphQLClient) -> None:
    user = await make_user(client)
    ok = await client.execute(LOGIN, {"input": {"email": user.email, "password": user.password}})
    assert ok.data["login"]["user"]["id"] == user.id
    bad = await client.execute(LOGIN, {"input": {"email": user.email, "password": "wrong-pass"}})
    assert bad.data["login"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    assert bad.data["login"]["accessToken"] is None


async def test_refresh_rotates_and_reuse_revokes_the_family(client: GraphQLClient) -> None:
    # given a signed-in user who refreshed once
    user = await make_user(client)
    first = await client.mutate("refreshToken", REFRESH, {"token": user.refresh_token})
    assert first["refreshToken"] != user.refresh_token
    # when the already-rotated token is presented again
    reuse = await client.execute(REFRESH, {"token": user.refresh_token})
    # then it is refused and the newer token of the same family is dead too
    assert reuse.data["refreshToken"]["userErrors"][0]["code"] == "REVOKED"
    after = await client.execute(REFRESH, {"token": first["refreshToken"]})
    assert after.data["refreshToken"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_logout_revokes_refresh_token(client: GraphQLClient) -> None:
    user = await make_user(client)
    out = await client.execute(LOGOUT, {"token": user.refresh_token})
    assert out.data["logout"]["success"] is True
    again = await client.execute(REFRESH, {"token": user.refresh_token})
    assert again.data["refreshToken"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_token_signed_with_none_or_other_algorithm_is_rejected(
    client: GraphQLClient, settings
) -> None:
    user = await make_user(client)
    claims = jwt.decode(user.token, options={"verify_signature": False})
    forged_none = jwt.encode(claims, key=None, algorithm="none")
    forged_hs512 = jwt.encode(claims, settings.secret_key, algorithm="HS512")
    wrong_key = jwt.encode(claims, "another-secret-that-is-long-enough-xxxx", algorithm="HS256")
    for token in (forged_none, forged_hs512, wrong_key):
        response = await client.execute(VIEWER, token=token)
        assert response.status == 401
        assert response.codes == ["UNAUTHENTICATED"]


async def test_unauthenticated_viewer_is_an_error(client: GraphQLClient) -> None:
    response = await client.execute(VIEWER)
    assert response.codes == ["UNAUTHENTICATED"]


async def test_email_is_case_insensitive(client: GraphQLClient) -> None:
    email = unique_email()
    await client.mutate(
        "register", REGISTER, {"input": {"email": email.upper(), "password": "password-123"}}
    )
    ok = await client.execute(LOGIN, {"input": {"email": email, "password": "password-123"}})
    assert ok.data["login"]["userErrors"] == []
