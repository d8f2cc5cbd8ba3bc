"""Chunking: sections by heading, packed paragraphs, long paragraphs cut at sentences."""

from atrium.engines.knowledge.chunking import MAX, chunk_document


def test_markdown_is_split_by_heading_with_the_heading_path() -> None:
    text = "# Guide\nIntro.\n\n## Install\nRun it.\n\n```\n# not a heading\n```\n## Use\nCall it."
    chunks = chunk_document(text, markdown=True)
    assert [(c.heading, c.text.splitlines()[0]) for c in chunks] == [
        ("Guide", "Intro."),
        ("Guide > Install", "Run it."),
        ("Guide > Use", "Call it."),
    ]
    assert "# not a heading" in chunks[1].text
    assert [c.ordinal for c in chunks] == [0, 1, 2]


def test_small_paragraphs_are_packed_and_long_ones_cut_at_sentences() -> None:
    paragraphs = "\n\n".join(f"Paragraph {n} is short." for n in range(100))
    chunks = chunk_document(paragraphs, markdown=False)
    assert 1 < len(chunks) < 100 and all(len(c.text) <= MAX for c in chunks)
    assert "Paragraph 0 " in chunks[0].text and "Paragraph 99 " in chunks[-1].text
    long = " ".join(f"Sentence number {n} says something." for n in range(200))
    pieces = chunk_document(long, markdown=False)
    assert len(pieces) > 3 and all(len(c.text) <= MAX for c in pieces)
    assert all(c.text.rstrip().endswith(".") for c in pieces)


def test_text_without_spaces_is_still_cut() -> None:
    chunks = chunk_document("x" * 5000, markdown=False)
    assert len(chunks) >= 4 and all(len(c.text) <= MAX for c in chunks)
