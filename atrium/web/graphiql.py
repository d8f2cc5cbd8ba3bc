"""GraphiQL, served with its assets from Atrium itself (works with no internet)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Atrium GraphiQL</title>
  <link rel="stylesheet" href="/static/graphiql/graphiql.min.css">
  <style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="/static/graphiql/react.production.min.js"></script>
  <script src="/static/graphiql/react-dom.production.min.js"></script>
  <script src="/static/graphiql/graphiql.min.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({{ url: "{endpoint}" }});
    ReactDOM.createRoot(document.getElementById("graphiql")).render(
      React.createElement(GraphiQL, {{
        fetcher,
        defaultEditorToolsVisibility: "headers",
        headers: JSON.stringify({{ "Authorization": "Bearer sk_live_…" }}, null, 2),
        shouldPersistHeaders: true,
      }})
    );
  </script>
</body>
</html>
"""


def wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and not request.url.query


async def graphiql(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE.format(endpoint=request.url.path))
