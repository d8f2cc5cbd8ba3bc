"""Markdown documents (RFC, ADR, runbook) generated from one version of an architecture.

The documents are Jinja2 templates in `templates/`, so their wording can be edited without
touching code; the data they print is prepared by `document_views` (the spec) and
`analysis_views` (the optional analyses, read defensively). Rendering is pure: the same context
always yields the same Markdown (no dates, no randomness), so a stored document can be
regenerated and compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atrium.engines.architecture.analysis_views import cost_view, scalability_view, threats_view
from atrium.engines.architecture.diagram import mermaid_diagram
from atrium.engines.architecture.document_views import open_questions, spec_view
from atrium.engines.architecture.model import ArchitectureSpec

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).with_name("templates")


class DocumentKind(StrEnum):
    RFC = "RFC"
    ADR = "ADR"
    RUNBOOK = "RUNBOOK"


class AdrStatus(StrEnum):
    PROPOSED = "PROPOSED"
    ACCEPTED = "ACCEPTED"
    DEPRECATED = "DEPRECATED"
    SUPERSEDED = "SUPERSEDED"


@dataclass(frozen=True, slots=True)
class DocumentContext:
    """Everything a document may print; analyses are the engines' `to_dict()` output or None."""

    title: str
    spec: ArchitectureSpec
    description: str = ""
    version: int = 1
    cost: Mapping[str, Any] | None = None
    scalability: Mapping[str, Any] | None = None
    threats: Mapping[str, Any] | None = None
    # ADR only (an RFC also uses context_text as its motivation when given)
    decision_title: str | None = None
    context_text: str = ""
    decision_text: str = ""
    consequences_text: str = ""
    status: AdrStatus = AdrStatus.PROPOSED


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    kind: DocumentKind
    title: str
    markdown: str
    mermaid: str  # the diagram alone (no fence), for clients that draw it themselves

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = str(self.kind)
        return data


@cache
def environment() -> Environment:
    """One environment per process: Jinja caches compiled templates on it. (Imported on
    first use: most processes never render a document, and Jinja costs ~9 MB.)"""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=False,  # Markdown, not HTML; table cells are escaped by document_views
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def document_title(kind: DocumentKind, context: DocumentContext) -> str:
    if kind == DocumentKind.ADR:
        return f"ADR: {context.decision_title or f'Architecture of {context.title}'}"
    return f"{'RFC' if kind == DocumentKind.RFC else 'Runbook'}: {context.title}"


def render_document(kind: DocumentKind, context: DocumentContext) -> RenderedDocument:
    diagram = mermaid_diagram(context.spec)
    cost = cost_view(context.cost)
    threats = threats_view(context.threats)
    title = document_title(kind, context)
    template = environment().get_template(f"{kind.lower()}.md.j2")
    markdown = template.render(
        title=title,
        architecture=context.title,
        description=context.description.strip(),
        version=context.version,
        spec=spec_view(context.spec),
        mermaid=diagram,
        cost=cost,
        scalability=scalability_view(context.scalability),
        threats=threats,
        questions=open_questions(context.spec, cost, threats),
        adr={
            "status": str(context.status),
            "context": context.context_text.strip(),
            "decision": context.decision_text.strip(),
            "consequences": context.consequences_text.strip(),
        },
    )
    return RenderedDocument(kind, title, markdown.rstrip() + "\n", diagram)


__all__ = [
    "AdrStatus",
    "DocumentContext",
    "DocumentKind",
    "RenderedDocument",
    "document_title",
    "mermaid_diagram",
    "render_document",
]
