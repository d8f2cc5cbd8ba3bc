"""Agent replies: queued at once, answered one at a time, streamed, usage recorded."""

from __future__ import annotations

from typing import Any

from tests.helpers import GraphQLClient, make_org, make_user
from tests.schema.threads.factories import create_thread, messages, post, wait_until_answered
from tests.support.openai_server import openai_server
from tests.support.ws import wait_for_subscribers, wait_until, ws_client

EVENTS = """
subscription($id: ID!) {
  threadEvents(threadId: $id) { type messageId cursor delta index status code }
}
"""


async def _assistant_id(client: GraphQLClient, token: str) -> str:
    response = await client.execute("{ agents(scopes: [BUILT_IN]) { nodes { id } } }", token=token)
    return response.data["agents"]["nodes"][0]["id"]  # type: ignore[no-any-return]


async def test_the_offline_assistant_answers_each_message_in_order(client: GraphQLClient) -> None:
    # given a thread with the organization's assistant
    owner = await make_user(client)
    org = await make_org(client, owner)
    thread = await create_thread(client, owner, organizationId=org["id"], useDefaultAssistant=True)
    assert thread["agent"]["name"] == "Assistant"
    # when three messages are posted back to back
    posted = [await post(client, owner, thread["id"], f"question {i}") for i in range(3)]
    # then each returns at once, queued
    assert all(m["replyState"] in ("QUEUED", "RUNNING", "ANSWERED") for m in posted)
    # and each gets its own reply, after it, in order, saying it is offline, with usage
    nodes = await wait_until_answered(client, owner, thread["id"])
    assert len(nodes) == 6 and nodes[0]["role"] == "USER"
    replies = [m for m in nodes if m["role"] == "ASSISTANT"]
    assert len(replies) == 3
    for i, reply in enumerate(replies):
        assert reply["status"] == "COMPLETED" and reply["content"].startswith("[offline]")
        assert f"question {i}" in reply["content"]
        assert reply["model"] == "offline" and reply["outputTokens"] > 0
        assert reply["agent"]["name"] == "Assistant"
    assert all(m["replyState"] == "ANSWERED" for m in nodes if m["role"] == "USER")


async def test_a_listener_sees_the_reply_stream(app: Any, client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    thread = await create_thread(client, owner, organizationId=org["id"], useDefaultAssistant=True)
    async with ws_client(app) as ws:
        await ws.init(owner.token)
        operation = await ws.subscribe(EVENTS, {"id": thread["id"]})
        await wait_for_subscribers(app, f"thread:{thread['id']}")
        question = await post(client, owner, thread["id"], "How do I deploy?")
        seen: list[dict[str, Any]] = []
        while not seen or seen[-1]["type"] != "AGENT_STATUS" or seen[-1]["status"] != "IDLE":
            message = await ws.next_of(operation, seconds=10)
            seen.append(message["payload"]["data"]["threadEvents"])
    types = [e["type"] for e in seen]
    # the question, the reply created, its status, deltas in order, completion, idle
    assert types[0] == "MESSAGE_CREATED" and seen[0]["messageId"] == question["id"]
    assert types[1] == "MESSAGE_CREATED"
    reply_id = seen[1]["messageId"]
    deltas = [e for e in seen if e["type"] == "MESSAGE_DELTA"]
    assert len(deltas) >= 2 and [d["index"] for d in deltas] == list(range(len(deltas)))
    assert all(d["messageId"] == reply_id for d in deltas)
    assert "MESSAGE_COMPLETED" in types and types.index("MESSAGE_COMPLETED") > types.index(
        "MESSAGE_DELTA"
    )
    assert seen[0]["cursor"]  # to catch up with messages(after:)
    text = "".join(d["delta"] for d in deltas)
    final = await wait_until_answered(client, owner, thread["id"])
    assert final[-1]["content"] == text


async def test_an_openai_compatible_agent_streams_from_its_server(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    async with openai_server() as fake:
        fake.reply(["Use ", "blue-green ", "deploys."], usage=(42, 5), model="gpt-test")
        agent = await client.mutate(
            "createAgent",
            """mutation($input: CreateAgentInput!) { createAgent(input: $input) {
                 agent { id } userErrors { field message code } } }""",
            {
                "input": {
                    "organizationId": org["id"],
                    "name": "Deployer",
                    "model": "gpt-test",
                    "systemPrompt": "You deploy things.",
                    "provider": "openai",
                    "providerBaseUrl": fake.base_url,
                    "providerApiKey": "sk-fake",
                }
            },
            token=owner.token,
        )
        thread = await create_thread(
            client, owner, organizationId=org["id"], agentId=agent["agent"]["id"]
        )
        await post(client, owner, thread["id"], "How should we deploy?")
        nodes = await wait_until_answered(client, owner, thread["id"])
        [request] = fake.requests
    reply = nodes[-1]
    assert (reply["content"], reply["model"]) == ("Use blue-green deploys.", "gpt-test")
    assert (reply["inputTokens"], reply["outputTokens"]) == (42, 5)
    assert request.headers["authorization"] == "Bearer sk-fake"
    assert request.messages[0] == {"role": "system", "content": "You deploy things."}
    assert request.messages[-1] == {"role": "user", "content": "How should we deploy?"}


async def test_a_rejected_key_fails_the_reply_with_an_error(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    async with openai_server() as fake:
        fake.fail(401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key")
        agent = await client.mutate(
            "createAgent",
            """mutation($input: CreateAgentInput!) { createAgent(input: $input) {
                 agent { id } userErrors { field message code } } }""",
            {
                "input": {
                    "organizationId": org["id"],
                    "name": "Broken",
                    "provider": "openai",
                    "providerBaseUrl": fake.base_url,
                    "providerApiKey": "bad",
                }
            },
            token=owner.token,
        )
        thread = await create_thread(
            client, owner, organizationId=org["id"], agentId=agent["agent"]["id"]
        )
        await post(client, owner, thread["id"], "Hello?")
        nodes = await wait_until_answered(client, owner, thread["id"])
    question, reply = nodes
    assert question["replyState"] == "FAILED"
    assert reply["status"] == "FAILED" and reply["error"]


async def test_waiting_messages_show_their_place_in_the_queue(client: GraphQLClient) -> None:
    # given an agent whose server hangs on the first reply
    owner = await make_user(client)
    org = await make_org(client, owner)
    async with openai_server() as fake:
        fake.stall()
        agent = await client.mutate(
            "createAgent",
            """mutation($input: CreateAgentInput!) { createAgent(input: $input) {
                 agent { id } userErrors { field message code } } }""",
            {
                "input": {
                    "organizationId": org["id"],
                    "name": "Slow",
                    "provider": "openai",
                    "providerBaseUrl": fake.base_url,
                    "providerApiKey": "k",
                }
            },
            token=owner.token,
        )
        thread = await create_thread(
            client, owner, organizationId=org["id"], agentId=agent["agent"]["id"]
        )
        first = await post(client, owner, thread["id"], "one")
        await wait_until(lambda: bool(fake.requests))  # the first reply is being written
        # when two more messages arrive meanwhile
        later = [await post(client, owner, thread["id"], text) for text in ("two", "three")]
        # then they wait behind it, in order
        page = await messages(client, owner, thread["id"], first=10)
        states = {
            e["node"]["id"]: (e["node"]["replyState"], e["node"]["queuePosition"])
            for e in page["messages"]["edges"]
        }
    assert states[first["id"]] == ("RUNNING", 1)
    assert [states[m["id"]] for m in later] == [("QUEUED", 2), ("QUEUED", 3)]
