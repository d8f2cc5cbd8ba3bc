"""GraphQL subscriptions over WebSocket (graphql-transport-ws) against the real app."""

from __future__ import annotations

from typing import Any

import pytest
from httpx_ws import WebSocketDisconnect

from atrium.core.pubsub import Event
from tests.helpers import GraphQLClient, make_org, make_user
from tests.support.ws import wait_for_subscribers, wait_until, ws_client

ORG_EVENTS = """
subscription OrgEvents($id: ID!) {
  organizationEvents(organizationId: $id) { type sequence subjectId organization { id } }
}
"""


async def _publish(app: Any, organization_id: str, sequence: int) -> None:
    await app.state.atrium.services.bus.publish(
        Event(
            "member.added",
            f"org:{organization_id}",
            {"subject_id": "mem_x"},
            sequence=sequence,
            organization_id=organization_id,
        )
    )


async def test_subscriber_receives_organization_events(app: Any, client: GraphQLClient) -> None:
    # given a member of an organization, connected and subscribed
    owner = await make_user(client)
    org = await make_org(client, owner)
    async with ws_client(app) as ws:
        assert (await ws.init(owner.token))["type"] == "connection_ack"
        operation = await ws.subscribe(ORG_EVENTS, {"id": org["id"]})
        await wait_for_subscribers(app, f"org:{org['id']}")
        # when an event is published on the organization's topic
        await _publish(app, org["id"], 41)
        # then it arrives, resolved against the graph
        message = await ws.next_of(operation)
    assert message["type"] == "next"
    assert message["payload"]["data"]["organizationEvents"] == {
        "type": "MEMBER_ADDED",
        "sequence": 41,
        "subjectId": "mem_x",
        "organization": {"id": org["id"]},
    }


async def test_subscribing_to_another_organization_is_an_error(
    app: Any, client: GraphQLClient
) -> None:
    owner, stranger = await make_user(client), await make_user(client)
    org = await make_org(client, owner)
    async with ws_client(app) as ws:
        await ws.init(stranger.token)
        operation = await ws.subscribe(ORG_EVENTS, {"id": org["id"]})
        message = await ws.next_of(operation)
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_connection_without_credentials_is_closed_4403(app: Any) -> None:
    async with ws_client(app) as ws:
        await ws.send({"type": "connection_init", "payload": {}})
        with pytest.raises(WebSocketDisconnect) as closed:
            await ws.receive()
    assert closed.value.code == 4403


async def test_subscribe_before_init_is_closed_4401(app: Any) -> None:
    async with ws_client(app) as ws:
        await ws.subscribe("subscription { userEvents { type } }")
        with pytest.raises(WebSocketDisconnect) as closed:
            await ws.receive()
    assert closed.value.code == 4401


async def test_duplicate_operation_id_is_closed_4409(app: Any, client: GraphQLClient) -> None:
    user = await make_user(client)
    async with ws_client(app) as ws:
        await ws.init(user.token)
        await ws.subscribe("subscription { userEvents { type } }", operation_id="a")
        await ws.subscribe("subscription { userEvents { type } }", operation_id="a")
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                await ws.receive()
    assert closed.value.code == 4409


async def test_ping_gets_pong_and_queries_run_once(app: Any, client: GraphQLClient) -> None:
    user = await make_user(client)
    async with ws_client(app) as ws:
        await ws.init(user.token)
        await ws.send({"type": "ping"})
        assert (await ws.receive())["type"] == "pong"
        operation = await ws.subscribe("{ viewer { user { id } } }")
        first, second = await ws.next_of(operation), await ws.next_of(operation)
    assert first["payload"]["data"]["viewer"]["user"]["id"] == user.id
    assert second["type"] == "complete"


async def test_operations_per_connection_are_capped(app: Any, client: GraphQLClient) -> None:
    user = await make_user(client)
    limit = app.state.atrium.settings.ws_max_subscriptions
    async with ws_client(app) as ws:
        await ws.init(user.token)
        for n in range(limit):
            await ws.subscribe("subscription { userEvents { type } }", operation_id=f"s{n}")
        extra = await ws.subscribe("subscription { userEvents { type } }", operation_id="extra")
        message = await ws.next_of(extra)
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_legacy_protocol_is_refused_unless_enabled(app: Any) -> None:
    # the handshake itself is refused: the server closes with 4406 before accepting
    with pytest.raises(BaseException) as refused:
        async with ws_client(app, subprotocols=("graphql-ws",)) as ws:
            await ws.receive()
    error: BaseException = refused.value
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    assert isinstance(error, WebSocketDisconnect) and error.code == 4406


async def test_identical_subscriptions_share_one_execution(app: Any, client: GraphQLClient) -> None:
    # given the same user subscribed twice with the same document, on two sockets
    owner = await make_user(client)
    org = await make_org(client, owner)
    hub = app.state.atrium.hub
    async with ws_client(app) as first, ws_client(app) as second:
        await first.init(owner.token)
        await second.init(owner.token)
        a = await first.subscribe(ORG_EVENTS, {"id": org["id"]})
        b = await second.subscribe(ORG_EVENTS, {"id": org["id"]})
        await wait_for_subscribers(app, f"org:{org['id']}")

        def groups() -> list[Any]:
            return [g for g in hub.groups.values() if g.request.variables == {"id": org["id"]}]

        await wait_until(lambda: sum(len(g.members) for g in groups()) == 2)
        # then the hub runs one group with both members, and one bus subscription
        assert len(groups()) == 1
        assert app.state.atrium.services.bus.subscriber_count(f"org:{org['id']}") == 1
        await _publish(app, org["id"], 1)
        assert (await first.next_of(a))["payload"] == (await second.next_of(b))["payload"]
        assert groups()[0].events == 1


