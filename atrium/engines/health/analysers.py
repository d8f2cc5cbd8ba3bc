"""The external analysers, as commands, and running them concurrently without blocking.

Each analyser is an established tool run as a subprocess with an explicit, isolated
configuration, so a repository's own config files cannot change its score:

- ruff: `--isolated`, a fixed rule selection (see `rules`), `--ignore-noqa` (suppression
  is what dismiss rules are for, and a `# noqa` must not hide an `eval` from a merge gate);
- radon `cc`: cyclomatic complexity of Python functions; run from an empty working
  directory with HOME pointed there, since radon reads radon.cfg, setup.cfg and
  pyproject.toml from the working directory and ~/.radon.cfg;
- lizard: the same metric for every other language (JS/TS, Go, Java...). It is not used for
  Python because radon is an order of magnitude faster there;
- vulture: unused code across the whole project, with an empty config file;
- symilar (pylint's duplicate-code detector, without pylint's slow AST-based options):
  blocks of 6 or more identical lines, comments and docstrings ignored.

Every command gets a timeout; a missing tool, a crash or a timeout becomes an error entry in
the assessment rather than an exception, and the other analysers still count.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import glob
import importlib.util
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from atrium.engines.health.inventory import EXCLUDED_DIRS, Inventory
from atrium.engines.health.rules import RUFF_IGNORE, RUFF_LINE_LENGTH, RUFF_SELECT

DUPLICATE_MIN_LINES = 6
COMPLEXITY_MIN_RANK = "C"  # radon reports only functions above complexity 10
_MAX_ARGV_CHARS = 200_000
_HIDDEN_DIRS = (".git", ".hg", ".svn", ".venv", ".tox", ".nox", ".eggs", ".mypy_cache")
# Distribution whose version an analyser reports, and the module that proves it installed.
_DISTRIBUTIONS = {
    "ruff": ("ruff", "ruff"),
    "radon": ("radon", "radon"),
    "lizard": ("lizard", "lizard"),
    "vulture": ("vulture", "vulture"),
    "symilar": ("pylint", "pylint"),  # find_spec of a submodule would import its parents
}


@dataclass(frozen=True, slots=True)
class AnalyserCommand:
    """One analyser invocation: exactly what `assess` runs, and what the benchmark replays."""

    name: str
    argv: tuple[str, ...]
    cwd: Path
    ok_exit_codes: frozenset[int]
    env: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class CommandResult:
    name: str
    status: str  # ok, failed, timeout, missing
    stdout: str
    stderr: str
    returncode: int | None
    duration_seconds: float
    error: str | None = None


@functools.lru_cache(maxsize=16)
def analyser_version(name: str) -> str | None:
    try:
        return metadata.version(_DISTRIBUTIONS[name][0])
    except (metadata.PackageNotFoundError, KeyError):
        return None


def is_installed(name: str) -> bool:
    if name == "ruff":
        return ruff_binary() is not None
    try:
        return importlib.util.find_spec(_DISTRIBUTIONS[name][1]) is not None
    except ModuleNotFoundError:
        return False


def ruff_binary() -> str | None:
    """The ruff binary of this environment (its Python package ships it), else PATH's."""
    try:
        from ruff.__main__ import find_ruff_bin

        return str(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("ruff")


def _isolated_env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"RADONCFG", "PYTHONSTARTUP"}}
    env.update({"HOME": str(workdir), "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"})
    return env


def ruff_command(root: Path, workdir: Path) -> AnalyserCommand:
    excluded = sorted(EXCLUDED_DIRS | set(_HIDDEN_DIRS))
    argv = (
        ruff_binary() or "ruff",
        "check",
        str(root),
        "--isolated",
        "--no-cache",
        "--ignore-noqa",
        "--exit-zero",
        "--output-format",
        "json",
        "--select",
        ",".join(RUFF_SELECT),
        "--ignore",
        ",".join(RUFF_IGNORE),
        "--config",
        f"line-length = {RUFF_LINE_LENGTH}",
        "--config",
        "respect-gitignore = false",
        "--config",
        f"exclude = {json.dumps(excluded)}",
    )
    return AnalyserCommand("ruff", argv, workdir, frozenset({0}), _isolated_env(workdir))


def radon_command(root: Path, workdir: Path) -> AnalyserCommand:
    ignore = ",".join([".*", *sorted(EXCLUDED_DIRS)])
    argv: tuple[str, ...] = (
        sys.executable,
        "-m",
        "radon",
        "cc",
        "--json",
        "--min",
        COMPLEXITY_MIN_RANK,
    )
    argv += ("--ignore", ignore, str(root))
    return AnalyserCommand("radon", argv, workdir, frozenset({0}), _isolated_env(workdir))


