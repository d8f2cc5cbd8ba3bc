"""Small test helpers: a GraphQL client over real HTTP (ASGI) and row factories that go
through the public API."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import event
from ulid import ULID

_counter = itertools.count()


def unique(prefix: str = "t") -> str:
    return f"{prefix}{ULID().hex[-10:]}{next(_counter)}{os.getpid()}"


def unique_email() -> str:
    return f"{unique('user')}@example.test"


@dataclass
class Response:
    status: int
    body: dict[str, Any]
    headers: httpx.Headers

    @property
    def data(self) -> dict[str, Any]:
        assert "errors" not in self.body, self.body.get("errors")
        return self.body["data"]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self.body.get("errors", [])

    @property
    def codes(self) -> list[str]:
        return [e["extensions"]["code"] for e in self.errors]


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    @classmethod
    @asynccontextmanager
    async def for_app(cls, app: Any) -> AsyncIterator[GraphQLClient]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://atrium.test") as http:
            yield cls(http)

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers
        )
        return Response(response.status_code, response.json(), response.headers)

    async def mutate(
        self, field: str, query: str, variables: dict[str, Any], *, token: str | None = None
    ) -> dict[str, Any]:
        """Run a mutation expected to succeed; return its payload."""
        response = await self.execute(query, variables, token=token)
        payload = response.data[field]
        assert payload["userErrors"] == [], payload["userErrors"]
        return payload


REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    user { id email name }
    accessToken refreshToken
    userErrors { field message code }
  }
}
"""

CREATE_ORG = """
mutation CreateOrg($input: CreateOrganizationInput!) {
  createOrganization(input: $input) {
    organization { id name slug plan viewerRole }
    userErrors { field message code }
  }
}
"""


@dataclass
class TestUser:
    __test__ = False  # not a test class, whatever pytest thinks of its name

    id: str
    email: str
    token: str
    refresh_token: str
    password: str = "correct-horse-battery"


async def make_user(client: GraphQLClient, name: str = "Test User") -> TestUser:
    email = unique_email()
    password = "correct-horse-battery"
    payload = await client.mutate(
        "register", REGISTER, {"input": {"email": email, "password": password, "name": name}}
    )
    return TestUser(
        payload["user"]["id"], email, payload["accessToken"], payload["refreshToken"], password
    )


async def make_org(
    client: GraphQLClient, owner: TestUser, name: str | None = None
) -> dict[str, Any]:
    payload = await client.mutate(
        "createOrganization",
        CREATE_ORG,
        {"input": {"name": name or unique("Org ")}},
        token=owner.token,
    )
    return payload["organization"]


# --- More factories, each going through the public API --------------------------------

CREATE_INVITATION = """
mutation Invite($input: CreateInvitationInput!) {
  createInvitation(input: $input) {
    invitation { id email role status expiresAt }
    token
    userErrors { field message code }
  }
}
"""

ACCEPT_INVITATION = """
mutation Accept($token: String!) {
  acceptInvitation(input: {token: $token}) {
    membership { id role user { id } organization { id } }
    userErrors { field message code }
  }
}
"""

CREATE_TEAM = """
mutation CreateTeam($input: CreateTeamInput!) {
  createTeam(input: $input) {
    team { id name slug description }
    userErrors { field message code }
  }
}
"""

ADD_TEAM_MEMBER = """
mutation AddTeamMember($input: AddTeamMemberInput!) {
  addTeamMember(input: $input) {
    teamMember { id role user { id } }
    userErrors { field message code }
  }
}
"""

CREATE_API_KEY = """
mutation CreateKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    apiKey { id name kind scope prefix expiresAt lastUsedAt revokedAt }
    secret
    userErrors { field message code }
  }
}
"""

CREATE_SERVICE_ACCOUNT = """
mutation CreateSA($input: CreateServiceAccountInput!) {
  createServiceAccount(input: $input) {
    serviceAccount { id name role }
    userErrors { field message code }
  }
}
"""


