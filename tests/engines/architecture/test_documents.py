"""Generated documents: their sections, their Mermaid diagram, with and without analyses."""

from __future__ import annotations

import re
from typing import Any

import pytest

from atrium.engines.architecture.diagram import mermaid_diagram
from atrium.engines.architecture.documents import (
    AdrStatus,
    DocumentContext,
    DocumentKind,
    render_document,
)
from atrium.engines.architecture.model import (
    ArchitectureSpec,
    Component,
    ComponentKind,
    DataClassification,
    Link,
    Protocol,
    TrustZone,
)
from atrium.engines.architecture.threats import analyze_threats

SHOP = ArchitectureSpec(
    trust_zones=(TrustZone("dmz", "DMZ", 1), TrustZone("data", "Data", 3)),
    components=(
        Component("stripe", "Stripe", ComponentKind.EXTERNAL),
        Component("api", "API", ComponentKind.SERVICE, trust_zone="dmz", public=True),
        Component("orders-db", "Orders DB", ComponentKind.DATABASE, trust_zone="data"),
        Component("jobs", "Jobs", ComponentKind.QUEUE, trust_zone="data"),
    ),
    links=(
        Link("stripe", "api", authenticated=False),
        Link("api", "orders-db", Protocol.SQL, DataClassification.CONFIDENTIAL),
        Link("api", "jobs", Protocol.HTTP, encrypted=False),
    ),
)
COST = {
    "estimates": [
        {
            "users": 1000,
            "monthly_cost": 150.5,
            "breakdown": {"compute": 80, "storage": 40, "database": 0, "data_transfer": 30.5},
        },
        {"users": 100000, "monthly_cost": 2400},
    ],
    "knee": {"users": 50000, "reason": "the database moves up a tier"},
    "optimizations": [{"kind": "RESERVED", "title": "Reserve the API", "monthly_saving": 42}],
}
SCALABILITY = {
    "bottleneck": {"component": "orders-db", "max_users": 120000},
    "components": [{"component": "api", "max_users": 500000, "limit": "cpu"}],
}


def context(**extra: Any) -> DocumentContext:
    return DocumentContext(title="Shop", spec=SHOP, description="Sells things.", version=4, **extra)


def mermaid_block(markdown: str) -> str:
    match = re.search(r"```mermaid\n(.*?)\n```", markdown, re.S)
    assert match, "no mermaid block"
    return match.group(1)


def test_the_diagram_has_a_node_per_component_shaped_by_kind_inside_its_zone():
    # given the shop, when drawn
    lines = mermaid_diagram(SHOP).splitlines()
    # then it is a left-to-right flowchart with one subgraph per zone
    assert lines[0] == "flowchart LR"
    dmz = lines.index('    subgraph z_dmz["DMZ (trust 1)"]')
    assert lines[dmz + 1 : dmz + 3] == ['        n_api["API"]', "    end"]
    # and a shape per kind, ids sanitized ("orders-db" is not a Mermaid id)
    assert '        n_orders_db[("Orders DB")]' in lines
    assert '        n_jobs[/"Jobs"/]' in lines
    assert '    n_stripe(("Stripe"))' in lines  # no zone: outside every subgraph
    # and edges labelled by protocol, the unencrypted one dotted and marked
    assert '    n_api -->|"SQL"| n_orders_db' in lines
    assert '    n_api -.->|"HTTP unencrypted"| n_jobs' in lines


def test_diagram_ids_never_collide_and_labels_cannot_break_the_syntax():
    # given keys that sanitize alike, a reserved word, and a name with quotes and brackets
    spec = ArchitectureSpec(
        components=(
            Component("a-b", "One", ComponentKind.SERVICE),
            Component("a_b", "Two", ComponentKind.SERVICE),
            Component("end", 'The "end" <b>', ComponentKind.FUNCTION),
        ),
        links=(Link("a-b", "a_b"), Link("a_b", "missing")),
    )
    # when drawn
    lines = mermaid_diagram(spec).splitlines()
    # then ids are unique and prefixed, labels escaped, links to unknown components skipped
    assert lines[1:4] == [
        '    n_a_b["One"]',
        '    n_a_b_2["Two"]',
        '    n_end[["The #quot;end#quot; #60;b#62;"]]',
    ]
    assert lines[4:] == ['    n_a_b -->|"HTTPS"| n_a_b_2']


def test_rfc_without_analyses_has_its_sections_and_no_empty_ones():
    # given only the spec, when an RFC is rendered
    doc = render_document(DocumentKind.RFC, context())
    # then the fixed sections are there, in order, and the optional ones are absent
    headings = re.findall(r"^#+ .*$", doc.markdown, re.M)
    assert headings == [
        "# RFC: Shop",
        "## Summary",
        "## Motivation and context",
        "## Architecture",
        "### Components",
        "### Links",
        "## Diagram",
        "## Open questions",
    ]
    assert doc.title == "RFC: Shop"
    # and the diagram is both embedded and returned on its own
    assert mermaid_block(doc.markdown) == doc.mermaid == mermaid_diagram(SHOP)
    assert "| `orders-db` | Orders DB | DATABASE | - | Data | 1 | fixed | no |" in doc.markdown
    assert "| `api` | `jobs` | HTTP | INTERNAL | no | yes | - |" in doc.markdown
    assert "- Can these links be encrypted in transit: api->jobs?" in doc.markdown


