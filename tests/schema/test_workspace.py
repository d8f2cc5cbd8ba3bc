"""A team's workspace: tasks, custom objects and feedback, for its members only."""

from __future__ import annotations

from tests.helpers import GraphQLClient, add_member, add_to_team, make_org, make_team, make_user
from tests.schema.threads.factories import create_thread, post

CREATE_TASK = """
mutation($input: CreateTaskInput!) { createTask(input: $input) {
  task { id title status dueDate overdue assignee { id } } userErrors { field message code } } }
"""
TASKS = """
query($team: ID!, $status: TaskStatus) { tasks(teamId: $team, status: $status) {
  totalCount nodes { title status } } }
"""
OBJECTS = """
query($team: ID!, $type: String) { customObjects(teamId: $team, type: $type) {
  totalCount nodes { type data } } }
"""


async def test_tasks_belong_to_the_team(client: GraphQLClient) -> None:
    # given a team with a member and an outsider in the same organization
    owner = await make_user(client)
    org = await make_org(client, owner)
    team = await make_team(client, org["id"], owner)
    member = await add_member(client, org["id"], owner, "MEMBER")
    outsider = await add_member(client, org["id"], owner, "MEMBER")
    await add_to_team(client, team["id"], owner, member.id)
    # when the member adds tasks, one overdue and assigned to them
    late = await client.mutate(
        "createTask",
        CREATE_TASK,
        {
            "input": {
                "teamId": team["id"],
                "title": "Rotate keys",
                "dueDate": "2020-01-01",
                "assigneeId": member.id,
            }
        },
        token=member.token,
    )
    assert late["task"]["overdue"] is True and late["task"]["assignee"] == {"id": member.id}
    await client.mutate(
        "createTask",
        CREATE_TASK,
        {"input": {"teamId": team["id"], "title": "Ship", "status": "DONE"}},
        token=member.token,
    )
    # then the team lists and filters them; the outsider sees no such team
    done = await client.execute(TASKS, {"team": team["id"], "status": "DONE"}, token=member.token)
    assert done.data["tasks"]["nodes"] == [{"title": "Ship", "status": "DONE"}]
    hidden = await client.execute(TASKS, {"team": team["id"]}, token=outsider.token)
    assert hidden.codes == ["NOT_FOUND"]
    refused = await client.execute(
        CREATE_TASK, {"input": {"teamId": team["id"], "title": "x"}}, token=outsider.token
    )
    assert refused.data["createTask"]["userErrors"][0]["code"] == "NOT_FOUND"
    # and bad input is a userError per field
    bad = await client.execute(
        CREATE_TASK,
        {"input": {"teamId": team["id"], "title": " ", "assigneeId": outsider.id + "x"}},
        token=member.token,
    )
    fields = {tuple(e["field"]) for e in bad.data["createTask"]["userErrors"]}
    assert fields == {("title",), ("assigneeId",)}


async def test_custom_objects_filter_by_type(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    team = await make_team(client, org["id"], owner)
    create = """mutation($input: CreateCustomObjectInput!) { createCustomObject(input: $input) {
      customObject { id type data } userErrors { field message code } } }"""
    for type_, data in (
        ("customer", {"name": "Acme"}),
        ("customer", {"name": "Globex"}),
        ("invoice", {"total": 10}),
    ):
        await client.mutate(
            "createCustomObject",
            create,
            {"input": {"teamId": team["id"], "type": type_, "data": data}},
            token=owner.token,
        )
    customers = await client.execute(
        OBJECTS, {"team": team["id"], "type": "customer"}, token=owner.token
    )
    assert [n["data"]["name"] for n in customers.data["customObjects"]["nodes"]] == [
        "Acme",
        "Globex",
    ]
    bad = await client.execute(
        create, {"input": {"teamId": team["id"], "type": "9bad", "data": [1]}}, token=owner.token
    )
    fields = {tuple(e["field"]) for e in bad.data["createCustomObject"]["userErrors"]}
    assert fields == {("type",), ("data",)}


async def test_feedback_is_one_rating_per_person_per_message(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    thread = await create_thread(client, owner, organizationId=org["id"])
    message = await post(client, owner, thread["id"], "Was this useful?")
    give = """mutation($input: GiveFeedbackInput!) { giveFeedback(input: $input) {
      feedback { id rating comment } userErrors { field message code } } }"""
    first = await client.mutate(
        "giveFeedback",
        give,
        {"input": {"messageId": message["id"], "rating": 2}},
        token=owner.token,
    )
    again = await client.mutate(
        "giveFeedback",
        give,
        {"input": {"messageId": message["id"], "rating": 5, "comment": "Better now"}},
        token=owner.token,
    )
    assert again["feedback"]["id"] == first["feedback"]["id"]
    assert again["feedback"]["rating"] == 5
    bad = await client.execute(
        give, {"input": {"messageId": message["id"], "rating": 9}}, token=owner.token
    )
    assert bad.data["giveFeedback"]["userErrors"][0]["field"] == ["rating"]
    stranger = await make_user(client)
    hidden = await client.execute(
        give, {"input": {"messageId": message["id"], "rating": 1}}, token=stranger.token
    )
    assert hidden.data["giveFeedback"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_another_organizations_team_is_not_found(client: GraphQLClient) -> None:
    owner, stranger = await make_user(client), await make_user(client)
    org = await make_org(client, owner)
    await make_org(client, stranger)
    team = await make_team(client, org["id"], owner)
    for query in (TASKS, OBJECTS):
        response = await client.execute(query, {"team": team["id"]}, token=stranger.token)
        assert response.codes == ["NOT_FOUND"]
