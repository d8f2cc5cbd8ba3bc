"""Threads and agents built through the public API, and waiting for replies."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.helpers import GraphQLClient, TestUser

MESSAGE_FIELDS = """id role content status replyState queuePosition model inputTokens
outputTokens error idempotencyKey author { id } agent { id name }"""

CREATE_THREAD = """
mutation($input: CreateThreadInput!) {
  createThread(input: $input) {
    thread { id title replying agent { id name } ownerUser { id } ownerTeam { id } deletedAt }
    userErrors { field message code }
  }
}
"""
POST = f"""
mutation($input: PostMessageInput!) {{
  postMessage(input: $input) {{
    message {{ {MESSAGE_FIELDS} }} userErrors {{ field message code }}
  }}
}}
"""
MESSAGES = f"""
query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {{
  thread(id: $id) {{
    replying
    messages(first: $first, after: $after, last: $last, before: $before) {{
      totalCount
      pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
      edges {{ cursor node {{ {MESSAGE_FIELDS} }} }}
    }}
  }}
}}
"""


async def create_thread(client: GraphQLClient, user: TestUser, **fields: Any) -> dict[str, Any]:
    payload = await client.mutate(
        "createThread", CREATE_THREAD, {"input": fields}, token=user.token
    )
    return payload["thread"]  # type: ignore[no-any-return]


async def post(
    client: GraphQLClient, user: TestUser, thread_id: str, content: str, **extra: Any
) -> dict[str, Any]:
    payload = await client.mutate(
        "postMessage",
        POST,
        {"input": {"threadId": thread_id, "content": content, **extra}},
        token=user.token,
    )
    return payload["message"]  # type: ignore[no-any-return]


async def messages(
    client: GraphQLClient, user: TestUser, thread_id: str, **args: Any
) -> dict[str, Any]:
    response = await client.execute(MESSAGES, {"id": thread_id, **args}, token=user.token)
    return response.data["thread"]  # type: ignore[no-any-return]


async def wait_until_answered(
    client: GraphQLClient, user: TestUser, thread_id: str, seconds: float = 15.0
) -> list[dict[str, Any]]:
    """Poll until the thread's reply queue is empty; return its messages, oldest first."""
    deadline = time.monotonic() + seconds
    while True:
        thread = await messages(client, user, thread_id, first=100)
        nodes = [e["node"] for e in thread["messages"]["edges"]]
        waiting = [m for m in nodes if m["replyState"] in ("QUEUED", "RUNNING")]
        if (not waiting and not thread["replying"]) or time.monotonic() > deadline:
            return nodes
        await asyncio.sleep(0.05)
