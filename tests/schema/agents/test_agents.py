"""Agents: built-ins, scopes and who sees what, Archestra's filters, export and import."""

from __future__ import annotations

from typing import Any

from tests.helpers import (
    GraphQLClient,
    TestUser,
    add_member,
    add_to_team,
    make_org,
    make_team,
    make_user,
)

FIELDS = (
    "id name type scope model labels { key value } teams { id } author { id } isDefaultAssistant"
)
CREATE = f"""
mutation($input: CreateAgentInput!) {{
  createAgent(input: $input) {{ agent {{ {FIELDS} }} userErrors {{ field message code }} }}
}}
"""
LIST = """
query($name: String, $types: [AgentType!], $scopes: [AgentScope!], $labels: [LabelInput!],
      $teamIds: [ID!], $authorIds: [ID!]) {
  agents(name: $name, types: $types, scopes: $scopes, labels: $labels, teamIds: $teamIds,
         authorIds: $authorIds) { totalCount nodes { name } }
}
"""


async def _create(client: GraphQLClient, user: TestUser, org_id: str, **fields: Any) -> dict:  # type: ignore[type-arg]
    payload = await client.mutate(
        "createAgent", CREATE, {"input": {"organizationId": org_id, **fields}}, token=user.token
    )
    return payload["agent"]  # type: ignore[no-any-return]


async def _names(client: GraphQLClient, user: TestUser, **filters: Any) -> list[str]:
    response = await client.execute(LIST, filters, token=user.token)
    return sorted(n["name"] for n in response.data["agents"]["nodes"])


async def test_every_organization_has_its_built_in_assistant(client: GraphQLClient) -> None:
    owner = await make_user(client)
    await make_org(client, owner)
    response = await client.execute(
        "{ agents(scopes: [BUILT_IN]) { nodes { name type isDefaultAssistant author { id } } } }",
        token=owner.token,
    )
    assert response.data["agents"]["nodes"] == [
        {"name": "Assistant", "type": "AGENT", "isDefaultAssistant": True, "author": None}
    ]


async def test_filters_by_name_type_scope_label_team_and_author(client: GraphQLClient) -> None:
    # given agents of several types, labels and teams
    owner = await make_user(client)
    org = await make_org(client, owner)
    team = await make_team(client, org["id"], owner)
    await _create(
        client, owner, org["id"], name="Reviewer", labels=[{"key": "env", "value": "prod"}]
    )
    await _create(client, owner, org["id"], name="Gateway", type="MCP_GATEWAY")
    await _create(
        client,
        owner,
        org["id"],
        name="Team helper",
        scope="TEAM",
        teamIds=[team["id"]],
        labels=[{"key": "env", "value": "dev"}],
    )
    # then each filter narrows the list as Archestra's do
    assert await _names(client, owner, name="view") == ["Reviewer"]
    assert await _names(client, owner, types=["MCP_GATEWAY"]) == ["Gateway"]
    assert await _names(client, owner, scopes=["TEAM"]) == ["Team helper"]
    assert await _names(client, owner, labels=[{"key": "env", "value": "prod"}]) == ["Reviewer"]
    assert await _names(client, owner, teamIds=[team["id"]]) == ["Team helper"]
    assert await _names(client, owner, authorIds=[owner.id]) == [
        "Gateway",
        "Reviewer",
        "Team helper",
    ]


async def test_personal_and_team_agents_are_seen_only_by_theirs(client: GraphQLClient) -> None:
    # given an owner, a team with one member, and another member outside it
    owner = await make_user(client)
    org = await make_org(client, owner)
    insider = await add_member(client, org["id"], owner, "MEMBER")
    outsider = await add_member(client, org["id"], owner, "MEMBER")
    team = await make_team(client, org["id"], owner)
    await add_to_team(client, team["id"], owner, insider.id)
    # when the insider makes a personal agent and a team agent
    await _create(client, insider, org["id"], name="Mine", scope="PERSONAL")
    await _create(client, insider, org["id"], name="Ours", scope="TEAM", teamIds=[team["id"]])
    # then the insider sees both, the outsider neither, and the owner (an admin) the team's
    assert await _names(client, insider, scopes=["PERSONAL", "TEAM"]) == ["Mine", "Ours"]
    assert await _names(client, outsider, scopes=["PERSONAL", "TEAM"]) == []
    assert await _names(client, owner, scopes=["PERSONAL", "TEAM"]) == ["Ours"]


