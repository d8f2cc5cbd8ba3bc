"""`userEvents` notifies a thread's owner of replies; `teamEvents` carries a team's threads,
membership and presence (seed 001's `user:` and `team:` channels)."""

from __future__ import annotations

from typing import Any

from tests.helpers import GraphQLClient, add_member, add_to_team, make_org, make_team, make_user
from tests.schema.threads.factories import create_thread, post
from tests.support.ws import wait_for_subscribers, ws_client

USER_EVENTS = "subscription { userEvents { type subjectId } }"
TEAM_EVENTS = """
subscription($id: ID!) { teamEvents(teamId: $id) { type status messageId user { id } } }
"""


async def test_the_owner_is_notified_when_a_reply_is_ready(app: Any, client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    thread = await create_thread(client, owner, organizationId=org["id"], useDefaultAssistant=True)
    async with ws_client(app) as ws:
        await ws.init(owner.token)
        operation = await ws.subscribe(USER_EVENTS)
        await wait_for_subscribers(app, f"user:{owner.id}")
        await post(client, owner, thread["id"], "ping")
        message = await ws.next_of(operation, seconds=10)
    event = message["payload"]["data"]["userEvents"]
    assert event["type"] == "MESSAGE_COMPLETED" and event["subjectId"].startswith("msg_")


async def test_team_listeners_see_presence_and_team_thread_messages(
    app: Any, client: GraphQLClient
) -> None:
    # given two members of a team, and an outsider
    owner = await make_user(client)
    org = await make_org(client, owner)
    team = await make_team(client, org["id"], owner)
    mate = await add_member(client, org["id"], owner, "MEMBER")
    outsider = await add_member(client, org["id"], owner, "MEMBER")
    await add_to_team(client, team["id"], owner, mate.id)
    thread = await create_thread(client, owner, organizationId=org["id"], teamId=team["id"])
    async with ws_client(app) as first, ws_client(app) as second, ws_client(app) as third:
        await first.init(owner.token)
        watching = await first.subscribe(TEAM_EVENTS, {"id": team["id"]})
        await wait_for_subscribers(app, f"team:{team['id']}")
        # when the mate comes online and posts in the team's thread
        await second.init(mate.token)
        await second.subscribe(TEAM_EVENTS, {"id": team["id"]})
        online = await first.next_of(watching)
        await post(client, mate, thread["id"], "hello team")
        created = await first.next_of(watching)
        # and the outsider tries to listen
        await third.init(outsider.token)
        refused = await third.next_of(await third.subscribe(TEAM_EVENTS, {"id": team["id"]}))
    assert online["payload"]["data"]["teamEvents"] == {
        "type": "PRESENCE",
        "status": "ONLINE",
        "messageId": None,
        "user": {"id": mate.id},
    }
    event = created["payload"]["data"]["teamEvents"]
    assert event["type"] == "MESSAGE_CREATED" and event["user"] == {"id": mate.id}
    assert refused["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "NOT_FOUND"