def test_rfc_with_every_analysis_prints_cost_scalability_and_security():
    # given cost, scalability and threat results (the engines' to_dict() output)
    threats = analyze_threats(SHOP).to_dict()
    doc = render_document(
        DocumentKind.RFC, context(cost=COST, scalability=SCALABILITY, threats=threats)
    )
    # when rendered, then each gets its section
    for heading in ("## Cost", "## Scalability", "## Security"):
        assert f"\n{heading}\n" in doc.markdown
    assert "| 1,000 | $150.50 | $80.00 | $40.00 | $0.00 | $30.50 |" in doc.markdown
    assert "| 100,000 | $2,400.00 | n/a | n/a | n/a | n/a |" in doc.markdown
    assert "Cost knee: at 50,000 users: the database moves up a tier." in doc.markdown
    assert "- Reserve the API (RESERVED): saves $42.00 a month" in doc.markdown
    assert "Bottleneck: **orders-db: max_users: 120,000**." in doc.markdown
    assert "| `api` | max_users: 500,000, limit: cpu |" in doc.markdown
    assert f"{len(threats['threats'])} threats (STRIDE)" in doc.markdown
    assert "External party calls in without authentication" in doc.markdown


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_unexpected_analysis_shapes_render_instead_of_failing(kind):
    # given analyses missing fields, with strings where numbers were expected
    odd = context(
        cost={"estimates": [{"users": "many"}, "junk"], "knee": 5000},
        scalability={"bottleneck": "the database", "items": [{"name": "api", "x": None}]},
        threats={"threats": [{}], "summary": None},
    )
    # when rendered, then it succeeds and prints placeholders
    doc = render_document(kind, odd)
    assert doc.markdown.startswith("# ")
    if kind == DocumentKind.RFC:
        assert "| many | n/a | n/a | n/a | n/a | n/a |" in doc.markdown
        assert "Cost knee: at 5,000 users." in doc.markdown
        assert "| `api` | x: n/a |" in doc.markdown


def test_adr_follows_nygard():
    # given a decision, when an ADR is rendered
    doc = render_document(
        DocumentKind.ADR,
        context(
            decision_title="Use PostgreSQL for orders",
            context_text="Orders need transactions.",
            decision_text="We will use PostgreSQL.",
            consequences_text="We run a database.",
            status=AdrStatus.ACCEPTED,
        ),
    )
    # then title, status, context, decision, consequences and diagram come in that order
    headings = re.findall(r"^#+ .*$", doc.markdown, re.M)
    assert headings == [
        "# ADR: Use PostgreSQL for orders",
        "## Status",
        "## Context",
        "## Decision",
        "## Consequences",
        "## Diagram",
    ]
    assert "## Status\n\nACCEPTED\n" in doc.markdown
    assert "## Decision\n\nWe will use PostgreSQL.\n" in doc.markdown
    assert mermaid_block(doc.markdown) == doc.mermaid


def test_adr_defaults_to_proposed_with_the_architecture_as_context():
    # given no decision fields, when an ADR is rendered
    doc = render_document(DocumentKind.ADR, context())
    # then it is PROPOSED and its context describes the architecture
    assert "## Status\n\nPROPOSED\n" in doc.markdown
    assert "Sells things." in doc.markdown
    assert "4 components in 2 trust zones, joined by 3 links" in doc.markdown


def test_runbook_covers_inventory_dependencies_alerts_failures_and_escalation():
    # given scalability and threat results, when a runbook is rendered
    threats = analyze_threats(SHOP).to_dict()
    doc = render_document(DocumentKind.RUNBOOK, context(scalability=SCALABILITY, threats=threats))
    # then every operational section is there
    for heading in (
        "## Service inventory",
        "## Dependencies",
        "## Alerts and SLO hints",
        "## Failure modes",
        "## Escalation",
        "## Threats to watch",
    ):
        assert f"\n{heading}\n" in doc.markdown
    # and each datastore has a failure mode naming who is hit
    assert "### `orders-db` (DATABASE) is down\n\n- Impact: api\n" in doc.markdown
    assert "### `jobs` (QUEUE) is down" in doc.markdown
    assert "- `api` depends on: orders-db (SQL), jobs (HTTP); used by: stripe" in doc.markdown
    assert "- `orders-db` (DATABASE), the predicted bottleneck:" in doc.markdown
    assert mermaid_block(doc.markdown) == doc.mermaid


def test_runbook_without_threats_has_no_threat_section():
    # given no threat analysis, when a runbook is rendered
    doc = render_document(DocumentKind.RUNBOOK, context())
    # then it skips the threats section but keeps the rest
    assert "## Threats to watch" not in doc.markdown
    assert "## Escalation" in doc.markdown


def test_text_a_user_typed_cannot_break_a_table_and_rendering_is_repeatable():
    # given a component whose name contains a pipe
    spec = ArchitectureSpec(components=(Component("web", "Web | Admin", ComponentKind.SERVICE),))
    ctx = DocumentContext(title="Pipes", spec=spec)
    # when rendered twice
    first = render_document(DocumentKind.RUNBOOK, ctx)
    # then the pipe is escaped and the output identical each time
    assert "| `web` | Web \\| Admin | SERVICE |" in first.markdown
    assert render_document(DocumentKind.RUNBOOK, ctx) == first
    assert first.to_dict()["kind"] == "RUNBOOK"
