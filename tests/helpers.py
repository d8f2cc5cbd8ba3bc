"""Small test helpers: a GraphQL client over real HTTP (ASGI) and row factories that go
through the public API."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
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