TEAM_EVENTS = """
subscription OrgEvents($id: ID!) {
  organizationEvents(organizationId: $id) {
    type sequence actor { id } team { id name }
  }
}
"""
ACCEPT = "mutation A($t: String!) { acceptInvitation(input: {token: $t}) { userErrors { code } } }"
CREATE_TEAM = """
mutation T($input: CreateTeamInput!) {
  createTeam(input: $input) { team { id } userErrors { code } }
}
"""


async def test_a_mutation_publishes_to_subscribers_after_commit(
    app: Any, client: GraphQLClient
) -> None:
    # given an owner listening to the organization's events
    owner = await make_user(client)
    org = await make_org(client, owner)
    async with ws_client(app) as ws:
        await ws.init(owner.token)
        operation = await ws.subscribe(TEAM_EVENTS, {"id": org["id"]})
        await wait_for_subscribers(app, f"org:{org['id']}")
        # when a team is created, then a failing mutation is attempted
        team = await client.mutate(
            "createTeam",
            CREATE_TEAM,
            {"input": {"organizationId": org["id"], "name": "Core"}},
            token=owner.token,
        )
        failed = await client.execute(
            CREATE_TEAM, {"input": {"organizationId": org["id"], "name": ""}}, token=owner.token
        )
        assert failed.data["createTeam"]["userErrors"]
        await client.mutate(
            "createTeam",
            CREATE_TEAM,
            {"input": {"organizationId": org["id"], "name": "Edge"}},
            token=owner.token,
        )
        first, second = await ws.next_of(operation), await ws.next_of(operation)
    # then the listener gets both teams, resolved, numbered without a gap for the failure
    events = [m["payload"]["data"]["organizationEvents"] for m in (first, second)]
    assert [e["type"] for e in events] == ["TEAM_CREATED", "TEAM_CREATED"]
    assert events[0]["team"] == {"id": team["team"]["id"], "name": "Core"}
    assert events[0]["actor"] == {"id": owner.id}
    assert events[1]["sequence"] == events[0]["sequence"] + 1


async def test_user_events_follow_the_user_across_organizations(
    app: Any, client: GraphQLClient
) -> None:
    owner, invitee = await make_user(client), await make_user(client)
    org = await make_org(client, owner)
    async with ws_client(app) as ws:
        await ws.init(invitee.token)
        operation = await ws.subscribe("subscription { userEvents { type organization { id } } }")
        await wait_for_subscribers(app, f"user:{invitee.id}")
        invitation = await client.mutate(
            "createInvitation",
            "mutation I($input: CreateInvitationInput!) { createInvitation(input: $input) "
            "{ token userErrors { code } } }",
            {"input": {"organizationId": org["id"], "email": invitee.email}},
            token=owner.token,
        )
        await client.mutate(
            "acceptInvitation",
            ACCEPT,
            {"t": invitation["token"]},
            token=invitee.token,
        )
        message = await ws.next_of(operation)
    assert message["payload"]["data"]["userEvents"] == {
        "type": "MEMBER_ADDED",
        "organization": {"id": org["id"]},
    }


CREATE_KEY = """
mutation K($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { apiKey { id } secret userErrors { code } }
}
"""


async def test_a_revoked_key_stops_receiving(app: Any, client: GraphQLClient) -> None:
    # given a subscription authenticated with an API key
    owner = await make_user(client)
    org = await make_org(client, owner)
    key = await client.mutate(
        "createApiKey",
        CREATE_KEY,
        {"input": {"organizationId": org["id"], "name": "listener", "scope": "READ"}},
        token=owner.token,
    )
    async with ws_client(app) as ws:
        await ws.init(key["secret"])
        operation = await ws.subscribe(ORG_EVENTS, {"id": org["id"]})
        await wait_for_subscribers(app, f"org:{org['id']}")
        # when the key is revoked and the next event comes
        await client.mutate(
            "revokeApiKey",
            "mutation R($id: ID!) { revokeApiKey(input: {id: $id}) { userErrors { code } } }",
            {"id": key["apiKey"]["id"]},
            token=owner.token,
        )
        message = await ws.next_of(operation)
    # then the subscription ends with UNAUTHENTICATED instead of delivering it
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_no_connection_init_in_time_is_closed_4408(app: Any, monkeypatch: Any) -> None:
    state = app.state.atrium
    monkeypatch.setattr(
        state, "settings", state.settings.model_copy(update={"ws_init_timeout_seconds": 0.05})
    )
    async with ws_client(app) as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            await ws.receive()
    assert closed.value.code == 4408


async def test_the_server_pings_an_idle_connection(
    app: Any, client: GraphQLClient, monkeypatch: Any
) -> None:
    state = app.state.atrium
    monkeypatch.setattr(
        state, "settings", state.settings.model_copy(update={"ws_keepalive_seconds": 0.05})
    )
    user = await make_user(client)
    async with ws_client(app) as ws:
        assert (await ws.init(user.token))["type"] == "connection_ack"
        # then pings keep coming while the connection is idle, and it stays usable
        assert (await ws.receive())["type"] == "ping"
        assert (await ws.receive())["type"] == "ping"
        await ws.send({"type": "ping"})
        while (message := await ws.receive())["type"] == "ping":
            pass
    assert message["type"] == "pong"
