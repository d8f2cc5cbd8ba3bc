"""``python -m bench.bench_mcp`` runs end to end and leaves nothing behind in the
temporary directory (it used to leave an ``atrium-bench-mcp-*`` folder per run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_mcp_benchmark_cleans_up_after_itself(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("ATRIUM_DATABASE_URL", None)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.bench_mcp",
            "--calls",
            "4",
            "--block",
            "2",
            "--transports",
            "stdio",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr.decode()[-3000:]
    out = run.stdout.decode()
    assert "stdio gateway" in out, out
    assert sorted(p.name for p in tmp_path.iterdir()) == []
