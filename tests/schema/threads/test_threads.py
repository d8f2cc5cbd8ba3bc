"""Threads of users and teams, messages, idempotency, paging and soft delete."""

from __future__ import annotations

from tests.helpers import GraphQLClient, add_member, add_to_team, make_org, make_team, make_user
from tests.schema.threads.factories import POST, create_thread, messages, post


async def test_user_and_team_threads_are_seen_by_their_people_only(client: GraphQLClient) -> None:
    # given an owner, a team member and another member
    owner = await make_user(client)
    org = await make_org(client, owner)
    insider = await add_member(client, org["id"], owner, "MEMBER")
    outsider = await add_member(client, org["id"], owner, "MEMBER")
    team = await make_team(client, org["id"], owner)
    await add_to_team(client, team["id"], owner, insider.id)
    # when the insider starts a personal thread and a team thread
    mine = await create_thread(client, insider, organizationId=org["id"], title="Mine")
    ours = await create_thread(client, insider, organizationId=org["id"], teamId=team["id"])
    assert mine["ownerUser"] == {"id": insider.id} and ours["ownerTeam"] == {"id": team["id"]}
    # then each person lists exactly the threads they may read
    query = "{ threads { nodes { id } } }"

    async def ids(user: object) -> set[str]:
        response = await client.execute(query, token=user.token)  # type: ignore[attr-defined]
        return {n["id"] for n in response.data["threads"]["nodes"]}

    assert await ids(insider) == {mine["id"], ours["id"]}
    assert await ids(outsider) == set()
    assert await ids(owner) == {ours["id"]}  # admins see team threads, not personal ones
    hidden = await client.execute(
        "query($id: ID!) { thread(id: $id) { id } }", {"id": mine["id"]}, token=owner.token
    )
    assert hidden.codes == ["NOT_FOUND"]
    refused = await client.execute(
        POST, {"input": {"threadId": mine["id"], "content": "hi"}}, token=outsider.token
    )
    assert refused.data["postMessage"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_the_same_idempotency_key_creates_one_message(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    thread = await create_thread(client, owner, organizationId=org["id"])
    first = await post(client, owner, thread["id"], "Deploy?", idempotencyKey="k-1")
    again = await post(client, owner, thread["id"], "Deploy?", idempotencyKey="k-1")
    assert again["id"] == first["id"] and first["idempotencyKey"] == "k-1"
    page = await messages(client, owner, thread["id"])
    assert page["messages"]["totalCount"] == 1
    assert first["replyState"] is None  # no agent, no reply


async def test_messages_page_in_both_directions(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    thread = await create_thread(client, owner, organizationId=org["id"])
    for i in range(7):
        await post(client, owner, thread["id"], f"m{i}")
    # the newest three, then the three before them
    newest = (await messages(client, owner, thread["id"], last=3))["messages"]
    assert [e["node"]["content"] for e in newest["edges"]] == ["m4", "m5", "m6"]
    assert newest["pageInfo"]["hasPreviousPage"] is True
    older = (
        await messages(
            client, owner, thread["id"], last=3, before=newest["pageInfo"]["startCursor"]
        )
    )["messages"]
    assert [e["node"]["content"] for e in older["edges"]] == ["m1", "m2", "m3"]
    # and a listener catching up after m4 gets m5 and m6
    cursor = newest["edges"][0]["cursor"]
    caught_up = (await messages(client, owner, thread["id"], first=10, after=cursor))["messages"]
    assert [e["node"]["content"] for e in caught_up["edges"]] == ["m5", "m6"]


async def test_rename_soft_delete_and_restore(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    thread = await create_thread(client, owner, organizationId=org["id"], title="Old")
    renamed = await client.mutate(
        "updateThread",
        'mutation($id: ID!) { updateThread(input: {id: $id, title: "New"}) { thread { title } '
        "userErrors { field message code } } }",
        {"id": thread["id"]},
        token=owner.token,
    )
    assert renamed["thread"]["title"] == "New"
    await client.mutate(
        "deleteThread",
        "mutation($id: ID!) { deleteThread(input: {id: $id}) { thread { deletedAt } "
        "userErrors { field message code } } }",
        {"id": thread["id"]},
        token=owner.token,
    )
    listing = "query($d: Boolean!) { threads(includeDeleted: $d) { nodes { id deletedAt } } }"
    hidden = await client.execute(listing, {"d": False}, token=owner.token)
    shown = await client.execute(listing, {"d": True}, token=owner.token)
    assert hidden.data["threads"]["nodes"] == []
    assert shown.data["threads"]["nodes"][0]["deletedAt"] is not None
    refused = await client.execute(
        POST, {"input": {"threadId": thread["id"], "content": "x"}}, token=owner.token
    )
    assert refused.data["postMessage"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_bad_messages_are_user_errors(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    thread = await create_thread(client, owner, organizationId=org["id"])
    response = await client.execute(
        POST,
        {
            "input": {
                "threadId": thread["id"],
                "content": " ",
                "role": "ASSISTANT",
                "parts": [{"type": "nope"}],
            }
        },
        token=owner.token,
    )
    fields = {tuple(e["field"]) for e in response.data["postMessage"]["userErrors"]}
    assert fields == {("role",), ("parts", "0")}


async def test_owner_paths_and_foreign_teams_are_not_found(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    team = await make_team(client, org["id"], owner)
    thread = await create_thread(client, owner, organizationId=org["id"])
    # updateThread checks the owner a REST path carries
    wrong_owner = await client.execute(
        'mutation($id: ID!, $o: ID!) { updateThread(input: {id: $id, ownerId: $o, title: "x"})'
        " { userErrors { code } } }",
        {"id": thread["id"], "o": team["id"]},
        token=owner.token,
    )
    assert wrong_owner.data["updateThread"]["userErrors"] == [{"code": "NOT_FOUND"}]
    # another organization's team is NOT_FOUND, not an empty list
    stranger = await make_user(client)
    await make_org(client, stranger)
    foreign = await client.execute(
        "query($t: ID!) { threads(teamId: $t) { totalCount } }",
        {"t": team["id"]},
        token=stranger.token,
    )
    assert foreign.codes == ["NOT_FOUND"]
