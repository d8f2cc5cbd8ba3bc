"""Architectures (Architecto) in the graph: designs, versions, analyses, documents, sharing."""

from __future__ import annotations

from typing import Any

from atrium.core.ids import register_prefix
from atrium.resolvers.architecture import loaders
from atrium.schema.architecture.sharing import Comment, ShareLink
from atrium.schema.architecture.types import (
    Adr,
    Analysis,
    Architecture,
    ArchitectureVersion,
    Document,
)

NODE_TYPES: dict[str, tuple[Any, Any]] = {
    "arch": (loaders.architectures_by_id, Architecture.from_model),
    "arv": (loaders.versions_by_id, ArchitectureVersion.from_model),
    "analysis": (loaders.analyses_by_id, Analysis.from_model),
    "doc": (loaders.documents_by_id, Document.from_model),
    "adr": (loaders.adrs_by_id, Adr.from_model),
    "shr": (loaders.share_links_by_id, ShareLink.from_model),
    "cmt": (loaders.comments_by_id, Comment.from_model),
}
for _prefix, (_, _convert) in NODE_TYPES.items():
    register_prefix(_prefix, _convert.__self__.__name__)
