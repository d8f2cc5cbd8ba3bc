"""What each role and each API-key scope may do: the one place that decides.

Every resolver asks :func:`allows` (or :func:`require`) with an :class:`Action`; no
resolver compares roles itself. A request is allowed when the caller's role in the
organization grants the action *and* the credential's scope covers it (a READ key of
an OWNER still cannot write).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    VIEWER = "VIEWER"


class Scope(StrEnum):
    READ = "READ"
    WRITE = "WRITE"
    ADMIN = "ADMIN"


_SCOPE_RANK = {Scope.READ: 0, Scope.WRITE: 1, Scope.ADMIN: 2}
_ROLE_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Action(StrEnum):
    READ = "READ"  # see the organization and everything in it
    WRITE = "WRITE"  # create and change domain content
    TEAM_CREATE = "TEAM_CREATE"
    TEAM_MANAGE = "TEAM_MANAGE"  # rename, delete, change members of any team
    MEMBER_INVITE = "MEMBER_INVITE"
    MEMBER_MANAGE = "MEMBER_MANAGE"  # change roles of and remove non-owners
    OWNER_MANAGE = "OWNER_MANAGE"  # grant, change or remove the OWNER role
    API_KEY_OWN = "API_KEY_OWN"  # create and revoke one's own personal keys
    API_KEY_MANAGE = "API_KEY_MANAGE"  # every key of the org, and service accounts
    WEBHOOK_MANAGE = "WEBHOOK_MANAGE"  # endpoints, deliveries, re-sends
    JOB_READ = "JOB_READ"  # the organization's background jobs and their errors
    ORG_UPDATE = "ORG_UPDATE"
    ORG_DELETE = "ORG_DELETE"
    PLAN_MANAGE = "PLAN_MANAGE"


# Minimum role and minimum credential scope per action.
_RULES: dict[Action, tuple[Role, Scope]] = {
    Action.READ: (Role.VIEWER, Scope.READ),
    Action.WRITE: (Role.MEMBER, Scope.WRITE),
    Action.TEAM_CREATE: (Role.MEMBER, Scope.WRITE),
    Action.TEAM_MANAGE: (Role.ADMIN, Scope.WRITE),
    Action.MEMBER_INVITE: (Role.ADMIN, Scope.ADMIN),
    Action.MEMBER_MANAGE: (Role.ADMIN, Scope.ADMIN),
    Action.OWNER_MANAGE: (Role.OWNER, Scope.ADMIN),
    Action.API_KEY_OWN: (Role.VIEWER, Scope.ADMIN),
    Action.API_KEY_MANAGE: (Role.ADMIN, Scope.ADMIN),
    Action.WEBHOOK_MANAGE: (Role.ADMIN, Scope.ADMIN),
    Action.JOB_READ: (Role.ADMIN, Scope.READ),
    Action.ORG_UPDATE: (Role.ADMIN, Scope.WRITE),
    Action.ORG_DELETE: (Role.OWNER, Scope.ADMIN),
    Action.PLAN_MANAGE: (Role.OWNER, Scope.ADMIN),
}


def role_at_least(role: Role, minimum: Role) -> bool:
    return _ROLE_RANK[role] >= _ROLE_RANK[minimum]


def scope_at_least(scope: Scope, minimum: Scope) -> bool:
    return _SCOPE_RANK[scope] >= _SCOPE_RANK[minimum]


def allows(role: Role | None, scope: Scope, action: Action) -> bool:
    """True when a caller with ``role`` in an org, using a ``scope`` credential, may act."""
    if role is None:
        return False
    min_role, min_scope = _RULES[action]
    return role_at_least(role, min_role) and scope_at_least(scope, min_scope)


def can_grant(granter: Role, role: Role) -> bool:
    """A caller may hand out roles up to their own; only owners make owners."""
    return role_at_least(granter, role)


def scope_for_operation(operation: str) -> Scope:
    """Minimum credential scope for a GraphQL operation type (query, mutation, subscription)."""
    return Scope.WRITE if operation == "mutation" else Scope.READ


def max_scope_for_role(role: Role) -> Scope:
    """The widest scope a key may carry given its owner's role."""
    if role_at_least(role, Role.ADMIN):
        return Scope.ADMIN
    if role_at_least(role, Role.MEMBER):
        return Scope.WRITE
    return Scope.READ
