"""Sign-up and sign-in mutations. They need no credential; they hand one out."""

from __future__ import annotations

from datetime import datetime

import strawberry

from atrium.core.errors import UserErrorCode
from atrium.resolvers.auth import accounts, tokens
from atrium.resolvers.auth.tokens import RefreshTokenReused, TokenPair
from atrium.schema.common import AtriumInfo, UserError, run_mutation
from atrium.schema.identity.types import User

REUSED_MESSAGE = "Refresh token was already used; every token of this sign-in is now revoked"


@strawberry.type(description="Credentials for a signed-in user.")
class AuthPayload:
    user: User | None = strawberry.field(description="The signed-in user.")
    access_token: str | None = strawberry.field(description="JWT for `Authorization: Bearer`.")
    access_token_expires_at: datetime | None = strawberry.field(
        description="When it expires (~15 min)."
    )
    refresh_token: str | None = strawberry.field(description="Single-use token for `refreshToken`.")
    refresh_token_expires_at: datetime | None = strawberry.field(description="When it expires.")
    token_type: str | None = strawberry.field(description="Always `Bearer`.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")

    @classmethod
    def of(cls, pair: TokenPair | None, errors: list[UserError]) -> AuthPayload:
        if pair is None:
            return cls(
                user=None,
                access_token=None,
                access_token_expires_at=None,
                refresh_token=None,
                refresh_token_expires_at=None,
                token_type=None,
                user_errors=errors,
            )
        return cls(
            user=User.from_model(pair.user),
            access_token=pair.access_token,
            access_token_expires_at=pair.access_token_expires_at,
            refresh_token=pair.refresh_token,
            refresh_token_expires_at=pair.refresh_token_expires_at,
            token_type=pair.token_type,
            user_errors=errors,
        )


@strawberry.input(description="A new account.")
class RegisterInput:
    email: str = strawberry.field(description="Sign-in email.")
    password: str = strawberry.field(description="At least 8 characters.")
    name: str | None = strawberry.field(default=None, description="Display name.")


@strawberry.input(description="Password sign-in.")
class LoginInput:
    email: str = strawberry.field(description="Sign-in email.")
    password: str = strawberry.field(description="Password.")


@strawberry.input(description="A refresh token to use or revoke.")
class RefreshTokenInput:
    refresh_token: str = strawberry.field(description="The refresh token.")


@strawberry.type(description="Result of signing out.")
class LogoutPayload:
    success: bool = strawberry.field(description="The session's tokens are revoked.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Create an account and sign in.")
    async def register(self, info: AtriumInfo, input: RegisterInput) -> AuthPayload:
        pair, errors = await run_mutation(
            info,
            lambda c, s: accounts.register(
                s, c.settings, email=input.email, password=input.password, name=input.name
            ),
        )
        return AuthPayload.of(pair, errors)

    @strawberry.mutation(description="Sign in with email and password.")
    async def login(self, info: AtriumInfo, input: LoginInput) -> AuthPayload:
        pair, errors = await run_mutation(
            info,
            lambda c, s: accounts.login(s, c.settings, email=input.email, password=input.password),
        )
        return AuthPayload.of(pair, errors)

    @strawberry.mutation(
        description="Trade a refresh token for new tokens. Each refresh token works once; "
        "reusing one revokes every token of its sign-in."
    )
    async def refresh_token(self, info: AtriumInfo, input: RefreshTokenInput) -> AuthPayload:
        async def rotate(c, s):  # type: ignore[no-untyped-def]
            try:
                return await tokens.rotate_refresh_token(s, c.settings, input.refresh_token)
            except RefreshTokenReused:
                return None  # the family's revocation must be committed, so no rollback

        pair, errors = await run_mutation(info, rotate)
        if pair is None and not errors:
            errors = [
                UserError(
                    field=["refreshToken"],
                    message=REUSED_MESSAGE,
                    code=UserErrorCode.REVOKED,
                )
            ]
        return AuthPayload.of(pair, errors)

    @strawberry.mutation(description="Sign out: revoke the refresh token and its whole chain.")
    async def logout(self, info: AtriumInfo, input: RefreshTokenInput) -> LogoutPayload:
        revoked, errors = await run_mutation(
            info, lambda c, s: tokens.revoke_refresh_token(s, input.refresh_token)
        )
        return LogoutPayload(success=bool(revoked), user_errors=errors)
