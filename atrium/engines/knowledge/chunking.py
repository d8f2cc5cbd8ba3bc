"""Splitting documents into passages that search can rank and cite.

Markdown is split at headings first, so a passage never straddles two sections and
carries its section's heading path ("Install > Linux") for the citation; then each
section is packed paragraph by paragraph up to :data:`TARGET` characters. A paragraph
longer than :data:`MAX` is cut at sentence ends (or, failing those, at spaces), with a
little overlap so a phrase cut in two still matches one side. Plain text is one section.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

TARGET = 800
MAX = 1200
OVERLAP = 100

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^(```|~~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Chunk:
    ordinal: int
    heading: str
    text: str


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _sections(text: str, markdown: bool) -> list[tuple[str, str]]:
    """(heading path, body) in document order; code fences never split a section."""
    if not markdown:
        return [("", text)]
    sections: list[tuple[str, str]] = []
    path: list[tuple[int, str]] = []
    body: list[str] = []
    fenced = False

    def flush() -> None:
        if "".join(body).strip():
            sections.append((" > ".join(title for _, title in path), "\n".join(body)))
        body.clear()

    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            fenced = not fenced
        heading = None if fenced else _HEADING.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            path[:] = [(lvl, title) for lvl, title in path if lvl < level]
            path.append((level, heading.group(2)))
        else:
            body.append(line)
    flush()
    return sections


def _pieces(paragraph: str) -> list[str]:
    """A paragraph cut to at most MAX characters, at sentence ends where possible."""
    if len(paragraph) <= MAX:
        return [paragraph]
    sentences = _SENTENCE_END.split(paragraph)
    pieces: list[str] = []
    current = ""
    for sentence in sentences:
        while len(sentence) > MAX:  # no sentence end: cut at a space
            cut = sentence.rfind(" ", 0, MAX)
            cut = cut if cut > MAX // 2 else MAX
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:cut])
            sentence = sentence[max(cut - OVERLAP, 0) :].lstrip()
        if current and len(current) + 1 + len(sentence) > TARGET:
            pieces.append(current)
            tail = current[-OVERLAP:]
            current = tail[tail.find(" ") + 1 :] + " " + sentence if " " in tail else sentence
        else:
            current = f"{current} {sentence}" if current else sentence
    if current:
        pieces.append(current)
    return pieces


def chunk_document(text: str, *, markdown: bool) -> list[Chunk]:
    chunks: list[Chunk] = []
    for heading, body in _sections(text.replace("\r\n", "\n"), markdown):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
        current = ""
        for paragraph in paragraphs:
            for piece in _pieces(paragraph):
                if current and len(current) + 2 + len(piece) > TARGET:
                    chunks.append(Chunk(len(chunks), heading, current))
                    current = piece
                else:
                    current = f"{current}\n\n{piece}" if current else piece
        if current:
            chunks.append(Chunk(len(chunks), heading, current))
    return chunks
