"""Query cost (GitHub's points), depth, alias and token limits, and the hourly budget."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from atrium.app import create_app
from atrium.core.config import Settings
from atrium.core.limits import MemoryRateLimiter, RedisRateLimiter, query_cost
from atrium.schema import create_schema
from tests.helpers import GraphQLClient, make_api_key, make_org, make_user
from tests.support.redis_server import RedisServer

SCHEMA = create_schema(Settings())._schema


def _cost(query: str, variables: dict[str, Any] | None = None) -> tuple[int, int, int]:
    document = parse(query)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    cost = query_cost(SCHEMA, operation, fragments, variables)
    return cost.requests, cost.nodes, cost.points


def test_github_example_50_organizations_with_10_members_each() -> None:
    # GitHub: 1 request for the 50 parents + 50 for their children = 51 → 1 point
    query = (
        "{ viewer { organizations(first: 50) { nodes { members(first: 10) { totalCount } } } } }"
    )
    assert _cost(query) == (51, 550, 1)


def test_cost_grows_with_nesting_and_reads_variables_and_fragments() -> None:
    query = """
    query Q($n: Int) { viewer { organizations(first: $n) { nodes { ...Org } } } }
    fragment Org on Organization {
      teams(first: 100) { nodes { members(first: 100) { nodes { id } } } }
    }
    """
    requests, nodes, points = _cost(query, {"n": 100})
    assert requests == 1 + 100 + 100 * 100
    assert nodes == 100 + 100 * 100 + 100 * 100 * 100
    assert points == round(requests / 100)
    assert _cost("{ viewer { scope } }") == (0, 0, 1)  # at least one point


@pytest.fixture
async def strict_app(settings: Settings) -> AsyncIterator[Any]:
    strict = settings.model_copy(
        update={
            "max_query_depth": 5,
            "max_aliases": 3,
            "max_tokens": 200,
            "max_query_nodes": 1000,
            "rate_limit_free_per_hour": 3,
            "rate_limit_pro_per_hour": 5,
            "rate_limit_anonymous_per_hour": 1_000_000,
        }
    )
    app = create_app(strict)
    yield app
    await app.state.atrium.services.close()


@pytest.fixture
async def strict(strict_app: Any) -> AsyncIterator[GraphQLClient]:
    async with GraphQLClient.for_app(strict_app) as client:
        yield client


async def test_depth_aliases_tokens_and_nodes_are_bounded(strict: GraphQLClient) -> None:
    user = await make_user(strict)
    deep = (
        "{ viewer { organizations { nodes { members { nodes "
        "{ user { memberships { nodes { id } } } } } } } } }"
    )
    aliases = "{ a: viewer { scope } b: viewer { scope } c: viewer { scope } d: viewer { scope } }"
    tokens = "{ viewer { " + " ".join(["scope"] * 250) + " } }"
    wide = (
        "{ viewer { organizations(first: 100) { nodes { members(first: 100) { totalCount } } } } }"
    )
    for query in (deep, aliases, tokens, wide):
        response = await strict.execute(query, token=user.token)
        assert response.codes == ["QUERY_TOO_COMPLEX"], query
        assert "data" not in response.body or response.body["data"] is None


async def test_budget_is_spent_per_credential_then_429(strict: GraphQLClient) -> None:
    user = await make_user(strict)
    remaining = []
    for _ in range(3):
        response = await strict.execute("{ viewer { scope } }", token=user.token)
        assert response.status == 200
        assert response.body["extensions"]["rateLimit"]["limit"] == 3
        remaining.append(int(response.headers["x-ratelimit-remaining"]))
    assert remaining == [2, 1, 0]
    refused = await strict.execute("{ viewer { scope } }", token=user.token)
    assert refused.status == 429 and refused.codes == ["RATE_LIMITED"]
    assert int(refused.headers["x-ratelimit-reset"]) > 0
    other = await make_user(strict)  # another credential has its own budget
    assert (await strict.execute("{ viewer { scope } }", token=other.token)).status == 200


async def test_budget_follows_the_organization_plan(strict: GraphQLClient, strict_app: Any) -> None:
    owner = await make_user(strict)
    org = await make_org(strict, owner)
    await strict.mutate(
        "updateOrganization",
        "mutation U($id: ID!) { updateOrganization(input: {id: $id, plan: PRO}) "
        "{ userErrors { code } } }",
        {"id": org["id"]},
        token=owner.token,
    )
    _, key = await make_api_key(strict, org["id"], owner, scope="READ")
    response = await strict.execute("{ viewer { scope } }", token=key)
    assert response.headers["x-ratelimit-limit"] == "5"


async def test_memory_limiter_refuses_without_spending() -> None:
    limiter = MemoryRateLimiter()
    assert (await limiter.consume("k", 3, 4)).remaining == 1
    refused = await limiter.consume("k", 2, 4)
    assert not refused.allowed and refused.remaining == 1
    assert (await limiter.consume("k", 1, 4)).allowed


async def test_redis_limiter_is_shared_between_processes() -> None:
    with RedisServer() as redis:
        first, second = RedisRateLimiter(redis.url), RedisRateLimiter(redis.url)
        try:
            assert (await first.consume("shared", 2, 3)).allowed
            assert not (await second.consume("shared", 2, 3)).allowed
            assert (await second.consume("shared", 1, 3)).remaining == 0
        finally:
            await first.close()
            await second.close()
