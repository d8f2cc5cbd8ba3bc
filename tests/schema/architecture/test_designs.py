"""Describing architectures and keeping their history: versions, conflicts, diffs, restores."""

from __future__ import annotations

from tests.helpers import GraphQLClient, add_member, make_org, make_user
from tests.schema.architecture.factories import CREATE, UPDATE, create_architecture

HISTORY = """
query History($id: ID!, $from: Int!, $to: Int) {
  architecture(id: $id) {
    version
    versions { totalCount nodes { number summary title author { id } components { key } } }
    versionByNumber(number: 1) { number components { key replicas } }
    diff(from: $from, to: $to) {
      fromVersion toVersion isEmpty summary
      fields { field before after }
      components { added removed changed { key changes { field before after } } }
      links { added removed changed { key } }
    }
  }
}
"""


async def test_create_describes_the_whole_design(client: GraphQLClient) -> None:
    # given an owner of an organization
    owner = await make_user(client)
    org = await make_org(client, owner)
    # when they describe an architecture with zones, components and links
    arch = await create_architecture(client, owner, org)
    # then it reads back as given, at version 1, with defaults filled in
    assert arch["id"].startswith("arch_")
    assert arch["version"] == 1
    assert [c["key"] for c in arch["components"]] == ["cdn", "api", "db"]
    api = arch["components"][1]
    assert (api["instanceClass"], api["replicas"], api["encryptedAtRest"]) == ("m6i.large", 2, True)
    assert arch["links"][1] == {
        "source": "api",
        "target": "db",
        "protocol": "SQL",
        "dataClassification": "CONFIDENTIAL",
        "encrypted": False,
        "authenticated": True,
    }
    assert [z["trustLevel"] for z in arch["trustZones"]] == [0, 1, 3]


