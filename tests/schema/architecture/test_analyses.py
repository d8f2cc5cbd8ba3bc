"""Analyses as durable jobs: queued, run by the worker, visible, and verdicts on threats."""

from __future__ import annotations

from typing import Any

from tests.helpers import GraphQLClient, make_org, make_user
from tests.schema.architecture.factories import (
    ANALYSIS_FIELDS,
    create_architecture,
    wait_for_analysis,
)

RUN_COST = f"""
mutation($input: RunCostAnalysisInput!) {{
  runCostAnalysis(input: $input) {{ analysis {{ {ANALYSIS_FIELDS} }} userErrors {{ field code }} }}
}}
"""
RUN_SCALABILITY = f"""
mutation($input: RunScalabilityAnalysisInput!) {{
  runScalabilityAnalysis(input: $input) {{
    analysis {{ {ANALYSIS_FIELDS} }} userErrors {{ field code }}
  }}
}}
"""
RUN_THREATS = f"""
mutation($input: RunThreatModelInput!) {{
  runThreatModel(input: $input) {{ analysis {{ {ANALYSIS_FIELDS} }} userErrors {{ field code }} }}
}}
"""
THREAT_MODEL = """
query($id: ID!, $status: ThreatStatus) {
  architecture(id: $id) {
    latestAnalysis(kind: THREATS) {
      threatModel {
        total openCount riskScore
        threats(status: $status) {
          id ruleId category severity element status note decidedBy { id }
        }
      }
    }
  }
}
"""
SET_STATUS = """
mutation($input: SetThreatStatusInput!) {
  setThreatStatus(input: $input) { threatId status userErrors { field code } }
}
"""


async def _setup(client: GraphQLClient) -> tuple[Any, dict[str, Any]]:
    owner = await make_user(client)
    org = await make_org(client, owner)
    return owner, await create_architecture(client, owner, org)


async def test_cost_analysis_is_a_job_that_completes_with_estimates(client: GraphQLClient) -> None:
    # given an architecture
    owner, arch = await _setup(client)
    # when a cost analysis is requested
    payload = await client.mutate(
        "runCostAnalysis",
        RUN_COST,
        {"input": {"architectureId": arch["id"], "scalePoints": [100_000, 1_000, 10_000]}},
        token=owner.token,
    )
    queued = payload["analysis"]
    # then it is queued at once, for the current version, with sorted scale points
    assert queued["status"] == "PENDING" and queued["result"] is None
    assert queued["parameters"] == {"scale_points": [1000, 10000, 100000], "region": "us-east-1"}
    # and the worker completes it with an estimate per scale point whose breakdown sums up
    done = await wait_for_analysis(client, owner.token, queued["id"])
    assert done["status"] == "COMPLETED" and done["progress"] == 1.0
    estimates = done["result"]["estimates"]
    assert [e["users"] for e in estimates] == [1000, 10000, 100000]
    for estimate in estimates:
        parts = estimate["breakdown"]
        total = parts["compute"] + parts["storage"] + parts["database"] + parts["data_transfer"]
        assert abs(total - estimate["monthly_cost"]) < 0.011
    assert estimates[0]["monthly_cost"] < estimates[2]["monthly_cost"]


async def test_wait_returns_the_finished_analysis(client: GraphQLClient) -> None:
    owner, arch = await _setup(client)
    payload = await client.mutate(
        "runScalabilityAnalysis",
        RUN_SCALABILITY,
        {"input": {"architectureId": arch["id"], "wait": True}},
        token=owner.token,
    )
    analysis = payload["analysis"]
    assert analysis["status"] == "COMPLETED"
    assert analysis["parameters"] == {"scale_points": [1000, 10000, 100000]}
    assert analysis["result"]["bottleneck"] is not None


async def test_bad_parameters_are_user_errors_and_nothing_is_queued(client: GraphQLClient) -> None:
    owner, arch = await _setup(client)
    response = await client.execute(
        RUN_COST,
        {"input": {"architectureId": arch["id"], "scalePoints": [0, 10], "region": "nowhere-1"}},
        token=owner.token,
    )
    payload = response.data["runCostAnalysis"]
    assert payload["analysis"] is None
    assert payload["userErrors"] == [{"field": ["scalePoints"], "code": "INVALID"}]
    response = await client.execute(
        RUN_COST,
        {"input": {"architectureId": arch["id"], "region": "nowhere-1"}},
        token=owner.token,
    )
    assert response.data["runCostAnalysis"]["userErrors"] == [
        {"field": ["region"], "code": "INVALID"}
    ]
    listed = await client.execute(
        "query($id: ID!) { architecture(id: $id) { analyses { totalCount } } }",
        {"id": arch["id"]},
        token=owner.token,
    )
    assert listed.data["architecture"]["analyses"]["totalCount"] == 0


async def test_threat_verdicts_survive_re_analysis(client: GraphQLClient) -> None:
    # given a threat model of a design whose API-to-DB link is unencrypted across zones
    owner, arch = await _setup(client)
    await client.mutate(
        "runThreatModel",
        RUN_THREATS,
        {"input": {"architectureId": arch["id"], "wait": True}},
        token=owner.token,
    )
    model = (await client.execute(THREAT_MODEL, {"id": arch["id"]}, token=owner.token)).data[
        "architecture"
    ]["latestAnalysis"]["threatModel"]
    on_link = [t for t in model["threats"] if t["element"] == "api->db"]
    assert {t["category"] for t in on_link} >= {"INFORMATION_DISCLOSURE", "TAMPERING"}
    threat = on_link[0]
    # when the owner accepts it and the model is run again
    result = await client.mutate(
        "setThreatStatus",
        SET_STATUS,
        {
            "input": {
                "architectureId": arch["id"],
                "threatId": threat["id"],
                "status": "ACCEPTED",
                "note": "private subnet",
            }
        },
        token=owner.token,
    )
    assert result["status"] == "ACCEPTED"
    await client.mutate(
        "runThreatModel",
        RUN_THREATS,
        {"input": {"architectureId": arch["id"], "wait": True}},
        token=owner.token,
    )
    # then the new model shows the same threat as accepted, by whom and why
    again = (
        await client.execute(
            THREAT_MODEL, {"id": arch["id"], "status": "ACCEPTED"}, token=owner.token
        )
    ).data["architecture"]["latestAnalysis"]["threatModel"]
    assert [(t["id"], t["note"], t["decidedBy"]) for t in again["threats"]] == [
        (threat["id"], "private subnet", {"id": owner.id})
    ]
    assert again["openCount"] == again["total"] - 1


async def test_unknown_threat_id_is_not_found(client: GraphQLClient) -> None:
    owner, arch = await _setup(client)
    response = await client.execute(
        SET_STATUS,
        {"input": {"architectureId": arch["id"], "threatId": "nope", "status": "MITIGATED"}},
        token=owner.token,
    )
    assert response.data["setThreatStatus"]["userErrors"] == [
        {"field": ["threatId"], "code": "NOT_FOUND"}
    ]
