"""The few git operations Atrium needs, through the git command line.

git's own CLI is the most faithful implementation of clone, fetch and worktree (what
pure-Python ports like dulwich lack, worktrees above all), and it is installed wherever
developers are. Every call runs as an asyncio subprocess with a timeout, no terminal
prompts and no user or system config, so a server never hangs on a credential prompt.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

GIT_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Atrium",
    "GIT_AUTHOR_EMAIL": "atrium@localhost",
    "GIT_COMMITTER_NAME": "Atrium",
    "GIT_COMMITTER_EMAIL": "atrium@localhost",
}


class GitError(Exception):
    """A git command failed; ``message`` is git's own stderr, trimmed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def git(*args: str, cwd: str | Path | None = None, timeout: float = 300.0) -> str:  # noqa: ASYNC109
    env = {**os.environ, **GIT_ENV, "HOME": os.environ.get("HOME", "/tmp")}
    process = await asyncio.create_subprocess_exec(
        "git",
        *args,
        cwd=str(cwd) if cwd else None,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise GitError(f"git {args[0]} took longer than {timeout:.0f} s") from None
    if process.returncode != 0:
        raise GitError(err.decode(errors="replace").strip()[-2000:] or f"git {args[0]} failed")
    return out.decode(errors="replace").strip()


async def head_commit(path: str | Path, ref: str = "HEAD") -> str:
    return await git("rev-parse", "--verify", f"{ref}^{{commit}}", cwd=path)


async def current_branch(path: str | Path) -> str | None:
    try:
        return await git("symbolic-ref", "--short", "HEAD", cwd=path)
    except GitError:
        return None  # detached HEAD


async def is_repository(path: str | Path) -> bool:
    try:
        await git("rev-parse", "--git-dir", cwd=path)
    except (GitError, FileNotFoundError, NotADirectoryError):
        return False
    return True


async def clone(url: str, destination: Path, timeout: float) -> None:  # noqa: ASYNC109
    destination.parent.mkdir(parents=True, exist_ok=True)
    await git("clone", "--no-hardlinks", "--", url, str(destination), timeout=timeout)


async def fetch(path: str | Path, timeout: float) -> None:  # noqa: ASYNC109
    await git("fetch", "--prune", "origin", cwd=path, timeout=timeout)
    branch = await current_branch(path)
    if branch:
        await git("reset", "--hard", f"origin/{branch}", cwd=path, timeout=timeout)


async def add_worktree(repo: str | Path, path: Path, branch: str, base: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    await git("worktree", "add", "-b", branch, str(path), base, cwd=repo)


async def remove_worktree(repo: str | Path, path: Path, branch: str) -> None:
    await git("worktree", "remove", "--force", str(path), cwd=repo)
    with contextlib.suppress(GitError):  # the branch may be gone already: nothing to clean
        await git("branch", "-D", branch, cwd=repo)
    await git("worktree", "prune", cwd=repo)


async def changed_files(path: str | Path, base: str, head: str) -> list[str]:
    out = await git("diff", "--name-only", f"{base}...{head}", cwd=path)
    return [line for line in out.splitlines() if line]
