"""The role x scope matrix of :mod:`atrium.core.policy`, spelled out independently."""

from __future__ import annotations

import itertools

import pytest

from atrium.core.policy import (
    Action,
    Role,
    Scope,
    allows,
    can_grant,
    max_scope_for_role,
    scope_for_operation,
)

ROLES = [Role.VIEWER, Role.MEMBER, Role.ADMIN, Role.OWNER]  # weakest first
SCOPES = [Scope.READ, Scope.WRITE, Scope.ADMIN]

# The contract (DESIGN.md "Auth"): minimum role and minimum key scope per action.
EXPECTED: dict[Action, tuple[Role, Scope]] = {
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


def test_every_action_has_an_expectation() -> None:
    assert set(EXPECTED) == set(Action)


@pytest.mark.parametrize(
    ("action", "role", "scope"), list(itertools.product(Action, ROLES, SCOPES))
)
def test_allows_matrix(action: Action, role: Role, scope: Scope) -> None:
    # given the minimum role and scope the contract sets for the action
    min_role, min_scope = EXPECTED[action]
    expected = ROLES.index(role) >= ROLES.index(min_role) and SCOPES.index(scope) >= SCOPES.index(
        min_scope
    )
    # when the policy is asked / then it answers exactly that
    assert allows(role, scope, action) is expected


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("scope", SCOPES)
def test_no_role_allows_nothing(action: Action, scope: Scope) -> None:
    # a caller outside the organization may do nothing, whatever the credential
    assert allows(None, scope, action) is False


def test_a_read_key_of_an_owner_cannot_write() -> None:
    assert allows(Role.OWNER, Scope.READ, Action.READ)
    assert not allows(Role.OWNER, Scope.READ, Action.WRITE)
    assert not allows(Role.OWNER, Scope.WRITE, Action.MEMBER_INVITE)
    assert allows(Role.OWNER, Scope.ADMIN, Action.PLAN_MANAGE)


@pytest.mark.parametrize(("granter", "role"), list(itertools.product(ROLES, ROLES)))
def test_can_grant_up_to_own_role(granter: Role, role: Role) -> None:
    assert can_grant(granter, role) is (ROLES.index(granter) >= ROLES.index(role))


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.VIEWER, Scope.READ),
        (Role.MEMBER, Scope.WRITE),
        (Role.ADMIN, Scope.ADMIN),
        (Role.OWNER, Scope.ADMIN),
    ],
)
def test_max_scope_for_role(role: Role, scope: Scope) -> None:
    assert max_scope_for_role(role) is scope


@pytest.mark.parametrize(
    ("operation", "scope"),
    [("query", Scope.READ), ("subscription", Scope.READ), ("mutation", Scope.WRITE)],
)
def test_scope_for_operation(operation: str, scope: Scope) -> None:
    assert scope_for_operation(operation) is scope
