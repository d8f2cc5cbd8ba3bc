"""GraphiQL at ``/graphql``, with its assets served by Atrium itself.

Why vendored assets (``atrium/static/graphiql``, see its README): the IDE must work on a
machine with no internet, and a page that pulls scripts from a CDN would also run
whatever that CDN serves with the user's API key in reach. Everything, including the
start-up script, comes from ``/static``, so the page forbids inline and foreign scripts
with a Content-Security-Policy.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# GraphiQL and CodeMirror set inline styles; scripts only ever come from this origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Atrium GraphiQL</title>
  <link rel="stylesheet" href="/static/graphiql/graphiql.min.css">
  <style>html, body, #graphiql {{ margin: 0; height: 100%; }}</style>
</head>
<body>
  <div id="graphiql" data-endpoint="{endpoint}">Loading GraphiQL…</div>
  <script src="/static/graphiql/react.production.min.js"></script>
  <script src="/static/graphiql/react-dom.production.min.js"></script>
  <script src="/static/graphiql/graphiql.min.js"></script>
  <script src="/static/graphiql/init.js"></script>
</body>
</html>
"""


def wants_html(request: Request) -> bool:
    """A browser opening ``/graphql``: it asks for HTML and sends no operation.

    A GET that carries ``?query=`` is an operation even from a browser's address bar.
    """
    return "text/html" in request.headers.get("accept", "") and not request.url.query


async def graphiql(request: Request) -> HTMLResponse:
    """The IDE page; its fetcher posts to the path it was served from."""
    return HTMLResponse(
        PAGE.format(endpoint=escape(request.url.path)),
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )
