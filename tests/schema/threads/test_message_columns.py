"""A thread's messages read only the columns the query selects, and answer the same."""

from __future__ import annotations

from typing import Any

from tests.helpers import GraphQLClient, count_statements, make_org, make_user
from tests.schema.threads.factories import create_thread, post, wait_until_answered

EVERY_FIELD = """id role content parts status idempotencyKey replyState queuePosition model
inputTokens outputTokens error createdAt completedAt author { id } agent { id }
replyTo { id } thread { id }"""

BOTH = f"""
query($id: ID!) {{
  thread(id: $id) {{
    narrow: messages(first: 10) {{ nodes {{ id content }} }}
    wide: messages(first: 10) {{ edges {{ cursor node {{ {EVERY_FIELD} }} }} }}
    links: messages(first: 10) {{
      nodes {{ id author {{ id }} agent {{ id }} replyTo {{ id }} thread {{ id }} queuePosition }}
    }}
  }}
}}
"""
ONE = f"query($id: ID!) {{ node(id: $id) {{ ... on Message {{ {EVERY_FIELD} }} }} }}"


def _messages_statements(statements: list[str]) -> list[str]:
    return [s for s in statements if "row_number() OVER (PARTITION BY messages.thread_id" in s]


async def test_narrow_and_wide_selections_of_messages_answer_like_the_full_rows(
    client: GraphQLClient, app: Any
) -> None:
    # given a thread with the assistant: user messages with parts and keys, and replies
    owner = await make_user(client)
    org = await make_org(client, owner)
    thread = await create_thread(client, owner, organizationId=org["id"], useDefaultAssistant=True)
    await post(
        client,
        owner,
        thread["id"],
        "Size the cache",
        idempotencyKey="k-1",
        parts=[{"type": "text", "text": "Size the cache"}],
    )
    await post(client, owner, thread["id"], "And the queue")
    await wait_until_answered(client, owner, thread["id"])
    # when one query reads the messages three times: two fields, every field, and only
    # what resolvers find through the row (author, agent, the message replied to…)
    with count_statements(app) as statements:
        response = await client.execute(BOTH, {"id": thread["id"]}, token=owner.token)
    assert not response.errors, response.errors
    narrow = response.data["thread"]["narrow"]["nodes"]
    wide = [edge["node"] for edge in response.data["thread"]["wide"]["edges"]]
    # then both list the same messages, and every field is what the whole row says
    assert len(wide) == 4 and [m["id"] for m in narrow] == [m["id"] for m in wide]
    assert [m["content"] for m in narrow] == [m["content"] for m in wide]
    links = response.data["thread"]["links"]["nodes"]
    for message, linked in zip(wide, links, strict=True):
        full = await client.execute(ONE, {"id": message["id"]}, token=owner.token)
        assert full.data["node"] == message
        assert linked == {name: message[name] for name in linked}
    first = wide[0]
    assert first["parts"] == [{"type": "text", "text": "Size the cache"}]
    assert first["idempotencyKey"] == "k-1" and first["author"] == {"id": owner.id}
    reply = next(m for m in wide if m["replyTo"] == {"id": first["id"]})
    assert reply["role"] == "ASSISTANT" and reply["agent"] is not None
    assert reply["model"] == "offline" and reply["completedAt"] is not None
    assert all(m["thread"] == {"id": thread["id"]} for m in wide)
    # and the narrow read fetched only its columns, the wide one all of them
    reads = _messages_statements(statements)
    assert len(reads) == 3, reads
    narrow_sql = next(s for s in reads if "messages.content" in s and "messages.parts" not in s)
    assert "messages.model" not in narrow_sql
    links_sql = next(s for s in reads if "messages.content" not in s)
    assert "messages.author_agent_id" in links_sql and "messages.reply_state" in links_sql
    assert any("messages.parts" in s and "messages.reply_to_id" in s for s in reads)