async def test_validation_and_built_ins_cannot_be_deleted(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    bad = await client.execute(
        CREATE,
        {"input": {"organizationId": org["id"], "name": "", "scope": "BUILT_IN", "provider": "x"}},
        token=owner.token,
    )
    fields = {tuple(e["field"]) for e in bad.data["createAgent"]["userErrors"]}
    assert fields == {("name",), ("scope",), ("provider",)}
    team_without_teams = await client.execute(
        CREATE,
        {"input": {"organizationId": org["id"], "name": "T", "scope": "TEAM"}},
        token=owner.token,
    )
    assert team_without_teams.data["createAgent"]["userErrors"][0]["field"] == ["teamIds"]
    assistant = (
        await client.execute("{ agents(scopes: [BUILT_IN]) { nodes { id } } }", token=owner.token)
    ).data["agents"]["nodes"][0]
    deleted = await client.execute(
        "mutation($id: ID!) { deleteAgent(input: {id: $id}) { userErrors { code } } }",
        {"id": assistant["id"]},
        token=owner.token,
    )
    assert deleted.data["deleteAgent"]["userErrors"] == [{"code": "FORBIDDEN"}]


async def test_export_and_import_between_organizations(client: GraphQLClient) -> None:
    # given an agent with a model, prompt, labels and a provider key
    owner = await make_user(client)
    source, target = await make_org(client, owner), await make_org(client, owner)
    agent = await _create(
        client,
        owner,
        source["id"],
        name="Architect",
        model="gpt-4o",
        systemPrompt="Be terse.",
        labels=[{"key": "team", "value": "platform"}],
        providerApiKey="sk-secret",
    )
    # when its configuration is exported and imported into another organization
    exported = await client.execute(
        "query($id: ID!) { agent(id: $id) { configuration hasProviderApiKey } }",
        {"id": agent["id"]},
        token=owner.token,
    )
    configuration = exported.data["agent"]["configuration"]
    assert exported.data["agent"]["hasProviderApiKey"] is True
    assert "sk-secret" not in str(configuration)
    imported = await client.mutate(
        "importAgent",
        f"""mutation($input: ImportAgentInput!) {{ importAgent(input: $input) {{
              agent {{ {FIELDS} systemPrompt organization {{ id }} }}
              userErrors {{ field message code }} }} }}""",
        {"input": {"organizationId": target["id"], "configuration": configuration}},
        token=owner.token,
    )
    # then the copy has the same settings, in the other organization, without the secret
    copy = imported["agent"]
    assert copy["id"] != agent["id"] and copy["organization"]["id"] == target["id"]
    assert (copy["name"], copy["model"], copy["systemPrompt"]) == (
        "Architect",
        "gpt-4o",
        "Be terse.",
    )
    assert copy["labels"] == [{"key": "team", "value": "platform"}]
    bad = await client.execute(
        "mutation($c: JSON!) { importAgent(input: {configuration: $c}) "
        "{ userErrors { field code } } }",
        {"c": {"name": "x"}},
        token=owner.token,
    )
    assert bad.data["importAgent"]["userErrors"] == [
        {"field": ["configuration"], "code": "INVALID"}
    ]


async def test_only_the_author_or_an_admin_changes_scope_and_endpoint(
    client: GraphQLClient,
) -> None:
    # given an ORG agent made by the owner, and a plain member
    owner = await make_user(client)
    org = await make_org(client, owner)
    member = await add_member(client, org["id"], owner, "MEMBER")
    agent = await _create(client, owner, org["id"], name="Shared", providerApiKey="sk-org")
    update = """mutation($input: UpdateAgentInput!) { updateAgent(input: $input) {
      agent { scope hasProviderApiKey } userErrors { field code } } }"""
    # when the member tries to hide it or point it elsewhere
    hide = await client.execute(
        update, {"input": {"id": agent["id"], "scope": "PERSONAL"}}, token=member.token
    )
    move = await client.execute(
        update,
        {"input": {"id": agent["id"], "providerBaseUrl": "https://elsewhere.test/v1"}},
        token=member.token,
    )
    # then both are refused
    assert hide.data["updateAgent"]["userErrors"] == [{"field": ["scope"], "code": "FORBIDDEN"}]
    assert move.data["updateAgent"]["userErrors"] == [
        {"field": ["providerBaseUrl"], "code": "FORBIDDEN"}
    ]
    # and when an admin moves it, the key given for the old endpoint does not follow
    moved = await client.mutate(
        "updateAgent",
        update.replace("userErrors { field code }", "userErrors { field message code }"),
        {"input": {"id": agent["id"], "providerBaseUrl": "https://elsewhere.test/v1"}},
        token=owner.token,
    )
    assert moved["agent"]["hasProviderApiKey"] is False


async def test_bad_filters_and_imports_are_errors_not_500s(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    many = [{"key": f"k{i}", "value": "v"} for i in range(51)]
    response = await client.execute(LIST, {"labels": many}, token=owner.token)
    assert response.codes == ["BAD_USER_INPUT"]
    bad = await client.execute(
        "mutation($c: JSON!) { importAgent(input: {configuration: $c}) "
        "{ userErrors { field code } } }",
        {"c": {"format": "atrium.agent/v1", "name": "x", "model": {"a": 1}}},
        token=owner.token,
    )
    assert bad.data["importAgent"]["userErrors"] == [
        {"field": ["configuration"], "code": "INVALID"}
    ]
    long_model = await client.execute(
        CREATE,
        {"input": {"organizationId": org["id"], "name": "m", "model": "x" * 300}},
        token=owner.token,
    )
    assert long_model.data["createAgent"]["userErrors"][0]["field"] == ["model"]
