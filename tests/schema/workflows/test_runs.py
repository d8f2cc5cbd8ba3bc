"""Workflow runs over GraphQL: the DAG runs for real (bash and the offline model), and
every lifecycle transition Archon allows, and none it does not."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import GraphQLClient
from tests.schema.workflows.factories import (
    get_run,
    node,
    owner_and_org,
    save_workflow,
    start_run,
    steer,
    wait_for_node,
    wait_for_run,
)


async def test_a_dag_runs_branches_honours_conditions_and_trigger_rules(
    client: GraphQLClient,
) -> None:
    # given a fan-out / fan-in workflow of shell nodes, one branch behind a false condition
    owner, org = await owner_and_org(client)
    wf = await save_workflow(
        client,
        owner,
        org,
        {
            "nodes": [
                {"id": "probe", "bash": 'echo \'{"ok": true, "count": 3}\''},
                {
                    "id": "left",
                    "depends_on": ["probe"],
                    "bash": "echo left-$ARGUMENTS",
                    "when": "$probe.output.count > 2",
                },
                {
                    "id": "right",
                    "depends_on": ["probe"],
                    "bash": "echo right",
                    "when": "$probe.output.ok == false",
                },
                {
                    "id": "join",
                    "depends_on": ["left", "right"],
                    "trigger_rule": "none_failed_min_one_success",
                    "bash": "echo joined",
                },
                {"id": "strict", "depends_on": ["left", "right"], "bash": "echo never"},
            ]
        },
    )
    # when it runs
    run = await start_run(client, owner, org, wf["name"], message="go")
    assert run["status"] == "PENDING"
    done = await wait_for_run(client, owner, run["id"])
    # then it completes: the true branch ran, the false one and its strict join were skipped
    assert done["status"] == "COMPLETED", done
    assert node(done, "probe")["output"] == {"ok": True, "count": 3}
    assert node(done, "left")["outputText"].strip() == "left-go"
    assert node(done, "right")["status"] == "SKIPPED"
    assert "condition" in node(done, "right")["skipReason"]
    assert node(done, "join")["status"] == "COMPLETED"
    assert node(done, "strict")["status"] == "SKIPPED"
    # and the history tells the story in order
    types = [e["type"] for e in done["events"]]
    assert types[0] == "WORKFLOW_STATUS" and types[-1] == "WORKFLOW_STATUS"
    assert [e["sequence"] for e in done["events"]] == list(range(1, len(types) + 1))
    assert types.count("NODE_COMPLETED") == 3 and types.count("NODE_SKIPPED") == 2
    assert done["events"][-1]["status"] == "COMPLETED"


async def test_prompt_and_command_nodes_use_the_agent_provider(client: GraphQLClient) -> None:
    # given the bundled one-step workflow (a command node) and the offline model
    owner, org = await owner_and_org(client)
    run = await start_run(client, owner, org, "archon-assist", message="What is this?")
    done = await wait_for_run(client, owner, run["id"])
    # then the organization's assistant answered, and says it is offline
    assert done["status"] == "COMPLETED", done
    assert "offline" in node(done, "answer")["outputText"].lower()


async def test_a_failing_node_fails_the_run_and_resume_skips_completed_nodes(
    client: GraphQLClient, tmp_path: Path
) -> None:
    # given a second node that fails the first time only
    owner, org = await owner_and_org(client)
    marker = tmp_path / "second-try"
    wf = await save_workflow(
        client,
        owner,
        org,
        {
            "nodes": [
                {"id": "first", "bash": "echo first"},
                {
                    "id": "flaky",
                    "depends_on": ["first"],
                    "bash": f"test -f {marker} || {{ touch {marker}; echo boom; exit 3; }}",
                },
            ]
        },
    )
    run = await start_run(client, owner, org, wf["name"])
    failed = await wait_for_run(client, owner, run["id"])
    assert failed["status"] == "FAILED"
    assert "code 3" in node(failed, "flaky")["error"] and "flaky" in failed["error"]
    # when it is resumed
    resumed = await client.mutate(
        "resumeWorkflowRun",
        steer("resumeWorkflowRun"),
        {"input": {"runId": run["id"]}},
        token=owner.token,
    )
    assert resumed["run"]["status"] == "RUNNING"
    done = await wait_for_run(client, owner, run["id"])
    # then it completes without running the completed node again
    assert done["status"] == "COMPLETED"
    assert node(done, "first")["attempts"] == 1
    assert node(done, "flaky")["attempts"] == 2


async def test_an_approval_gate_pauses_and_approve_continues(client: GraphQLClient) -> None:
    owner, org = await owner_and_org(client)
    wf = await save_workflow(
        client,
        owner,
        org,
        {
            "nodes": [
                {"id": "gate", "approval": {"message": "Ship $ARGUMENTS?"}},
                {"id": "after", "depends_on": ["gate"], "bash": "echo shipped"},
            ]
        },
    )
    run = await start_run(client, owner, org, wf["name"], message="v2")
    paused = await wait_for_run(client, owner, run["id"], ("PAUSED",))
    requested = [e for e in paused["events"] if e["type"] == "APPROVAL_REQUESTED"]
    assert requested[0]["data"]["message"] == "Ship v2?"
    # when someone approves with a comment
    approved = await client.mutate(
        "approveWorkflowRun",
        steer("approveWorkflowRun", "ApproveWorkflowRunInput"),
        {"input": {"runId": run["id"], "comment": "LGTM"}},
        token=owner.token,
    )
    assert approved["run"]["status"] == "RUNNING"
    done = await wait_for_run(client, owner, run["id"])
    # then the run goes on and completes; the gate's output records the approval
    assert done["status"] == "COMPLETED"
    assert node(done, "gate")["output"]["comment"] == "LGTM"
    assert node(done, "after")["status"] == "COMPLETED"


async def test_reject_runs_the_rework_prompt_then_asks_again_then_cancels(
    client: GraphQLClient,
) -> None:
    owner, org = await owner_and_org(client)
    wf = await save_workflow(
        client,
        owner,
        org,
        {
            "nodes": [
                {
                    "id": "gate",
                    "approval": {
                        "message": "OK?",
                        "on_reject": {
                            "prompt": "Rework because $REJECTION_REASON",
                            "max_attempts": 1,
                        },
                    },
                },
                {"id": "after", "depends_on": ["gate"], "bash": "echo never"},
            ]
        },
    )
    run = await start_run(client, owner, org, wf["name"])
    await wait_for_run(client, owner, run["id"], ("PAUSED",))
    reject = steer("rejectWorkflowRun", "RejectWorkflowRunInput")
    # when it is rejected once: the rework prompt runs and the gate asks again
    first = await client.mutate(
        "rejectWorkflowRun",
        reject,
        {"input": {"runId": run["id"], "reason": "too big"}},
        token=owner.token,
    )
    assert first["run"]["status"] == "RUNNING"
    again = await wait_for_run(client, owner, run["id"], ("PAUSED",))
    assert "offline" in node(again, "gate")["outputText"].lower()
    assert [e["type"] for e in again["events"]].count("APPROVAL_REQUESTED") == 2
    # and rejected again past max_attempts: the run is cancelled, history kept
    second = await client.mutate(
        "rejectWorkflowRun",
        reject,
        {"input": {"runId": run["id"], "reason": "still no"}},
        token=owner.token,
    )
    assert second["run"]["status"] == "CANCELLED"
    assert "still no" in second["run"]["error"]
    done = await get_run(client, owner, run["id"])
    assert node(done, "after")["status"] == "PENDING"


async def test_cancel_stops_in_flight_work(client: GraphQLClient) -> None:
    owner, org = await owner_and_org(client)
    wf = await save_workflow(
        client, owner, org, {"nodes": [{"id": "slow", "bash": "sleep 60; echo late"}]}
    )
    run = await start_run(client, owner, org, wf["name"])
    await wait_for_node(client, owner, run["id"], "slow", "RUNNING")
    cancelled = await client.mutate(
        "cancelWorkflowRun",
        steer("cancelWorkflowRun"),
        {"input": {"runId": run["id"]}},
        token=owner.token,
    )
    assert cancelled["run"]["status"] == "CANCELLED"
    # then the shell is stopped and the node says so
    done = await wait_for_node(client, owner, run["id"], "slow", "CANCELLED")
    assert done["status"] == "CANCELLED"


async def test_transitions_archon_does_not_allow_are_user_errors(client: GraphQLClient) -> None:
    owner, org = await owner_and_org(client)
    wf = await save_workflow(client, owner, org, {"nodes": [{"id": "a", "bash": "true"}]})
    run = await start_run(client, owner, org, wf["name"])
    await wait_for_run(client, owner, run["id"])
    for field, input_type in [
        ("approveWorkflowRun", "ApproveWorkflowRunInput"),
        ("rejectWorkflowRun", "RejectWorkflowRunInput"),
        ("cancelWorkflowRun", "WorkflowRunIdInput"),
        ("resumeWorkflowRun", "WorkflowRunIdInput"),
        ("abandonWorkflowRun", "WorkflowRunIdInput"),
    ]:
        response = await client.execute(
            steer(field, input_type), {"input": {"runId": run["id"]}}, token=owner.token
        )
        [error] = response.data[field]["userErrors"]
        assert error["code"] == "INVALID_TRANSITION", (field, error)
        assert "completed" in error["message"]
    # a finished run can be deleted, with its events
    deleted = await client.mutate(
        "deleteWorkflowRun",
        steer("deleteWorkflowRun"),
        {"input": {"runId": run["id"]}},
        token=owner.token,
    )
    assert deleted["deletedId"] == run["id"]
    gone = await client.execute(
        "query($id: ID!) { workflowRun(id: $id) { id } }", {"id": run["id"]}, token=owner.token
    )
    assert gone.codes == ["NOT_FOUND"]


async def test_abandon_keeps_a_failed_run_as_cancelled(client: GraphQLClient) -> None:
    owner, org = await owner_and_org(client)
    wf = await save_workflow(client, owner, org, {"nodes": [{"id": "a", "bash": "exit 1"}]})
    run = await start_run(client, owner, org, wf["name"])
    assert (await wait_for_run(client, owner, run["id"]))["status"] == "FAILED"
    abandoned = await client.mutate(
        "abandonWorkflowRun",
        steer("abandonWorkflowRun"),
        {"input": {"runId": run["id"]}},
        token=owner.token,
    )
    assert abandoned["run"]["status"] == "CANCELLED"
    kept = await get_run(client, owner, run["id"])
    assert node(kept, "a")["status"] == "FAILED" and len(kept["events"]) >= 3


async def test_another_organization_cannot_see_or_steer_a_run(client: GraphQLClient) -> None:
    owner, org = await owner_and_org(client)
    stranger, _ = await owner_and_org(client)
    wf = await save_workflow(client, owner, org, {"nodes": [{"id": "a", "bash": "true"}]})
    run = await start_run(client, owner, org, wf["name"])
    seen = await client.execute(
        "query($id: ID!) { workflowRun(id: $id) { id } }", {"id": run["id"]}, token=stranger.token
    )
    assert seen.codes == ["NOT_FOUND"]
    response = await client.execute(
        steer("cancelWorkflowRun"), {"input": {"runId": run["id"]}}, token=stranger.token
    )
    assert response.data["cancelWorkflowRun"]["userErrors"][0]["code"] == "NOT_FOUND"
