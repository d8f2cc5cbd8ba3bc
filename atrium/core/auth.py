"""Who is calling: the :class:`Principal` of a request, built from its credential.

A principal carries its roles per organization, resolved once per request, so that
policy checks and tenancy filters never query again. An API key is bound to one
organization and narrows the caller to it; a user's access token reaches every
organization the user belongs to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from atrium.core.errors import Forbidden, Unauthenticated
from atrium.core.policy import Action, Role, Scope, allows


class CredentialKind(StrEnum):
    ANONYMOUS = "ANONYMOUS"
    ACCESS_TOKEN = "ACCESS_TOKEN"
    API_KEY = "API_KEY"


@dataclass(frozen=True)
class Principal:
    kind: CredentialKind = CredentialKind.ANONYMOUS
    user_id: str | None = None
    service_account_id: str | None = None
    api_key_id: str | None = None
    scope: Scope = Scope.READ
    roles: Mapping[str, Role] = field(default_factory=dict)
    plan: str = "FREE"

    @property
    def is_authenticated(self) -> bool:
        return self.kind is not CredentialKind.ANONYMOUS

    @property
    def rate_limit_key(self) -> str | None:
        if self.api_key_id:
            return f"key:{self.api_key_id}"
        if self.user_id:
            return f"user:{self.user_id}"
        return None

    @property
    def organization_ids(self) -> list[str]:
        return list(self.roles)

    def role_in(self, organization_id: str) -> Role | None:
        return self.roles.get(organization_id)

    def can(self, action: Action, organization_id: str) -> bool:
        return allows(self.roles.get(organization_id), self.scope, action)

    def with_role(self, organization_id: str, role: Role | None) -> Principal:
        """This principal after a membership change made within the request."""
        roles = dict(self.roles)
        if role is None:
            roles.pop(organization_id, None)
        else:
            roles[organization_id] = role
        return replace(self, roles=roles)

    def require_user(self) -> str:
        if self.user_id is None:
            if self.is_authenticated:
                raise Forbidden("This operation needs a user, not a service account")
            raise Unauthenticated("Authentication required")
        return self.user_id

    def require_authenticated(self) -> None:
        if not self.is_authenticated:
            raise Unauthenticated("Authentication required")


ANONYMOUS = Principal()


def bearer_credential(authorization: str | None, api_key_header: str | None) -> str | None:
    """The credential of a request: ``Authorization: Bearer …`` or ``x-api-key``."""
    if api_key_header:
        return api_key_header.strip()
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return None
