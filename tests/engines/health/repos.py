"""Small repositories with known defects, written to disk for the health engine to assess.

Each defect is placed so exactly one established analyser should report it: an `eval` for
ruff's bandit rules, a bare `except` for pycodestyle, a function nothing calls for vulture,
a 23-way branch for radon, a branchy JavaScript function for lizard, a copied block for
symilar, and two modules importing each other for the architecture overview.
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

HANDLERS = '''\
"""Request handlers."""


def run_user_code() -> object:
    """Evaluate what the user typed."""
    return eval(input())


def load(path: str) -> str | None:
    """Read a file, or None when it cannot be read."""
    try:
        with open(path) as handle:
            return handle.read()
    except:
        return None


def never_called_helper() -> int:
    """Nothing calls this."""
    return 42
'''

BRANCHES = "\n".join(
    f"    {'if' if i == 0 else 'elif'} code == {i}:\n        return 'v{i}'" for i in range(22)
)
COMPLEX = f'''\
"""A function with far too many paths."""


def classify(code: int) -> str:
    """Map a code to a label."""
{BRANCHES}
    return "unknown"
'''

COPIED_BODY = """\
    total = 0
    for item in items:
        if item.price > 100:
            total += item.price * 0.9
        else:
            total += item.price
        total += item.shipping
    total = round(total, 2)
    return total
"""


def _copied(name: str) -> str:
    head = f'"""Totals, module {name}."""\n\n\ndef {name}_total(items: list) -> float:\n'
    return head + f'    """Sum the prices for {name}."""\n' + COPIED_BODY


CYCLE_A = (
    '"""Half of a cycle."""\n\nfrom app import b\n\n\n'
    'def ping() -> str:\n    """Call b."""\n    return b.pong()\n'
)
CYCLE_B = (
    '"""Other half."""\n\nfrom app import a\n\n\n'
    'def pong() -> str:\n    """Call a."""\n    return a.ping.__name__\n'
)

WIDGET_JS = (
    "function widget(kind, size, mode) {\n"
    + "\n".join(f"  if (kind === {i} && size > {i}) {{ return mode + {i}; }}" for i in range(14))
    + "\n  return 0;\n}\nmodule.exports = { widget };\n"
)

TEST_HANDLERS = '''\
"""Tests of the handlers."""

from app import handlers


def test_load_missing_file() -> None:
    """A missing file reads as None."""
    assert handlers.load("/nonexistent/file") is None
'''

CLEAN_MODULE = '''\
"""Arithmetic helpers."""


def add(left: int, right: int) -> int:
    """Sum of two integers."""
    return left + right


def scale(values: list[int], factor: int) -> list[int]:
    """Every value multiplied by factor."""
    return [value * factor for value in values]
'''

CLEAN_TEST = '''\
"""Tests of the arithmetic helpers."""

from calc.arith import add, scale


def test_add() -> None:
    """Two plus two."""
    assert add(2, 2) == 4


def test_scale() -> None:
    """Each value is scaled."""
    assert scale([1, 2], 3) == [3, 6]
'''


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def dirty_files() -> dict[str, str]:
    return {
        "app/__init__.py": "",
        "app/handlers.py": HANDLERS,
        "app/complex.py": COMPLEX,
        "app/dup_a.py": _copied("alpha"),
        "app/dup_b.py": _copied("beta"),
        "app/a.py": CYCLE_A,
        "app/b.py": CYCLE_B,
        "web/widget.js": WIDGET_JS,
        "tests/test_handlers.py": TEST_HANDLERS,
    }


def clean_files() -> dict[str, str]:
    return {
        "calc/__init__.py": '"""Calculator package."""\n',
        "calc/arith.py": CLEAN_MODULE,
        "tests/test_arith.py": CLEAN_TEST,
    }


def shifted(text: str) -> str:
    """The same module with a function and comments inserted above everything else."""
    prefix = dedent(
        '''\
        # Added in a later commit.
        # Nothing below moved except by these lines.


        def added_later() -> int:
            """A newcomer."""
            return 1


        '''
    )
    return prefix + text