def vulture_command(root: Path, workdir: Path) -> AnalyserCommand:
    config = workdir / "vulture.toml"
    config.write_text("")
    anchored = glob.escape(str(root))
    patterns = [f"{anchored}/{d}/*" for d in sorted(EXCLUDED_DIRS)]
    patterns += [f"{anchored}/*/{d}/*" for d in sorted(EXCLUDED_DIRS)]
    patterns += [f"{anchored}/.*", f"{anchored}/*/.*"]
    argv: tuple[str, ...] = (sys.executable, "-m", "vulture", str(root), "--min-confidence", "60")
    argv += ("--config", str(config), "--exclude", ",".join(patterns))
    # Exit codes: 0 nothing found, 3 dead code found, 1 some file did not parse.
    return AnalyserCommand("vulture", argv, workdir, frozenset({0, 1, 3}), _isolated_env(workdir))


def symilar_command(root: Path, workdir: Path, paths: list[str]) -> AnalyserCommand:
    """symilar's CLI takes files as arguments; a huge repository gets them from a file.

    Splitting the list would miss duplicates across the parts, so past the size where a
    command line becomes risky the same entry point is called with the list read from disk.
    """
    options = ["-d", str(DUPLICATE_MIN_LINES), "--ignore-comments", "--ignore-docstrings"]
    env = _isolated_env(workdir)
    if sum(len(p) + 1 for p in paths) < _MAX_ARGV_CHARS:
        argv = (sys.executable, "-m", "pylint.checkers.symilar", *options, *paths)
        return AnalyserCommand("symilar", argv, root, frozenset({0}), env)
    listing = workdir / "symilar-files.txt"
    listing.write_text("\n".join(paths))
    script = (
        "import sys; from pylint.checkers.symilar import Run; "
        "Run(sys.argv[1:-1] + open(sys.argv[-1], encoding='utf-8').read().split('\\n'))"
    )
    argv = (sys.executable, "-c", script, *options, str(listing))
    return AnalyserCommand("symilar", argv, root, frozenset({0}), env)


def lizard_command(workdir: Path, absolute_paths: list[str]) -> AnalyserCommand:
    listing = workdir / "lizard-files.txt"
    listing.write_text("\n".join(absolute_paths) + "\n")
    argv = (sys.executable, "-m", "lizard", "--csv", "-i", "-1", "-f", str(listing))
    return AnalyserCommand("lizard", argv, workdir, frozenset({0}), _isolated_env(workdir))


def early_commands(root: Path, workdir: Path) -> list[AnalyserCommand]:
    """Analysers that find files themselves, so they can start before the inventory is read."""
    return [
        ruff_command(root, workdir),
        radon_command(root, workdir),
        vulture_command(root, workdir),
    ]


def inventory_commands(inventory: Inventory, workdir: Path) -> list[AnalyserCommand]:
    """Analysers that take an explicit file list from the inventory."""
    commands: list[AnalyserCommand] = []
    readable = [f.path for f in inventory.files if f.utf8]
    if readable:
        commands.append(symilar_command(inventory.root, workdir, readable))
    others = [f.path for f in inventory.files if f.language != "python"]
    if others:
        commands.append(lizard_command(workdir, [str(inventory.root / p) for p in others]))
    return commands


async def run_command(command: AnalyserCommand, timeout_seconds: float) -> CommandResult:
    """Run one analyser; never raises for the tool's sake, and never leaves it running."""
    started = time.perf_counter()
    process: asyncio.subprocess.Process | None = None

    def result(status: str, error: str | None, out: bytes = b"", err: bytes = b"") -> CommandResult:
        return CommandResult(
            name=command.name,
            status=status,
            stdout=out.decode("utf-8", errors="replace"),
            stderr=err.decode("utf-8", errors="replace"),
            returncode=process.returncode if process else None,
            duration_seconds=time.perf_counter() - started,
            error=error,
        )

    if not is_installed(command.name):
        return result("missing", f"{command.name} is not installed")
    try:
        process = await asyncio.create_subprocess_exec(
            *command.argv,
            cwd=command.cwd,
            env=command.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout_seconds)
    except TimeoutError:
        return result("timeout", f"{command.name} timed out after {timeout_seconds:g}s")
    except OSError as exc:
        return result("failed", f"{command.name} could not start: {exc}")
    finally:
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    if process.returncode not in command.ok_exit_codes:
        tail = err.decode("utf-8", errors="replace").strip().splitlines()[-3:]
        message = f"{command.name} exited with {process.returncode}: {' | '.join(tail)}"
        return result("failed", message, out, err)
    return result("ok", None, out, err)
