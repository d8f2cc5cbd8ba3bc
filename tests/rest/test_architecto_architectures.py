"""Architecto's (seed 000) architecture, analysis, document and sharing routes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import GraphQLClient, make_api_key, make_org, make_user

BASE = "/rest/architecto/v1"


@pytest.fixture
async def scripted(client: GraphQLClient) -> tuple[httpx.AsyncClient, dict[str, str]]:
    """A legacy script's view: an API key with WRITE scope, sent as a Bearer token."""
    owner = await make_user(client)
    org = await make_org(client, owner)
    _, secret = await make_api_key(client, org["id"], owner, "WRITE")
    return client.http, {"Authorization": f"Bearer {secret}"}


async def test_the_seeds_create_and_analyze_example(scripted: Any) -> None:
    http, auth = scripted
    # 1. Create architecture: the seed's exact body
    created = await http.post(
        f"{BASE}/architectures",
        headers={**auth, "Content-Type": "application/json"},
        json={
            "title": "E-commerce Platform",
            "description": "Multi-region e-commerce with real-time inventory",
            "cloud_provider": "aws",
        },
    )
    assert created.status_code == 201, created.text
    arch = created.json()
    assert arch["id"].startswith("arch_") and arch["title"] == "E-commerce Platform"
    assert arch["created_at"] and arch["cloud_provider"] == "aws"
    # give it something to price (the seed's UI would have), then
    # 2. Run cost analysis: the seed's exact body
    put = await http.put(
        f"{BASE}/architectures/{arch['id']}",
        headers=auth,
        json={
            "expected_version": 1,
            "components": [
                {
                    "key": "web",
                    "name": "Web",
                    "kind": "service",
                    "replicas": 2,
                    "requests_per_user_per_day": 200,
                    "payload_kb": 30,
                    "public": True,
                },
                {
                    "key": "db",
                    "name": "DB",
                    "kind": "database",
                    "storage_gb": 50,
                    "requests_per_user_per_day": 100,
                },
            ],
            "links": [{"source": "web", "target": "db", "protocol": "sql"}],
        },
    )
    assert put.status_code == 200, put.text
    assert put.json()["version"] == 2
    analysis = await http.post(
        f"{BASE}/architectures/{arch['id']}/analyze/cost",
        headers=auth,
        json={"scale_points": [1000, 10000, 100000], "region": "us-east-1"},
    )
    # then the response has the seed's analysis_id and estimates[].{users, monthly_cost, breakdown}
    assert analysis.status_code == 200, analysis.text
    body = analysis.json()
    assert body["analysis_id"].startswith("analysis_") and body["status"] == "completed"
    assert [e["users"] for e in body["estimates"]] == [1000, 10000, 100000]
    for estimate in body["estimates"]:
        parts = estimate["breakdown"]
        assert set(parts) == {"compute", "storage", "database", "data_transfer"}
        assert abs(sum(parts.values()) - estimate["monthly_cost"]) < 0.011
    assert body["catalog_source"] and "optimizations" in body


async def test_list_get_versions_and_delete(scripted: Any) -> None:
    http, auth = scripted
    arch = (await http.post(f"{BASE}/architectures", headers=auth, json={"title": "A"})).json()
    await http.put(f"{BASE}/architectures/{arch['id']}", headers=auth, json={"title": "B"})
    listed = await http.get(f"{BASE}/architectures?limit=10", headers=auth)
    assert listed.json()["total_count"] == 1 and listed.json()["data"][0]["title"] == "B"
    versions = (await http.get(f"{BASE}/architectures/{arch['id']}/versions", headers=auth)).json()
    assert [v["version"] for v in versions["data"]] == [2, 1]
    stale = await http.put(
        f"{BASE}/architectures/{arch['id']}",
        headers=auth,
        json={"title": "C", "expected_version": 1},
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "CONFLICT"
    bad = await http.post(
        f"{BASE}/architectures",
        headers=auth,
        json={
            "title": "X",
            "components": [{"key": "a", "name": "A", "kind": "service", "replicas": 0}],
        },
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["details"]["field"] == ["components", "0", "replicas"]
    deleted = await http.delete(f"{BASE}/architectures/{arch['id']}", headers=auth)
    assert deleted.status_code == 200 and deleted.json() == {"id": arch["id"]}
    gone = await http.get(f"{BASE}/architectures/{arch['id']}", headers=auth)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "RESOURCE_NOT_FOUND"


async def test_scalability_threats_and_documents(scripted: Any) -> None:
    http, auth = scripted
    arch = (
        await http.post(
            f"{BASE}/architectures",
            headers=auth,
            json={
                "title": "Shop",
                "components": [
                    {
                        "key": "api",
                        "name": "API",
                        "kind": "service",
                        "public": True,
                        "requests_per_user_per_day": 100,
                    },
                    {
                        "key": "db",
                        "name": "DB",
                        "kind": "database",
                        "requests_per_user_per_day": 50,
                    },
                ],
                "links": [
                    {"source": "api", "target": "db", "encrypted": False, "authenticated": False}
                ],
            },
        )
    ).json()
    scal = (
        await http.post(
            f"{BASE}/architectures/{arch['id']}/analyze/scalability", headers=auth, json={}
        )
    ).json()
    assert scal["bottleneck"]["component"] in ("api", "db")
    assert [p["users"] for p in scal["points"]] == [1000, 10000, 100000]
    threats = (
        await http.post(f"{BASE}/architectures/{arch['id']}/analyze/threats", headers=auth)
    ).json()
    assert threats["total"] > 0 and threats["threats"][0]["status"] == "open"
    for kind in ("rfc", "adr", "runbook"):
        doc = await http.post(
            f"{BASE}/architectures/{arch['id']}/documents/{kind}",
            headers=auth,
            json={"title": "Use a managed database"} if kind == "adr" else {},
        )
        assert doc.status_code == 201, doc.text
        assert doc.json()["kind"] == kind and "```mermaid" in doc.json()["markdown"]
    assert doc.json()["version"] == 1


async def test_share_links_and_comments_without_an_account(scripted: Any) -> None:
    http, auth = scripted
    arch = (await http.post(f"{BASE}/architectures", headers=auth, json={"title": "S"})).json()
    share = await http.post(
        f"{BASE}/architectures/{arch['id']}/shares",
        headers=auth,
        json={"permission": "comment", "expires_in_days": 30},
    )
    assert share.status_code == 201
    token = share.json()["token"]
    assert share.json()["permission"] == "comment" and share.json()["expires_at"]
    shared = await http.get(f"{BASE}/shares/{token}")
    assert shared.status_code == 200 and shared.json()["id"] == arch["id"]
    comment = await http.post(
        f"{BASE}/shares/{token}/comments", json={"body": "Looks good", "author_name": "Bo"}
    )
    assert comment.status_code == 201 and comment.json()["author_name"] == "Bo"
    assert (await http.get(f"{BASE}/shares/{token}")).json()["comments"][0]["body"] == "Looks good"
    unknown = await http.get(f"{BASE}/shares/shr_tok_unknown")
    assert unknown.status_code == 404