async def invite(
    client: GraphQLClient,
    organization_id: str,
    inviter: TestUser,
    email: str,
    role: str = "MEMBER",
    team_id: str | None = None,
) -> str:
    """Invite ``email``; return the acceptance token."""
    payload = await client.mutate(
        "createInvitation",
        CREATE_INVITATION,
        {
            "input": {
                "organizationId": organization_id,
                "email": email,
                "role": role,
                "teamId": team_id,
            }
        },
        token=inviter.token,
    )
    token: str = payload["token"]
    return token


async def add_member(
    client: GraphQLClient,
    organization_id: str,
    inviter: TestUser,
    role: str = "MEMBER",
    *,
    user: TestUser | None = None,
    name: str = "Member",
) -> TestUser:
    """A user who joined ``organization_id`` with ``role`` by accepting an invitation."""
    member = user or await make_user(client, name)
    token = await invite(client, organization_id, inviter, member.email, role)
    await client.mutate("acceptInvitation", ACCEPT_INVITATION, {"token": token}, token=member.token)
    return member


async def make_team(
    client: GraphQLClient, organization_id: str, creator: TestUser, name: str | None = None
) -> dict[str, Any]:
    payload = await client.mutate(
        "createTeam",
        CREATE_TEAM,
        {"input": {"organizationId": organization_id, "name": name or unique("Team ")}},
        token=creator.token,
    )
    team: dict[str, Any] = payload["team"]
    return team


async def add_to_team(
    client: GraphQLClient, team_id: str, manager: TestUser, user_id: str, role: str = "MEMBER"
) -> dict[str, Any]:
    payload = await client.mutate(
        "addTeamMember",
        ADD_TEAM_MEMBER,
        {"input": {"teamId": team_id, "userId": user_id, "role": role}},
        token=manager.token,
    )
    member: dict[str, Any] = payload["teamMember"]
    return member


async def make_api_key(
    client: GraphQLClient,
    organization_id: str,
    owner: TestUser,
    scope: str = "READ",
    *,
    kind: str = "SECRET",
    expires_in: str = "NEVER",
    service_account_id: str | None = None,
) -> tuple[dict[str, Any], str]:
    """A new key's record and its secret (shown once)."""
    payload = await client.mutate(
        "createApiKey",
        CREATE_API_KEY,
        {
            "input": {
                "organizationId": organization_id,
                "name": unique("key "),
                "kind": kind,
                "scope": scope,
                "expiresIn": expires_in,
                "serviceAccountId": service_account_id,
            }
        },
        token=owner.token,
    )
    return payload["apiKey"], payload["secret"]


async def make_service_account(
    client: GraphQLClient, organization_id: str, admin: TestUser, role: str = "MEMBER"
) -> dict[str, Any]:
    payload = await client.mutate(
        "createServiceAccount",
        CREATE_SERVICE_ACCOUNT,
        {"input": {"organizationId": organization_id, "name": unique("sa "), "role": role}},
        token=admin.token,
    )
    account: dict[str, Any] = payload["serviceAccount"]
    return account


def user_error(payload: dict[str, Any]) -> dict[str, Any]:
    """The one userError of a failed mutation payload."""
    errors = payload["userErrors"]
    assert len(errors) == 1, errors
    error: dict[str, Any] = errors[0]
    return error


@asynccontextmanager
async def db_session(app: Any) -> AsyncIterator[Any]:
    """A session on the app's database, for looking at (or ageing) rows directly."""
    async with app.state.atrium.db.sessionmaker() as session:
        yield session


# The counter of the code running now. Tasks copy the context they are created in, so
# every task of the request (resolvers, loader batches) sees it, while background tasks
# started earlier (the job worker's polling, the event bus) do not and are not counted.
_current: ContextVar[list[str] | None] = ContextVar("statement_counter", default=None)


def _record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    statements = _current.get()
    if statements is not None:
        statements.append(statement)


@contextmanager
def count_statements(app: Any) -> Iterator[list[str]]:
    """The SQL statements run by this task (and the tasks it starts) inside the block."""
    engine = app.state.atrium.db.engine.sync_engine
    statements: list[str] = []
    token = _current.set(statements)
    event.listen(engine, "before_cursor_execute", _record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _record)
        _current.reset(token)
