"""Passwordless sign-in (magic link, one-time code) and the OAuth device flow (RFC 8628).

Services that must commit a failed attempt (a wrong code, a premature poll) return their
error instead of raising it; this layer turns it into ``userErrors`` after
:func:`run_mutation` has kept the write.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from atrium.core.errors import UserErrors
from atrium.models.auth import DeviceStatus
from atrium.resolvers.auth import device, passwordless
from atrium.resolvers.auth.device import DEVICE_GRANT_TYPE
from atrium.resolvers.auth.tokens import TokenPair
from atrium.schema.auth import AuthPayload
from atrium.schema.common import AtriumInfo, UserError, run_mutation, user_errors
from atrium.schema.identity.types import User

strawberry.enum(
    DeviceStatus,
    name="DeviceAuthorizationStatus",
    description="Where a device authorization stands.",
)


@strawberry.input(description="Where to send a sign-in link or code.")
class RequestLoginInput:
    email: str = strawberry.field(description="Email address; an account is made on first use.")


@strawberry.type(
    description="A sign-in link or code was sent. The same answer whether or not the email "
    "has an account, so it cannot be used to find out."
)
class RequestLoginPayload:
    success: bool = strawberry.field(description="The request was accepted.")
    expires_at: datetime | None = strawberry.field(description="When the link or code expires.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.input(description="The token from a sign-in link.")
class VerifyMagicLinkInput:
    token: str = strawberry.field(description="The `token` query parameter of the link.")


@strawberry.input(description="A one-time code received by mail.")
class VerifyLoginCodeInput:
    email: str = strawberry.field(description="The address the code was sent to.")
    code: str = strawberry.field(description="The 6-digit code; 5 wrong tries end it.")


@strawberry.input(description="A device (CLI) asking to sign in.")
class StartDeviceAuthorizationInput:
    client_id: str = strawberry.field(description="Identifies the client application.")
    scope: str | None = strawberry.field(default=None, description="Requested scope, if any.")


@strawberry.type(description="Codes for the device flow: show the user code, poll with the other.")
class StartDeviceAuthorizationPayload:
    device_code: str | None = strawberry.field(
        description="Secret the device polls `pollDeviceToken` with; never shown to the user."
    )
    user_code: str | None = strawberry.field(description="Short code to show, e.g. `WDJB-MJHT`.")
    verification_uri: str | None = strawberry.field(description="Where the user enters the code.")
    verification_uri_complete: str | None = strawberry.field(
        description="The same page with the code filled in (for a QR code or a link)."
    )
    expires_in: int | None = strawberry.field(description="Seconds until the codes expire.")
    interval: int | None = strawberry.field(description="Seconds to wait between polls.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.input(description="The signed-in user's answer to a device's request.")
class ApproveDeviceAuthorizationInput:
    user_code: str = strawberry.field(description="The code shown by the device.")
    approve: bool = strawberry.field(default=True, description="False to deny the device.")


@strawberry.type(description="The device authorization as answered.")
class ApproveDeviceAuthorizationPayload:
    status: DeviceStatus | None = strawberry.field(description="APPROVED or DENIED.")
    client_id: str | None = strawberry.field(description="The client that asked.")
    scope: str | None = strawberry.field(description="The scope it asked for.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.input(description="A device's poll for its tokens.")
class PollDeviceTokenInput:
    device_code: str = strawberry.field(description="From `startDeviceAuthorization`.")
    client_id: str = strawberry.field(description="The same client ID as at the start.")
    grant_type: str | None = strawberry.field(
        default=None,
        description=f"If given, must be `{DEVICE_GRANT_TYPE}` (RFC 8628 token requests).",
    )


@strawberry.type(
    description="Tokens once the user approved; until then a userError: AUTHORIZATION_PENDING "
    "(poll again), SLOW_DOWN (wait longer), ACCESS_DENIED or EXPIRED_TOKEN (stop)."
)
class DeviceTokenPayload:
    user: User | None = strawberry.field(description="The signed-in user.")
    access_token: str | None = strawberry.field(description="JWT for `Authorization: Bearer`.")
    access_token_expires_at: datetime | None = strawberry.field(description="When it expires.")
    refresh_token: str | None = strawberry.field(description="Single-use token for `refreshToken`.")
    refresh_token_expires_at: datetime | None = strawberry.field(description="When it expires.")
    token_type: str | None = strawberry.field(description="Always `Bearer`.")
    expires_in: int | None = strawberry.field(description="Seconds the access token lives.")
    interval: int | None = strawberry.field(
        description="Seconds to wait before the next poll; grows by 5 after SLOW_DOWN."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


def _device_token_payload(
    poll: device.DevicePoll | None, errors: list[UserError]
) -> DeviceTokenPayload:
    pair: TokenPair | None = poll.pair if poll else None
    if poll is not None and poll.error is not None:
        errors = user_errors(UserErrors([poll.error]))
    return DeviceTokenPayload(
        user=User.from_model(pair.user) if pair else None,
        access_token=pair.access_token if pair else None,
        access_token_expires_at=pair.access_token_expires_at if pair else None,
        refresh_token=pair.refresh_token if pair else None,
        refresh_token_expires_at=pair.refresh_token_expires_at if pair else None,
        token_type=pair.token_type if pair else None,
        expires_in=pair.expires_in if pair else None,
        interval=poll.interval if poll else None,
        user_errors=errors,
    )


def _request_payload(expires_at: datetime | None, errors: list[UserError]) -> RequestLoginPayload:
    return RequestLoginPayload(success=not errors, expires_at=expires_at, user_errors=errors)


@strawberry.type
class AuthFlowMutation:
    @strawberry.mutation(
        description="Mail a single-use sign-in link. Succeeds for any well-formed address."
    )
    async def request_magic_link(
        self, info: AtriumInfo, input: RequestLoginInput
    ) -> RequestLoginPayload:
        expires_at, errors = await run_mutation(
            info, lambda c, s: passwordless.request_magic_link(c, s, input.email)
        )
        return _request_payload(expires_at, errors)

    @strawberry.mutation(description="Sign in with the token of a magic link; works once.")
    async def verify_magic_link(self, info: AtriumInfo, input: VerifyMagicLinkInput) -> AuthPayload:
        pair, errors = await run_mutation(
            info, lambda c, s: passwordless.verify_magic_link(s, c.settings, input.token)
        )
        return AuthPayload.of(pair, errors)

    @strawberry.mutation(
        description="Mail a 6-digit sign-in code; earlier codes for the address stop working. "
        "Succeeds for any well-formed address."
    )
    async def request_login_code(
        self, info: AtriumInfo, input: RequestLoginInput
    ) -> RequestLoginPayload:
        expires_at, errors = await run_mutation(
            info, lambda c, s: passwordless.request_login_code(c, s, input.email)
        )
        return _request_payload(expires_at, errors)

    @strawberry.mutation(description="Sign in with a mailed code; 5 wrong codes end it.")
    async def verify_login_code(self, info: AtriumInfo, input: VerifyLoginCodeInput) -> AuthPayload:
        result, errors = await run_mutation(
            info,
            lambda c, s: passwordless.verify_login_code(
                s, c.settings, email=input.email, code=input.code
            ),
        )
        if isinstance(result, TokenPair) or result is None:
            return AuthPayload.of(result, errors)
        return AuthPayload.of(None, user_errors(UserErrors([result])))

    @strawberry.mutation(description="Start the OAuth device flow (RFC 8628) for a CLI.")
    async def start_device_authorization(
        self, info: AtriumInfo, input: StartDeviceAuthorizationInput
    ) -> StartDeviceAuthorizationPayload:
        grant, errors = await run_mutation(
            info,
            lambda c, s: device.start_device_authorization(
                s, c.settings, client_id=input.client_id, scope=input.scope
            ),
        )
        return StartDeviceAuthorizationPayload(
            device_code=grant.device_code if grant else None,
            user_code=grant.user_code if grant else None,
            verification_uri=grant.verification_uri if grant else None,
            verification_uri_complete=grant.verification_uri_complete if grant else None,
            expires_in=grant.expires_in if grant else None,
            interval=grant.interval if grant else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Approve or deny a device by its user code. Needs a signed-in user."
    )
    async def approve_device_authorization(
        self, info: AtriumInfo, input: ApproveDeviceAuthorizationInput
    ) -> ApproveDeviceAuthorizationPayload:
        authorization, errors = await run_mutation(
            info,
            lambda c, s: device.approve_device_authorization(
                c, s, user_code=input.user_code, approve=input.approve
            ),
        )
        return ApproveDeviceAuthorizationPayload(
            status=DeviceStatus(authorization.status) if authorization else None,
            client_id=authorization.client_id if authorization else None,
            scope=authorization.scope if authorization else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="The device's poll for tokens; wait `interval` seconds between polls."
    )
    async def poll_device_token(
        self, info: AtriumInfo, input: PollDeviceTokenInput
    ) -> DeviceTokenPayload:
        poll, errors = await run_mutation(
            info,
            lambda c, s: device.poll_device_token(
                s,
                c.settings,
                device_code=input.device_code,
                client_id=input.client_id,
                grant_type=input.grant_type,
            ),
        )
        return _device_token_payload(poll, errors)
