"""A listener who loses access to a thread stops hearing it."""

from __future__ import annotations

from typing import Any

from tests.helpers import GraphQLClient, add_member, add_to_team, make_org, make_team, make_user
from tests.schema.threads.factories import create_thread, post
from tests.support.ws import wait_for_subscribers, ws_client

EVENTS = "subscription($id: ID!) { threadEvents(threadId: $id) { type } }"
REMOVE = """
mutation($team: ID!, $user: ID!) { removeTeamMember(input: {teamId: $team, userId: $user}) {
  userErrors { field message code } } }
"""


async def test_removed_team_member_stops_receiving(app: Any, client: GraphQLClient) -> None:
    # given a team member listening to a team thread
    owner = await make_user(client)
    org = await make_org(client, owner)
    team = await make_team(client, org["id"], owner)
    member = await add_member(client, org["id"], owner, "MEMBER")
    await add_to_team(client, team["id"], owner, member.id)
    thread = await create_thread(client, owner, organizationId=org["id"], teamId=team["id"])
    async with ws_client(app) as ws:
        await ws.init(member.token)
        operation = await ws.subscribe(EVENTS, {"id": thread["id"]})
        await wait_for_subscribers(app, f"thread:{thread['id']}")
        # when they are removed from the team and a message is posted
        await client.mutate(
            "removeTeamMember", REMOVE, {"team": team["id"], "user": member.id}, token=owner.token
        )
        await post(client, owner, thread["id"], "secret plan")
        message = await ws.next_of(operation)
    # then the stream ends with NOT_FOUND instead of the message
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "NOT_FOUND"
