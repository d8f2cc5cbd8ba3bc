"""The OpenAI-compatible proxy end to end: a real upstream on loopback, streaming and not,
virtual keys and API keys, recorded tokens and cost, /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
import pytest

from atrium.engines.llm import cost_of
from tests.helpers import GraphQLClient, make_user
from tests.schema.llm.factories import chat, eventually, make_proxy
from tests.support.openai_server import FakeOpenAI, openai_server

REQUESTS = """
query($org: ID, $proxy: ID) {
  llmRequests(organizationId: $org, proxyId: $proxy, first: 10) {
    totalCount
    nodes { model inputTokens outputTokens cost priced streamed statusCode virtualKeyId
            proxy { id } }
  }
}
"""


@pytest.fixture(scope="module")
async def upstream() -> AsyncIterator[FakeOpenAI]:
    async with openai_server() as fake:
        yield fake


async def _records(client: GraphQLClient, token: str, org: str, proxy: str, count: int = 1) -> dict:
    """The proxy's recorded calls, once ``count`` are written (the recorder writes them
    a few milliseconds after their answers)."""

    async def probe() -> dict:
        response = await client.execute(REQUESTS, {"org": org, "proxy": proxy}, token=token)
        return dict(response.data["llmRequests"])

    return await eventually(probe, lambda found: len(found["nodes"]) >= count)


async def test_whole_answer_is_forwarded_and_recorded(
    client: GraphQLClient, upstream: FakeOpenAI
) -> None:
    setup = await make_proxy(client, upstream.base_url)
    upstream.reply(["Hello", " there"], usage=(1200, 300))
    response = await chat(client.http, setup.proxy, setup.key, temperature=0.2)
    assert response.status_code == 200
    body = response.json()
    assert body["choices"][0]["message"]["content"] == "Hello there"
    sent = upstream.requests[-1]
    assert sent.headers["authorization"] == "Bearer sk-upstream-secret"  # not the virtual key
    assert sent.body["temperature"] == 0.2 and sent.model == "gpt-4o-mini"
    records = await _records(client, setup.owner.token, setup.org, setup.proxy)
    assert records["totalCount"] == 1
    record = records["nodes"][0]
    expected = cost_of("gpt-4o-mini", 1200, 300).total
    assert record["inputTokens"] == 1200 and record["outputTokens"] == 300
    assert record["cost"] == pytest.approx(expected) and expected > 0 and record["priced"]
    assert record["streamed"] is False and record["statusCode"] == 200
    assert record["virtualKeyId"] == setup.key_id and record["proxy"]["id"] == setup.proxy


async def test_stream_is_relayed_and_usage_recorded(
    client: GraphQLClient, upstream: FakeOpenAI
) -> None:
    setup = await make_proxy(client, upstream.base_url)
    upstream.reply(["a", "b", "c"], usage=(50, 20))
    response = await chat(client.http, setup.proxy, setup.key, stream=True)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [e for e in response.text.split("\n\n") if e]
    assert events[-1] == "data: [DONE]"
    chunks = [orjson.loads(e.removeprefix("data: ")) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "abc"
    # the proxy asked for usage; the client did not, so it does not see the usage chunk
    assert upstream.requests[-1].body["stream_options"] == {"include_usage": True}
    assert all(c["choices"] for c in chunks)
    record = (await _records(client, setup.owner.token, setup.org, setup.proxy))["nodes"][0]
    assert (record["inputTokens"], record["outputTokens"], record["streamed"]) == (50, 20, True)
    assert record["cost"] == pytest.approx(cost_of("gpt-4o-mini", 50, 20).total)


async def test_stream_keeps_usage_chunk_when_asked(
    client: GraphQLClient, upstream: FakeOpenAI
) -> None:
    setup = await make_proxy(client, upstream.base_url)
    upstream.reply(["x"], usage=(3, 4))
    response = await chat(
        client.http,
        setup.proxy,
        setup.key,
        stream=True,
        stream_options={"include_usage": True},
    )
    usage = [orjson.loads(e[6:]) for e in response.text.split("\n\n") if '"usage"' in e]
    assert usage and usage[0]["usage"]["prompt_tokens"] == 3


async def test_keys_are_checked(client: GraphQLClient, upstream: FakeOpenAI) -> None:
    setup = await make_proxy(client, upstream.base_url)
    other = await make_proxy(client, upstream.base_url)
    before = len(upstream.requests)
    for key in ("vk_live_not-a-real-key-at-all-0000000000", other.key, ""):
        response = await chat(client.http, setup.proxy, key)
        assert response.status_code == 401, key
        assert response.json()["error"]["code"] == "invalid_api_key"
    assert len(upstream.requests) == before  # nothing was forwarded
    # an Atrium API key of a member works; a stranger's proxy is not found
    keys = await client.execute(
        'mutation($o: ID) { createApiKey(input: {name: "k", organizationId: $o}) { secret } }',
        {"o": setup.org},
        token=setup.owner.token,
    )
    secret = keys.data["createApiKey"]["secret"]
    assert (await chat(client.http, setup.proxy, secret)).status_code == 200
    stranger = await make_user(client)
    assert (await chat(client.http, setup.proxy, stranger.token)).status_code == 404


async def test_revoked_key_is_refused(client: GraphQLClient, upstream: FakeOpenAI) -> None:
    setup = await make_proxy(client, upstream.base_url)
    assert (await chat(client.http, setup.proxy, setup.key)).status_code == 200
    revoke = await client.execute(
        "mutation($id: ID!) { revokeLlmVirtualKey(input: {id: $id}) "
        "{ virtualKey { revokedAt } userErrors { code } } }",
        {"id": setup.key_id},
        token=setup.owner.token,
    )
    assert revoke.data["revokeLlmVirtualKey"]["virtualKey"]["revokedAt"]
    assert (await chat(client.http, setup.proxy, setup.key)).status_code == 401


async def test_upstream_errors_pass_through(client: GraphQLClient, upstream: FakeOpenAI) -> None:
    setup = await make_proxy(client, upstream.base_url)
    upstream.fail(400, "bad things", "invalid_request_error", "bad")
    response = await chat(client.http, setup.proxy, setup.key)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "bad things"
    dead = await make_proxy(client, "http://127.0.0.1:9/v1")
    response = await chat(client.http, dead.proxy, dead.key)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_unavailable"


async def test_metrics_count_tokens_and_cost(client: GraphQLClient, upstream: FakeOpenAI) -> None:
    setup = await make_proxy(client, upstream.base_url)
    upstream.reply(["ok"], usage=(1000, 500))
    assert (await chat(client.http, setup.proxy, setup.key)).status_code == 200
    text = (await client.http.get("/metrics")).text
    labels = f'agent_id="{setup.proxy}",model="gpt-4o-mini"'
    assert f'llm_tokens_total{{{labels},type="input"}} 1000.0' in text
    assert f'llm_tokens_total{{{labels},type="output"}} 500.0' in text
    cost = cost_of("gpt-4o-mini", 1000, 500).total
    line = next(x for x in text.splitlines() if x.startswith(f"llm_cost_total{{{labels}}}"))
    assert float(line.split()[-1]) == pytest.approx(cost)
    assert f"llm_request_duration_seconds_count{{{labels}," in text
