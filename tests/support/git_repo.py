"""Real git repositories for tests: init, commit files, branch."""

from __future__ import annotations

import subprocess
from pathlib import Path

ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.test",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.test",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/tmp",
    "PATH": "/usr/bin:/bin:/usr/local/bin",
}


def run(path: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=path, env=ENV, check=True, capture_output=True, text=True
    ).stdout.strip()


def make_repo(path: Path, files: dict[str, str], branch: str = "main") -> str:
    """A repository at ``path`` with ``files`` committed on ``branch``; returns the commit."""
    path.mkdir(parents=True, exist_ok=True)
    run(path, "init", "-q", "-b", branch)
    return commit(path, files, "initial commit")


def commit(path: Path, files: dict[str, str], message: str) -> str:
    for name, content in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    run(path, "add", "-A")
    run(path, "commit", "-q", "-m", message)
    return run(path, "rev-parse", "HEAD")
