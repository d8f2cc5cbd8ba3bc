"""Which files a health assessment looks at, in which language, and how many lines each has.

One walk of the directory decides the file set for every analyser: analysers that discover
files themselves get the same excluded directory names, and findings in files outside this
inventory are dropped, so the numbers never mix two different views of the repository.

Lines of code are non-blank lines that are not comment-only lines (`#`, `//`, `--`, and
`/* ... */` blocks for C-like languages). Python docstrings count as code: telling them apart
needs a parse, and the difference is a few percent that moves every repository alike.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

# Directory names never analysed: version control, virtualenvs, dependencies, build output
# and tool caches. Hidden directories are skipped as well.
EXCLUDED_DIRS: frozenset[str] = frozenset(
    {
        "__pycache__",
        "__pypackages__",
        "_build",
        "buck-out",
        "build",
        "dist",
        "node_modules",
        "site-packages",
        "vendor",
        "venv",
    }
)
MAX_FILE_BYTES = 1_000_000  # larger sources are generated or minified, not written

LANGUAGES: dict[str, str] = {
    ".py": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".go": "go",
    ".java": "java",
    ".kt": "kotlin",
    ".rb": "ruby",
    ".rs": "rust",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".cs": "csharp",
    ".php": "php",
    ".swift": "swift",
    ".scala": "scala",
    ".lua": "lua",
}
_LINE_COMMENTS: dict[str, tuple[str, ...]] = {
    "python": ("#",),
    "ruby": ("#",),
    "lua": ("--",),
    "php": ("//", "#"),
}
_NO_BLOCK_COMMENTS = frozenset({"python", "ruby", "lua"})
_TEST_DIRS = frozenset({"tests", "test", "__tests__", "spec", "specs", "testing"})
_TEST_FILE = re.compile(
    r"""^(
        test_.+\.py | .+_test\.py | conftest\.py
      | .+_test\.(go|rb) | .+_spec\.rb
      | .+\.(test|spec)\.(js|jsx|ts|tsx|mjs|cjs)
      | .+Tests?\.(java|kt|cs|swift|scala)
    )$""",
    re.VERBOSE,
)


def is_test_path(path: str) -> bool:
    """Test code by location (a tests/ directory) or by the usual file naming patterns."""
    *dirs, name = path.split("/")
    return any(d in _TEST_DIRS for d in dirs) or bool(_TEST_FILE.match(name))


def count_code_lines(lines: list[str], language: str) -> int:
    """Non-blank, non-comment lines; see the module docstring for what counts."""
    prefixes = _LINE_COMMENTS.get(language, ("//",))
    blocks = language not in _NO_BLOCK_COMMENTS
    in_block = False
    count = 0
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if in_block:
            if "*/" in line:
                in_block = False
                rest = line.split("*/", 1)[1].strip()
                count += bool(rest) and not rest.startswith(prefixes)
            continue
        if blocks and line.startswith("/*"):
            in_block = "*/" not in line[2:]
            continue
        if line.startswith(prefixes):
            continue
        count += 1
    return count


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # relative, forward slashes
    language: str
    lines_of_code: int
    is_test: bool
    utf8: bool  # decoded cleanly; analysers that read strict UTF-8 get only these
    lines: tuple[str, ...] = field(repr=False)


@dataclass(frozen=True, slots=True)
class Inventory:
    root: Path
    files: tuple[SourceFile, ...]
    by_path: dict[str, SourceFile] = field(repr=False, compare=False)

    def of_language(self, language: str) -> list[SourceFile]:
        return [f for f in self.files if f.language == language]

    @property
    def lines_of_code(self) -> int:
        return sum(f.lines_of_code for f in self.files if not f.is_test)

    @property
    def lines_of_tests(self) -> int:
        return sum(f.lines_of_code for f in self.files if f.is_test)


def iter_source_paths(root: Path) -> list[tuple[str, Path]]:
    """(relative path, absolute path) of every source file in a recognised language, sorted."""
    found: list[tuple[str, Path]] = []
    for current, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in EXCLUDED_DIRS and not d.startswith(".")
        )
        base = Path(current)
        for name in sorted(filenames):
            suffix = os.path.splitext(name)[1].lower()
            if suffix not in LANGUAGES or name.endswith((".min.js", ".d.ts")):
                continue
            absolute = base / name
            found.append((absolute.relative_to(root).as_posix(), absolute))
    return found


def scan(root: Path) -> Inventory:
    """Read every source file once; the lines are kept for fingerprints and conventions."""
    files: list[SourceFile] = []
    for relative, absolute in iter_source_paths(root):
        try:
            if absolute.stat().st_size > MAX_FILE_BYTES or not absolute.is_file():
                continue
            data = absolute.read_bytes()
        except OSError:
            continue
        try:
            text, utf8 = data.decode("utf-8"), True
        except UnicodeDecodeError:
            text, utf8 = data.decode("utf-8", errors="replace"), False
        language = LANGUAGES[os.path.splitext(relative)[1].lower()]
        lines = text.splitlines()
        files.append(
            SourceFile(
                path=relative,
                language=language,
                lines_of_code=count_code_lines(lines, language),
                is_test=is_test_path(relative),
                utf8=utf8,
                lines=tuple(lines),
            )
        )
    return Inventory(root=root, files=tuple(files), by_path={f.path: f for f in files})
