"""Health assessment of a ~50,000-line Python corpus against its bare analysers.

Builds the corpus deterministically in a temporary directory: Atrium's own `atrium/`
package plus the installed `strawberry` package's sources (about 22k + 29k lines of code),
then times, as the median of N alternating rounds (time.perf_counter):

- direct: the exact commands `assess()` runs (ruff, radon, vulture, symilar, lizard), started
  concurrently as `assess()` starts them, with their file lists prepared beforehand;
- assess: a full `assess()`, which also reads the inventory, parses every output,
  fingerprints findings, estimates coverage and scores.

Target: assess / direct under 1.3, i.e. the engine adds less than 30% to the analysers.
The wall-time ratio is the median of the per-round ratios (each round runs both back to
back, so a neighbour's load hits both alike). CPU time (resource.getrusage: the analysers'
processes, plus this process for assess) is printed too: on a shared 2-core machine it is
the steadier measure of what the engine itself adds.

    python -m bench.bench_health [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import strawberry

from atrium.engines.health import analysers, assess
from atrium.engines.health.inventory import scan

TARGET_RATIO = 1.3
ATRIUM = Path(__file__).resolve().parent.parent / "atrium"
STRAWBERRY = Path(strawberry.__file__).resolve().parent


def build_corpus(target: Path) -> Path:
    """Copy both packages, without bytecode caches, into `target`."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ATRIUM, target / "atrium", ignore=ignore)
    shutil.copytree(STRAWBERRY, target / "strawberry", ignore=ignore)
    return target


def _cpu_seconds() -> tuple[float, float]:
    """(CPU of finished child processes, CPU of this process), user plus system."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    return children.ru_utime + children.ru_stime, own.ru_utime + own.ru_stime


def run_direct(commands: list[analysers.AnalyserCommand]) -> float:
    """All commands at once, as plain processes; the wall time until the last one exits."""
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            command.argv,
            cwd=command.cwd,
            env=command.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for command in commands
    ]
    for process in processes:
        process.communicate()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    direct: list[float] = []
    full: list[float] = []
    direct_cpu: list[float] = []
    full_cpu: list[float] = []
    result = None
    with tempfile.TemporaryDirectory(prefix="bench-health-") as scratch:
        corpus = build_corpus(Path(scratch) / "corpus")
        workdir = Path(scratch) / "work"
        workdir.mkdir()
        inventory = scan(corpus.resolve())
        commands = analysers.early_commands(corpus.resolve(), workdir)
        commands += analysers.inventory_commands(inventory, workdir)
        print(
            f"corpus: {len(inventory.files)} files, {inventory.lines_of_code:,} lines of code, "
            f"{inventory.lines_of_tests:,} of tests; analysers: {', '.join(c.name for c in commands)}"
        )
        run_direct(commands)  # warm-up: bytecode compilation and disk cache
        for _ in range(args.runs):
            children, _own = _cpu_seconds()
            direct.append(run_direct(commands))
            children_after, own = _cpu_seconds()
            direct_cpu.append(children_after - children)
            started = time.perf_counter()
            result = asyncio.run(assess(corpus))
            full.append(time.perf_counter() - started)
            children_final, own_final = _cpu_seconds()
            full_cpu.append(children_final - children_after + own_final - own)
    assert result is not None
    ratio = statistics.median(f / d for f, d in zip(full, direct, strict=True))
    cpu_ratio = statistics.median(f / d for f, d in zip(full_cpu, direct_cpu, strict=True))
    runs = f"median of {args.runs}"
    print(
        f"direct analysers: {statistics.median(direct):.2f} s wall, {statistics.median(direct_cpu):.2f} s CPU ({runs})"
    )
    print(
        f"assess():         {statistics.median(full):.2f} s wall, {statistics.median(full_cpu):.2f} s CPU ({runs})"
    )
    verdict = "ok" if ratio < TARGET_RATIO else "OVER TARGET"
    print(
        f"ratio assess/direct: {ratio:.2f}x wall (target < {TARGET_RATIO}x) {verdict}, {cpu_ratio:.2f}x CPU"
    )
    durations = ", ".join(f"{r.name} {r.duration_seconds:.2f}s" for r in result.analysers)
    print(f"last assess: {durations}")
    print(
        f"last assess: {len(result.findings):,} findings, overall {result.overall_score} "
        f"grade {result.grade}, errors {len(result.errors)}"
    )


if __name__ == "__main__":
    main()
