"""Architectures built through the public API, and a small design most tests start from."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.helpers import GraphQLClient, TestUser

ARCHITECTURE_FIELDS = """
id title description version cloudProvider region peakFactor
components { key name kind instanceClass replicas storageGb requestsPerUserPerDay payloadKb
             trustZone public autoscaling encryptedAtRest auditLogging }
links { source target protocol dataClassification encrypted authenticated }
trustZones { key name trustLevel }
"""

CREATE = f"""
mutation Create($input: CreateArchitectureInput!) {{
  createArchitecture(input: $input) {{
    architecture {{ {ARCHITECTURE_FIELDS} }}
    userErrors {{ field message code }}
  }}
}}
"""

UPDATE = f"""
mutation Update($input: UpdateArchitectureInput!) {{
  updateArchitecture(input: $input) {{
    architecture {{ {ARCHITECTURE_FIELDS} }}
    userErrors {{ field message code }}
  }}
}}
"""

ANALYSIS_FIELDS = "id kind status progress version parameters error result"


def web_shop() -> dict[str, Any]:
    """A CDN and a public API in a DMZ, a database in a data zone; the API-to-DB link is
    unencrypted across the boundary (a threat the model must find)."""
    return {
        "cloudProvider": "AWS",
        "region": "us-east-1",
        "trustZones": [
            {"key": "internet", "name": "Internet", "trustLevel": 0},
            {"key": "dmz", "name": "DMZ", "trustLevel": 1},
            {"key": "data", "name": "Data", "trustLevel": 3},
        ],
        "components": [
            {
                "key": "cdn",
                "name": "CDN",
                "kind": "CDN",
                "trustZone": "dmz",
                "public": True,
                "requestsPerUserPerDay": 50,
                "payloadKb": 200,
            },
            {
                "key": "api",
                "name": "API",
                "kind": "SERVICE",
                "instanceClass": "m6i.large",
                "replicas": 2,
                "trustZone": "dmz",
                "requestsPerUserPerDay": 100,
                "payloadKb": 20,
            },
            {
                "key": "db",
                "name": "Orders DB",
                "kind": "DATABASE",
                "replicas": 1,
                "storageGb": 100,
                "trustZone": "data",
                "requestsPerUserPerDay": 100,
            },
        ],
        "links": [
            {"source": "cdn", "target": "api", "protocol": "HTTPS"},
            {
                "source": "api",
                "target": "db",
                "protocol": "SQL",
                "encrypted": False,
                "dataClassification": "CONFIDENTIAL",
            },
        ],
    }


async def create_architecture(
    client: GraphQLClient, owner: TestUser, org: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    payload = await client.mutate(
        "createArchitecture",
        CREATE,
        {"input": {"organizationId": org["id"], "title": "Web shop", **web_shop(), **fields}},
        token=owner.token,
    )
    return payload["architecture"]


async def wait_for_analysis(
    client: GraphQLClient, token: str, analysis_id: str, seconds: float = 10.0
) -> dict[str, Any]:
    """Poll until the analysis finishes (the worker runs in the test app)."""
    query = f"query($id: ID!) {{ node(id: $id) {{ ... on Analysis {{ {ANALYSIS_FIELDS} }} }} }}"
    deadline = time.monotonic() + seconds
    while True:
        node = (await client.execute(query, {"id": analysis_id}, token=token)).data["node"]
        if node["status"] in ("COMPLETED", "FAILED") or time.monotonic() > deadline:
            return node  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)
