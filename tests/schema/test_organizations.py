"""Organizations through GraphQL over HTTP: create, update, delete."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from atrium.models.identity import Membership, Organization
from tests.helpers import (
    CREATE_ORG,
    GraphQLClient,
    add_member,
    db_session,
    make_org,
    make_user,
    unique,
    user_error,
)

UPDATE_ORG = """
mutation Update($input: UpdateOrganizationInput!) {
  updateOrganization(input: $input) {
    organization { id name slug plan }
    userErrors { field message code }
  }
}
"""
DELETE_ORG = """
mutation Delete($id: ID!) {
  deleteOrganization(input: {id: $id}) { deletedId userErrors { field message code } }
}
"""
ORG = "query Org($id: ID!) { organization(id: $id) { id name slug plan viewerRole } }"
MEMBERS = """
query Members($id: ID!) {
  organization(id: $id) { members { totalCount nodes { role user { id } } } }
}
"""


async def _create(client: GraphQLClient, token: str, **input: Any) -> dict[str, Any]:
    response = await client.execute(CREATE_ORG, {"input": input}, token=token)
    payload: dict[str, Any] = response.data["createOrganization"]
    return payload


async def _org_rows(app: Any, **where: Any) -> int:
    async with db_session(app) as session:
        stmt = select(func.count()).select_from(Organization).filter_by(**where)
        return int(await session.scalar(stmt) or 0)


async def test_creator_is_the_only_owner(client: GraphQLClient) -> None:
    # given a user
    user = await make_user(client)
    # when they create an organization
    org = await make_org(client, user, "Acme Rockets")
    # then they are its OWNER and its only member, on the FREE plan
    assert org["viewerRole"] == "OWNER"
    assert org["plan"] == "FREE"
    members = (await client.execute(MEMBERS, {"id": org["id"]}, token=user.token)).data
    connection = members["organization"]["members"]
    assert connection["totalCount"] == 1
    assert connection["nodes"] == [{"role": "OWNER", "user": {"id": user.id}}]


async def test_slug_is_made_from_the_name_and_kept_unique(client: GraphQLClient) -> None:
    # given a name nobody used yet, with punctuation and capitals
    user = await make_user(client)
    base = unique("acme")
    first = await make_org(client, user, f"  {base.upper()} & Co.!  ")
    # then the slug is lowercase, dashed, trimmed and the name is trimmed
    assert first["slug"] == f"{base}-co"
    assert first["name"] == f"{base.upper()} & Co.!"
    # when a second organization takes the same name
    second = await make_org(client, user, f"{base} co")
    # then it gets a different, still valid slug starting with the same words
    assert second["slug"] != first["slug"]
    assert second["slug"].startswith(f"{base}-co-")


async def test_explicit_slug_taken_is_already_exists(client: GraphQLClient, app: Any) -> None:
    # given an organization with an explicit slug
    user = await make_user(client)
    slug = unique("taken")
    await _create(client, user.token, name="One", slug=slug)
    # when another is created with the same slug
    payload = await _create(client, user.token, name="Two", slug=slug)
    # then it is refused on the slug field and only one row has that slug
    error = user_error(payload)
    assert (error["code"], error["field"]) == ("ALREADY_EXISTS", ["slug"])
    assert payload["organization"] is None
    assert await _org_rows(app, slug=slug) == 1


@pytest.mark.parametrize(
    ("input", "field", "code"),
    [
        ({"name": "   "}, ["name"], "REQUIRED"),
        ({"name": "x" * 201}, ["name"], "TOO_LONG"),
        ({"name": "Ok", "slug": "Has Capitals"}, ["slug"], "INVALID"),
        ({"name": "Ok", "slug": "-dash-first"}, ["slug"], "INVALID"),
        ({"name": "Ok", "slug": ""}, ["slug"], "INVALID"),
    ],
)
async def test_validation_errors_name_the_field_and_write_nothing(
    client: GraphQLClient, app: Any, input: dict[str, Any], field: list[str], code: str
) -> None:
    # given a user
    user = await make_user(client)
    # when they create an organization with an invalid input
    payload = await _create(client, user.token, **input)
    # then the userError names the field, and no organization nor membership was written
    error = user_error(payload)
    assert (error["field"], error["code"]) == (field, code)
    assert payload["organization"] is None
    async with db_session(app) as session:
        owned = await session.scalar(
            select(func.count()).select_from(Membership).where(Membership.user_id == user.id)
        )
    assert owned == 0
    if "slug" in input:
        assert await _org_rows(app, slug=input["slug"]) == 0


async def test_anonymous_cannot_create(client: GraphQLClient) -> None:
    # given no credential, when an organization is created
    response = await client.execute(CREATE_ORG, {"input": {"name": "Nobody's"}})
    # then it is UNAUTHENTICATED
    assert response.codes == ["UNAUTHENTICATED"]


async def test_admin_renames_but_only_owner_changes_plan(client: GraphQLClient) -> None:
    # given an organization with an ADMIN and a MEMBER
    owner = await make_user(client)
    org = await make_org(client, owner)
    admin = await add_member(client, org["id"], owner, "ADMIN")
    member = await add_member(client, org["id"], owner, "MEMBER")
    # when the ADMIN renames it
    renamed = await client.mutate(
        "updateOrganization",
        UPDATE_ORG,
        {"input": {"id": org["id"], "name": "New"}},
        token=admin.token,
    )
    # then the name changed
    assert renamed["organization"]["name"] == "New"
    # when the ADMIN tries to change the plan
    response = await client.execute(
        UPDATE_ORG, {"input": {"id": org["id"], "plan": "PRO"}}, token=admin.token
    )
    # then it is FORBIDDEN, on the plan field
    error = user_error(response.data["updateOrganization"])
    assert (error["code"], error["field"]) == ("FORBIDDEN", ["plan"])
    # and a MEMBER cannot even rename it
    response = await client.execute(
        UPDATE_ORG, {"input": {"id": org["id"], "name": "Mine"}}, token=member.token
    )
    assert user_error(response.data["updateOrganization"])["code"] == "FORBIDDEN"
    # while the OWNER changes the plan
    upgraded = await client.mutate(
        "updateOrganization",
        UPDATE_ORG,
        {"input": {"id": org["id"], "plan": "PRO"}},
        token=owner.token,
    )
    assert upgraded["organization"]["plan"] == "PRO"
    # and the stored organization shows both changes
    after = await client.execute(ORG, {"id": org["id"]}, token=member.token)
    assert after.data["organization"]["name"] == "New"
    assert after.data["organization"]["plan"] == "PRO"


async def test_failed_update_changes_nothing(client: GraphQLClient) -> None:
    # given two organizations of one owner
    owner = await make_user(client)
    org = await make_org(client, owner)
    other = await make_org(client, owner)
    # when a valid rename is sent together with a slug that is taken
    response = await client.execute(
        UPDATE_ORG,
        {"input": {"id": org["id"], "name": "Renamed", "slug": other["slug"]}},
        token=owner.token,
    )
    # then the slug is ALREADY_EXISTS and the name did not change either
    error = user_error(response.data["updateOrganization"])
    assert (error["code"], error["field"]) == ("ALREADY_EXISTS", ["slug"])
    after = await client.execute(ORG, {"id": org["id"]}, token=owner.token)
    assert after.data["organization"]["name"] == org["name"]
    assert after.data["organization"]["slug"] == org["slug"]


async def test_owner_can_set_the_same_slug_again(client: GraphQLClient) -> None:
    # given an organization
    owner = await make_user(client)
    org = await make_org(client, owner)
    # when its owner sets the slug it already has
    payload = await client.mutate(
        "updateOrganization",
        UPDATE_ORG,
        {"input": {"id": org["id"], "slug": org["slug"]}},
        token=owner.token,
    )
    # then that is not a conflict with itself
    assert payload["organization"]["slug"] == org["slug"]


async def test_only_owner_deletes(client: GraphQLClient, app: Any) -> None:
    # given an organization with an ADMIN
    owner = await make_user(client)
    org = await make_org(client, owner)
    admin = await add_member(client, org["id"], owner, "ADMIN")
    # when the ADMIN deletes it
    response = await client.execute(DELETE_ORG, {"id": org["id"]}, token=admin.token)
    # then it is FORBIDDEN and the organization is still there
    payload = response.data["deleteOrganization"]
    assert user_error(payload)["code"] == "FORBIDDEN"
    assert payload["deletedId"] is None
    assert await _org_rows(app, id=org["id"]) == 1
    # when the OWNER deletes it
    deleted = await client.mutate(
        "deleteOrganization", DELETE_ORG, {"id": org["id"]}, token=owner.token
    )
    # then it is gone, with its memberships
    assert deleted["deletedId"] == org["id"]
    assert await _org_rows(app, id=org["id"]) == 0
    async with db_session(app) as session:
        left = await session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.organization_id == org["id"])
        )
    assert left == 0
    gone = await client.execute(ORG, {"id": org["id"]}, token=owner.token)
    assert gone.codes == ["NOT_FOUND"]


async def test_organization_by_slug(client: GraphQLClient) -> None:
    # given an organization
    owner = await make_user(client)
    org = await make_org(client, owner)
    # when it is looked up by slug
    response = await client.execute(
        "query($slug: String!) { organization(slug: $slug) { id } }",
        {"slug": org["slug"]},
        token=owner.token,
    )
    # then it is found
    assert response.data["organization"]["id"] == org["id"]
