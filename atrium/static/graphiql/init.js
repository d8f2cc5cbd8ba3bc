// Starts GraphiQL on the page served at /graphql (atrium/web/graphiql.py).
// Kept out of the HTML so the page can forbid inline scripts (Content-Security-Policy).
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var endpoint = root.getAttribute("data-endpoint");
  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  var defaultQuery = [
    "# Welcome to Atrium.",
    "#",
    "# To authenticate, paste an API key",
    "# (sk_live_… or pk_live_…) into x-api-key in",
    "# the Headers tab below, or send an",
    "# Authorization: Bearer <access token> header.",
    "# Without either you are anonymous.",
    "",
    "query Viewer {",
    "  viewer {",
    "    user {",
    "      id",
    "      email",
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultHeaders: JSON.stringify({ "x-api-key": "" }, null, 2),
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    })
  );
})();
