"""The caller's own account: ``updateProfile`` and ``changeEmail``.

Kept apart from the organization mutations because they act on the person, not on a
tenant: they need a user credential and reach every organization the user is in.
"""

from __future__ import annotations

import strawberry

from atrium.resolvers.identity import users
from atrium.schema.common import AtriumInfo, UserError, run_mutation
from atrium.schema.identity.types import User


@strawberry.input(description="Changes to your profile; omitted fields stay.")
class UpdateProfileInput:
    user_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Must be you if given (REST paths name the user); another user is "
        "FORBIDDEN, or NOT_FOUND when you share no organization.",
    )
    name: str | None = strawberry.field(default=None, description="New display name.")
    timezone: str | None = strawberry.field(
        default=None, description="New IANA time zone, e.g. `Europe/Paris`."
    )


@strawberry.input(description="A new sign-in email for your account.")
class ChangeEmailInput:
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Must be you if given, as in `updateProfile`."
    )
    email: str = strawberry.field(
        description="The new address; ALREADY_EXISTS when another account uses it."
    )


@strawberry.type(description="Result of changing your account.")
class UserPayload:
    user: User | None = strawberry.field(description="Your account after the change.")
    user_errors: list[UserError] = strawberry.field(description="Why it failed, if it did.")


@strawberry.type
class ProfileMutation:
    @strawberry.mutation(description="Change your display name or time zone.")
    async def update_profile(self, info: AtriumInfo, input: UpdateProfileInput) -> UserPayload:
        info.context.principal.require_user()
        row, errors = await run_mutation(
            info,
            lambda c, s: users.update_profile(
                c, s, user_id=input.user_id, name=input.name, timezone=input.timezone
            ),
        )
        return UserPayload(user=User.from_model(row) if row else None, user_errors=errors)

    @strawberry.mutation(
        description="Change your sign-in email. The new address is unverified until used "
        "to sign in; the old one is told by mail."
    )
    async def change_email(self, info: AtriumInfo, input: ChangeEmailInput) -> UserPayload:
        info.context.principal.require_user()
        row, errors = await run_mutation(
            info,
            lambda c, s: users.change_email(c, s, user_id=input.user_id, email=input.email),
        )
        return UserPayload(user=User.from_model(row) if row else None, user_errors=errors)
