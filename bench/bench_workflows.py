"""Workflow engine overhead: driving a 500-node no-op workflow to completion with plan().

The workflow is 10 parallel chains of 50 no-op bash nodes joined by one fan-in node (501
nodes). The drive loop is what the runtime does minus the work: call `plan`, mark every
started node COMPLETED, call `plan` again, until the outcome is no longer RUNNING (52
calls here, each visiting every node). Timed as the median of N drives (time.perf_counter),
with the definition parsed once beforehand (the runtime parses once per run too; parsing is
reported on its own line).

Baseline, measured in the same run: the same graph walked with graphlib.TopologicalSorter
(prepare, then get_ready/done until inactive) — the least a scheduler can do — so the ratio
is the price of trigger rules, conditions, skips and outcomes on top of a bare walk.

End to end (``--e2e-chains`` x ``--e2e-length`` nodes of ``bash: "true"``): the workflow
is saved and run through the GraphQL API of an in-process app on a temporary SQLite
database, its worker running the nodes as durable jobs (claim, node job, advance job,
events); timed from ``runWorkflow`` until the run is COMPLETED. Baseline, in the same
run: the same shell commands with the same parallelism (chains concurrently, each chain
in order) started directly with asyncio. The difference per node is what Atrium adds
around each node's work.

    python -m bench.bench_workflows [--chains 10] [--length 50] [--runs 21]
        [--e2e-chains 4] [--e2e-length 10]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

from atrium.engines.workflows.definition import WorkflowDefinition, parse_workflow
from atrium.engines.workflows.scheduler import NodeState, NodeStatus, RunOutcome, plan

COMPLETED = NodeState(NodeStatus.COMPLETED)


def build(chains: int, length: int) -> dict[str, Any]:
    """`chains` independent chains of `length` nodes, all feeding one "join" node."""
    nodes: list[dict[str, Any]] = []
    for chain in range(chains):
        for step in range(length):
            depends_on = [f"c{chain}-{step - 1}"] if step else []
            nodes.append({"id": f"c{chain}-{step}", "bash": "true", "depends_on": depends_on})
    tails = [f"c{chain}-{length - 1}" for chain in range(chains)]
    nodes.append({"id": "join", "bash": "true", "depends_on": tails})
    return {"name": "bench", "description": "no-op chains and a fan-in", "nodes": nodes}


def drive(definition: WorkflowDefinition) -> int:
    """Run the workflow to its end with plan(); returns the number of plan calls."""
    states: dict[str, NodeState] = {}
    calls = 0
    while True:
        step = plan(definition, states, {})
        calls += 1
        for node_id in step.start:
            states[node_id] = COMPLETED
        if step.outcome is not RunOutcome.RUNNING:
            assert step.outcome is RunOutcome.COMPLETED, step.outcome
            assert len(states) == len(definition.nodes)
            return calls


def walk(graph: dict[str, list[str]]) -> int:
    """The baseline: a bare topological walk of the same graph."""
    sorter = TopologicalSorter(graph)
    sorter.prepare()
    rounds = 0
    while sorter.is_active():
        ready = sorter.get_ready()
        sorter.done(*ready)
        rounds += 1
    return rounds


def _median_ms(run: Callable[[], Any], runs: int) -> float:
    run()  # warm: the definition's graph indexes are computed and cached on first use
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def run_engine_bench(chains: int = 10, length: int = 50, runs: int = 21) -> dict[str, Any]:
    """The figures `main` prints, for reuse (e.g. an end-to-end section comparing them)."""
    document = build(chains, length)
    parse_ms = _median_ms(lambda: parse_workflow(document), max(3, runs // 4))
    definition, problems = parse_workflow(document)
    assert definition is not None, problems
    graph = {node.id: list(node.depends_on) for node in definition.nodes}
    nodes = len(definition.nodes)
    engine_ms = _median_ms(lambda: drive(definition), runs)
    baseline_ms = _median_ms(lambda: walk(graph), runs)
    return {
        "nodes": nodes,
        "plan_calls": drive(definition),
        "parse_ms": parse_ms,
        "engine_ms": engine_ms,
        "engine_us_per_node": engine_ms * 1000 / nodes,
        "baseline_ms": baseline_ms,
        "baseline_us_per_node": baseline_ms * 1000 / nodes,
        "ratio": engine_ms / baseline_ms,
    }


async def _bash_baseline(chains: int, length: int) -> float:
    async def true() -> None:
        process = await asyncio.create_subprocess_exec("bash", "-c", "true")
        await process.wait()

    async def chain() -> None:
        for _ in range(length):
            await true()

    started = time.perf_counter()
    await asyncio.gather(*(chain() for _ in range(chains)))
    await true()  # the fan-in
    return time.perf_counter() - started


async def _end_to_end(chains: int, length: int) -> dict[str, Any]:
    import httpx

    from atrium.app import create_app
    from atrium.core.config import Environment, Settings
    from atrium.core.migrate import upgrade

    folder = Path(tempfile.mkdtemp(prefix="atrium-bench-wf-"))
    try:
        url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        settings = Settings(
            env=Environment.TEST,
            database_url=url,
            secret_key="bench-secret-key-that-is-long-enough-0123456789",
            redis_url=None,
            rate_limit_free_per_hour=1_000_000,
            argon2_time_cost=1,
            argon2_memory_kib=1024,
            log_json=False,
            log_level="WARNING",
            data_dir=folder / "data",
            worker_concurrency=max(4, chains),
        )
        app = create_app(settings)
        await app.state.atrium.services.start()
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:

                async def gql(query: str, variables: dict[str, Any], token: str = "") -> Any:
                    headers = {"Authorization": f"Bearer {token}"} if token else {}
                    body = (
                        await http.post(
                            "/graphql",
                            json={"query": query, "variables": variables},
                            headers=headers,
                        )
                    ).json()
                    assert "errors" not in body, body
                    return body["data"]

                token = (
                    await gql(
                        "mutation($e: String!) { register(input: {email: $e, password: "
                        '"long-password-1"}) { accessToken } }',
                        {"e": "bench@example.com"},
                    )
                )["register"]["accessToken"]
                org = (
                    await gql(
                        'mutation { createOrganization(input: {name: "Bench"}) '
                        "{ organization { id } } }",
                        {},
                        token,
                    )
                )["createOrganization"]["organization"]["id"]
                definition = build(chains, length)
                definition["name"] = "bench"
                await gql(
                    "mutation($i: SaveWorkflowInput!) { saveWorkflow(input: $i) "
                    "{ userErrors { message } } }",
                    {"i": {"organizationId": org, "name": "bench", "definition": definition}},
                    token,
                )
                started = time.perf_counter()
                run = (
                    await gql(
                        "mutation($i: RunWorkflowInput!) { runWorkflow(input: $i) { run { id } } }",
                        {"i": {"organizationId": org, "workflowName": "bench"}},
                        token,
                    )
                )["runWorkflow"]["run"]["id"]
                while True:
                    status = (
                        await gql(
                            "query($id: ID!) { workflowRun(id: $id) { status } }",
                            {"id": run},
                            token,
                        )
                    )["workflowRun"]["status"]
                    if status != "RUNNING" and status != "PENDING":
                        break
                    await asyncio.sleep(0.02)
                elapsed = time.perf_counter() - started
                assert status == "COMPLETED", status
        finally:
            await app.state.atrium.services.close()
        baseline = await _bash_baseline(chains, length)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    nodes = chains * length + 1
    return {
        "nodes": nodes,
        "seconds": elapsed,
        "nodes_per_second": nodes / elapsed,
        "baseline_seconds": baseline,
        "overhead_ms_per_node": (elapsed - baseline) * 1000 / nodes,
        "ratio": elapsed / baseline if baseline else float("nan"),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", type=int, default=10)
    parser.add_argument("--length", type=int, default=50)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--e2e-chains", type=int, default=4)
    parser.add_argument("--e2e-length", type=int, default=10)
    args = parser.parse_args(argv if argv is not None else [])
    figures = run_engine_bench(args.chains, args.length, args.runs)
    print(
        f"{figures['nodes']} nodes ({args.chains} chains of {args.length} and a fan-in), "
        f"{figures['plan_calls']} plan calls per drive; median of {args.runs} runs"
    )
    print(f"{'parse_workflow':<22} {figures['parse_ms']:8.2f} ms   (once per run)")
    print(
        f"{'plan() drive':<22} {figures['engine_ms']:8.2f} ms   "
        f"{figures['engine_us_per_node']:6.2f} µs/node   "
        f"ratio to baseline {figures['ratio']:6.2f}x"
    )
    print(
        f"{'baseline graphlib walk':<22} {figures['baseline_ms']:8.2f} ms   "
        f"{figures['baseline_us_per_node']:6.2f} µs/node"
    )

    e2e = asyncio.run(_end_to_end(args.e2e_chains, args.e2e_length))
    print(
        f"end to end: {e2e['nodes']} bash nodes ({args.e2e_chains} chains of {args.e2e_length} "
        f"and a fan-in) in {e2e['seconds']:.2f} s = {e2e['nodes_per_second']:.1f} nodes/s; "
        f"the same commands run directly: {e2e['baseline_seconds']:.2f} s; "
        f"ratio {e2e['ratio']:.1f}x, Atrium adds {e2e['overhead_ms_per_node']:.1f} ms per node"
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
