"""Share links: a token reads one architecture (and nothing else); COMMENT holders comment."""

from __future__ import annotations

from tests.helpers import GraphQLClient, make_org, make_user
from tests.schema.architecture.factories import create_architecture

CREATE_LINK = """
mutation($input: CreateShareLinkInput!) {
  createShareLink(input: $input) {
    shareLink { id permission active tokenHint expiresAt } token userErrors { field code }
  }
}
"""
SHARED = """
query($token: String!) {
  sharedArchitecture(token: $token) {
    id title version permission components { key } comments { body authorName }
  }
}
"""
COMMENT = """
mutation($input: AddSharedCommentInput!) {
  addSharedComment(input: $input) { comment { body authorName } userErrors { field code } }
}
"""


async def _link(client: GraphQLClient, permission: str) -> tuple[dict, dict, str, str]:  # type: ignore[type-arg]
    owner = await make_user(client)
    org = await make_org(client, owner)
    arch = await create_architecture(client, owner, org)
    payload = await client.mutate(
        "createShareLink",
        CREATE_LINK,
        {"input": {"architectureId": arch["id"], "permission": permission, "expiresInDays": 7}},
        token=owner.token,
    )
    return arch, payload["shareLink"], payload["token"], owner.token


async def test_anyone_with_the_token_reads_the_architecture(client: GraphQLClient) -> None:
    # given a VIEW link
    arch, link, token, _ = await _link(client, "VIEW")
    assert link["active"] and token.endswith(link["tokenHint"])
    # when someone without an account opens it
    response = await client.execute(SHARED, {"token": token})
    # then they read that architecture
    shared = response.data["sharedArchitecture"]
    assert (shared["id"], shared["permission"]) == (arch["id"], "VIEW")
    assert [c["key"] for c in shared["components"]] == ["cdn", "api", "db"]
    # but may not comment
    refused = await client.execute(COMMENT, {"input": {"token": token, "body": "hi"}})
    assert refused.data["addSharedComment"]["userErrors"] == [
        {"field": ["token"], "code": "FORBIDDEN"}
    ]
    # and the token is no credential for anything else
    other = await client.execute(
        "query($id: ID!) { architecture(id: $id) { id } }", {"id": arch["id"]}, token=token
    )
    assert other.status == 401 or other.codes == ["UNAUTHENTICATED"]


async def test_comment_holders_comment_and_owners_see_and_revoke(client: GraphQLClient) -> None:
    # given a COMMENT link
    arch, link, token, owner_token = await _link(client, "COMMENT")
    # when a holder comments
    payload = await client.execute(
        COMMENT, {"input": {"token": token, "body": "Why one DB replica?", "authorName": "Ana"}}
    )
    assert payload.data["addSharedComment"]["comment"] == {
        "body": "Why one DB replica?",
        "authorName": "Ana",
    }
    # then the shared view and the owner both see it
    shared = (await client.execute(SHARED, {"token": token})).data["sharedArchitecture"]
    assert shared["comments"] == [{"body": "Why one DB replica?", "authorName": "Ana"}]
    owner_view = await client.execute(
        "query($id: ID!) { architecture(id: $id) { comments { nodes { body viaShareLink } } "
        "shareLinks { nodes { id active } } } }",
        {"id": arch["id"]},
        token=owner_token,
    )
    data = owner_view.data["architecture"]
    assert data["comments"]["nodes"] == [{"body": "Why one DB replica?", "viaShareLink": True}]
    assert data["shareLinks"]["nodes"] == [{"id": link["id"], "active": True}]
    # when the owner revokes the link
    await client.mutate(
        "revokeShareLink",
        "mutation($id: ID!) { revokeShareLink(input: {id: $id}) { shareLink { active } "
        "userErrors { field message code } } }",
        {"id": link["id"]},
        token=owner_token,
    )
    # then the token opens nothing and comments are refused
    gone = await client.execute(SHARED, {"token": token})
    assert gone.codes == ["NOT_FOUND"]
    refused = await client.execute(COMMENT, {"input": {"token": token, "body": "again"}})
    assert refused.data["addSharedComment"]["userErrors"] == [
        {"field": ["token"], "code": "NOT_FOUND"}
    ]


async def test_unknown_tokens_and_bad_expiry(client: GraphQLClient) -> None:
    owner = await make_user(client)
    org = await make_org(client, owner)
    arch = await create_architecture(client, owner, org)
    assert (await client.execute(SHARED, {"token": "shr_tok_nope"})).codes == ["NOT_FOUND"]
    response = await client.execute(
        CREATE_LINK,
        {"input": {"architectureId": arch["id"], "expiresInDays": 0}},
        token=owner.token,
    )
    assert response.data["createShareLink"]["userErrors"] == [
        {"field": ["expiresInDays"], "code": "INVALID"}
    ]
