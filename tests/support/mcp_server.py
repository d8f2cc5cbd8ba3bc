"""A tiny MCP server for tests and benchmarks, built with the ``mcp`` SDK's MCPServer
(v1's FastMCP).

``python tests/support/mcp_server.py`` serves it over stdio; ``--http PORT`` over
streamable HTTP on 127.0.0.1 (stateless, JSON answers) at ``/mcp``. With ``--require-env
NAME`` it refuses to start unless the variable is set (an auth field given as env), and
``echo_env(name)`` shows what a variable holds, so tests see what the server was given;
``pid()`` which process answered.
"""

from __future__ import annotations

import argparse
import os
import sys

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("atrium-test-tools", version="1.0", log_level="CRITICAL")


@server.tool()
def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


@server.tool()
def echo(text: str) -> str:
    """Answer with the text it was given."""
    return text


@server.tool()
async def slow(seconds: float) -> str:
    """Wait ``seconds``, then answer."""
    await anyio.sleep(seconds)
    return f"slept {seconds}"


@server.tool()
def fail(message: str) -> str:
    """Always fails with ``message``."""
    raise ToolError(message)


@server.tool()
def echo_env(name: str) -> str:
    """The value of an environment variable ('' when unset)."""
    return os.environ.get(name, "")


@server.tool()
def pid() -> int:
    """This server's process ID (tests see which process answered, and when it stops)."""
    return os.getpid()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, help="serve streamable HTTP on this port")
    parser.add_argument("--require-env", help="exit at once unless this variable is set")
    args = parser.parse_args()
    if args.require_env and not os.environ.get(args.require_env):
        print(f"{args.require_env} is not set", file=sys.stderr)
        sys.exit(3)
    if args.http:
        server.run("streamable-http", port=args.http, stateless_http=True, json_response=True)
    else:
        server.run()


if __name__ == "__main__":
    main()