async def test_region_defaults_to_the_providers_base_region(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    response = await client.execute(
        CREATE,
        {"input": {"organizationId": org["id"], "title": "G", "cloudProvider": "GCP"}},
        token=owner.token,
    )
    arch = response.data["createArchitecture"]["architecture"]
    assert (arch["cloudProvider"], arch["region"]) == ("GCP", "us-central1")


async def test_validation_errors_name_each_field(client: GraphQLClient) -> None:
    # given a design with a blank title, a link to nowhere, a bad zone and an unknown class
    owner = await make_user(client)
    org = await make_org(client, owner)
    design = {
        "organizationId": org["id"],
        "title": " ",
        "region": "mars-north-1",
        "components": [
            {"key": "api", "name": "API", "kind": "SERVICE", "replicas": 0, "trustZone": "x"},
            {"key": "api", "name": "Dup", "kind": "CACHE", "instanceClass": "z9.huge"},
        ],
        "links": [{"source": "api", "target": "nowhere"}],
    }
    # when it is submitted
    response = await client.execute(CREATE, {"input": design}, token=owner.token)
    payload = response.data["createArchitecture"]
    # then nothing is created and every problem names its field
    assert payload["architecture"] is None
    fields = {tuple(e["field"]): e["code"] for e in payload["userErrors"]}
    assert fields == {
        ("title",): "REQUIRED",
        ("region",): "INVALID",
        ("components", "0", "replicas"): "INVALID",
        ("components", "0", "trustZone"): "INVALID",
        ("components", "1", "key"): "INVALID",
        ("components", "1", "instanceClass"): "INVALID",
        ("links", "0", "target"): "INVALID",
    }


async def test_every_update_writes_a_version_and_a_stale_one_is_a_conflict(
    client: GraphQLClient,
) -> None:
    # given an architecture at version 1
    owner = await make_user(client)
    org = await make_org(client, owner)
    arch = await create_architecture(client, owner, org)
    components = [
        {"key": c["key"], "name": c["name"], "kind": c["kind"], "replicas": c["replicas"]}
        for c in arch["components"]
    ]
    components[1]["replicas"] = 4
    # when one editor saves against version 1
    first = await client.execute(
        UPDATE,
        {"input": {"id": arch["id"], "expectedVersion": 1, "components": components}},
        token=owner.token,
    )
    # then it becomes version 2
    assert first.data["updateArchitecture"]["architecture"]["version"] == 2
    # and a second editor who also edited version 1 gets a CONFLICT, not a lost update
    second = await client.execute(
        UPDATE,
        {"input": {"id": arch["id"], "expectedVersion": 1, "title": "Mine"}},
        token=owner.token,
    )
    payload = second.data["updateArchitecture"]
    assert payload["architecture"] is None
    assert payload["userErrors"][0]["code"] == "CONFLICT"
    assert payload["userErrors"][0]["field"] == ["expectedVersion"]


async def test_versions_diff_and_restore(client: GraphQLClient) -> None:
    # given version 1 and a version 2 that adds a cache and drops the CDN's link
    owner = await make_user(client)
    org = await make_org(client, owner)
    arch = await create_architecture(client, owner, org)
    components = [
        {"key": c["key"], "name": c["name"], "kind": c["kind"], "trustZone": c["trustZone"]}
        for c in arch["components"]
    ]
    components[1]["replicas"] = 3
    components.append({"key": "cache", "name": "Cache", "kind": "CACHE", "trustZone": "data"})
    await client.mutate(
        "updateArchitecture",
        UPDATE,
        {
            "input": {
                "id": arch["id"],
                "expectedVersion": 1,
                "components": components,
                "links": [{"source": "api", "target": "db", "protocol": "SQL"}],
                "region": "eu-west-1",
            }
        },
        token=owner.token,
    )
    # when the history and the diff 1 -> 2 are read
    response = await client.execute(HISTORY, {"id": arch["id"], "from": 1}, token=owner.token)
    data = response.data["architecture"]
    # then both versions are listed newest first, with a computed summary
    assert data["version"] == 2
    assert [v["number"] for v in data["versions"]["nodes"]] == [2, 1]
    assert data["versions"]["nodes"][1]["summary"] == "Created"
    assert "1 component added" in data["versions"]["nodes"][0]["summary"]
    assert data["versions"]["nodes"][0]["author"] == {"id": owner.id}
    # and the diff names what was added, removed and changed, field by field
    diff = data["diff"]
    assert (diff["fromVersion"], diff["toVersion"], diff["isEmpty"]) == (1, 2, False)
    assert diff["fields"] == [{"field": "region", "before": "us-east-1", "after": "eu-west-1"}]
    assert diff["components"]["added"] == ["cache"]
    changed = {c["key"]: c["changes"] for c in diff["components"]["changed"]}
    assert {"field": "replicas", "before": 2, "after": 3} in changed["api"]
    assert diff["links"]["removed"] == ["cdn->api"]
    # when version 1 is restored
    restored = await client.mutate(
        "restoreArchitectureVersion",
        """mutation($id: ID!) { restoreArchitectureVersion(input: {id: $id, version: 1,
             expectedVersion: 2}) {
             architecture { version region components { key replicas } }
             userErrors { field message code } } }""",
        {"id": arch["id"]},
        token=owner.token,
    )
    # then it is version 3 with version 1's design, and history keeps all three
    assert restored["architecture"]["version"] == 3
    assert restored["architecture"]["region"] == "us-east-1"
    assert [c["key"] for c in restored["architecture"]["components"]] == ["cdn", "api", "db"]
    response = await client.execute(
        HISTORY, {"id": arch["id"], "from": 1, "to": 3}, token=owner.token
    )
    assert response.data["architecture"]["diff"]["isEmpty"] is True
    assert response.data["architecture"]["versions"]["totalCount"] == 3


async def test_other_organizations_architectures_are_not_found(client: GraphQLClient) -> None:
    # given an architecture of one organization and a user of another
    owner, stranger = await make_user(client), await make_user(client)
    org = await make_org(client, owner)
    await make_org(client, stranger)
    arch = await create_architecture(client, owner, org)
    # when the stranger reads, lists, updates or deletes it
    read = await client.execute(
        "query($id: ID!) { architecture(id: $id) { id } }", {"id": arch["id"]}, token=stranger.token
    )
    listed = await client.execute("{ architectures { totalCount } }", token=stranger.token)
    update = await client.execute(
        UPDATE, {"input": {"id": arch["id"], "title": "x"}}, token=stranger.token
    )
    delete = await client.execute(
        "mutation($id: ID!) { deleteArchitecture(input: {id: $id}) { userErrors { code } } }",
        {"id": arch["id"]},
        token=stranger.token,
    )
    # then it does not exist for them
    assert read.codes == ["NOT_FOUND"]
    assert listed.data["architectures"]["totalCount"] == 0
    assert update.data["updateArchitecture"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert delete.data["deleteArchitecture"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_list_filters_by_search_and_provider_newest_first(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    shop = await create_architecture(client, owner, org, title="Shop")
    await create_architecture(client, owner, org, title="Billing", description="invoices")
    gcp = await create_architecture(
        client,
        owner,
        org,
        title="Data lake",
        cloudProvider="GCP",
        region=None,
        components=[],
        links=[],
    )
    query = """query($search: String, $provider: CloudProvider) {
      architectures(search: $search, cloudProvider: $provider) { nodes { title } } }"""
    everything = await client.execute(query, {}, token=owner.token)
    assert [n["title"] for n in everything.data["architectures"]["nodes"]] == [
        "Data lake",
        "Billing",
        "Shop",
    ]
    found = await client.execute(query, {"search": "INVOICE"}, token=owner.token)
    assert [n["title"] for n in found.data["architectures"]["nodes"]] == ["Billing"]
    on_gcp = await client.execute(query, {"provider": "GCP"}, token=owner.token)
    assert [n["title"] for n in on_gcp.data["architectures"]["nodes"]] == [gcp["title"]]
    assert shop["cloudProvider"] == "AWS"


async def test_viewers_cannot_change_architectures(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    viewer = await add_member(client, org["id"], owner, "VIEWER")
    arch = await create_architecture(client, owner, org)
    response = await client.execute(
        UPDATE, {"input": {"id": arch["id"], "title": "x"}}, token=viewer.token
    )
    assert response.data["updateArchitecture"]["userErrors"][0]["code"] == "FORBIDDEN"
