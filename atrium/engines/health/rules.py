"""Which ruff rules the engine runs, and the category and severity of each.

The selection is fixed here, passed with `--isolated`, so a repository's own ruff config can
neither hide nor add findings and two repositories are judged by the same yardstick:

- security: every flake8-bandit rule (`S`); code execution and injection are critical.
- runtime risks: pyflakes errors (`F`, undefined names and the like), bugbear (`B`),
  pylint errors (`PLE`), bare and blind excepts (`E722`, `BLE`), asyncio misuse (`ASYNC`,
  `RUF006`), naive datetimes (`DTZ`) and leftover debuggers (`T10`).
- code smells: simplifications (`SIM`, `C4`, `RET`, `PIE`, `PERF`), pylint refactor and
  warning rules (`PLR`, `PLW`, without the magic-number rule), and `print` calls (`T20`).
- dead code: commented-out code (`ERA`), unused arguments (`ARG`), redefined unused names
  (`F811`), unused loop variables (`B007`). Unused imports, functions and variables come
  from vulture, which sees the whole project, so `F401` and `F841` are not selected.
- consistency: naming (`N`), import order (`I`), pycodestyle (`E`, `W`) with lines up to
  120 characters, and outdated syntax (`UP`).
- compliance: the public API is documented and typed: missing docstrings (`D1`, `D419`)
  and missing annotations (`ANN0`, `ANN2`). License headers are not checked: ruff's rule
  for them is preview-only and a header format is a per-organisation policy.

Test files are exempt from rules that are normal there (asserts, fake passwords,
undocumented test functions), and security findings in tests are capped at low: test code
does not ship.
"""

from __future__ import annotations

import functools

from atrium.engines.health.models import Category, Severity

RUFF_SELECT: tuple[str, ...] = (
    "S", "F", "B", "PLE", "E", "W", "ASYNC", "BLE", "DTZ", "T10", "RUF006",
    "SIM", "C4", "RET", "PIE", "PERF", "PLR", "PLW", "T20",
    "ERA", "ARG", "N", "I", "UP", "D1", "D419", "ANN0", "ANN2",
)  # fmt: skip
RUFF_IGNORE: tuple[str, ...] = ("F401", "F841", "PLR2004")
RUFF_LINE_LENGTH = 120

TEST_EXEMPT_PREFIXES: tuple[str, ...] = (
    "S101", "S105", "S106", "S107", "S311", "D1", "ANN", "ARG", "PLR0913", "PLR0917", "T20",
)  # fmt: skip

CRIT, HIGH, MED, LOW, INFO = (
    Severity.CRITICAL,
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.LOW,
    Severity.INFO,
)
SEC, RUN, SMELL = Category.SECURITY, Category.RUNTIME_RISKS, Category.CODE_SMELLS
DEAD, CONS, COMP = Category.DEAD_CODE, Category.CONSISTENCY, Category.COMPLIANCE

# Longest matching prefix wins, so specific codes override their family.
_RUFF_TABLE: dict[str, tuple[Category, Severity]] = {
    # security
    "S": (SEC, MED),
    "S101": (SEC, INFO),  # assert removed under -O
    "S102": (SEC, CRIT),  # exec
    "S307": (SEC, CRIT),  # eval
    "S602": (SEC, CRIT),  # subprocess with shell=True
    "S604": (SEC, CRIT),
    "S605": (SEC, CRIT),  # os.system and friends
    "S608": (SEC, HIGH),  # SQL built from strings
    "S301": (SEC, HIGH),  # pickle
    "S302": (SEC, HIGH),  # marshal
    "S506": (SEC, HIGH),  # yaml.load
    "S501": (SEC, HIGH),  # TLS verification off
    "S105": (SEC, LOW),  # hardcoded passwords: mostly names like TOKEN_PREFIX
    "S106": (SEC, LOW),
    "S107": (SEC, LOW),
    "S701": (SEC, HIGH),  # templates without autoescape
    "S311": (SEC, LOW),  # non-crypto random
    "S603": (SEC, LOW),
    "S607": (SEC, LOW),
    "S110": (SEC, LOW),  # try/except/pass
    "S112": (SEC, LOW),
    # runtime risks
    "F": (RUN, MED),
    "F403": (CONS, LOW),
    "F405": (RUN, LOW),
    "F632": (RUN, HIGH),
    "F7": (RUN, HIGH),
    "F811": (DEAD, LOW),
    "F821": (RUN, HIGH),
    "F822": (RUN, HIGH),
    "F823": (RUN, HIGH),
    "F842": (DEAD, LOW),
    "F901": (RUN, HIGH),
    "B": (RUN, MED),
    "B007": (DEAD, LOW),
    "B009": (SMELL, INFO),
    "B010": (SMELL, INFO),
    "B011": (RUN, LOW),
    "PLE": (RUN, HIGH),
    "E722": (RUN, MED),
    "E9": (RUN, HIGH),
    "BLE": (RUN, LOW),
    "ASYNC": (RUN, MED),
    "RUF006": (RUN, HIGH),
    "DTZ": (RUN, LOW),
    "T10": (RUN, HIGH),
    "W605": (RUN, LOW),
    # code smells
    "SIM": (SMELL, LOW),
    "C4": (SMELL, INFO),
    "RET": (SMELL, INFO),
    "PIE": (SMELL, LOW),
    "PERF": (SMELL, INFO),
    "PLR": (SMELL, LOW),
    "PLR09": (SMELL, MED),  # too many branches, statements, returns
    "PLR0913": (SMELL, LOW),  # too many arguments: resolvers and DI make these common
    "PLR0917": (SMELL, LOW),
    "PLW": (SMELL, LOW),
    "T20": (SMELL, LOW),
    # dead code
    "ERA": (DEAD, LOW),
    "ARG": (DEAD, INFO),
    # consistency
    "N": (CONS, LOW),
    "I": (CONS, INFO),
    "E": (CONS, LOW),
    "E501": (CONS, INFO),
    "W": (CONS, INFO),
    "UP": (CONS, INFO),
    # compliance
    "D1": (COMP, LOW),
    "D100": (COMP, INFO),
    "D104": (COMP, INFO),
    "D105": (COMP, INFO),
    "D107": (COMP, INFO),
    "D419": (COMP, LOW),
    "ANN": (COMP, INFO),
    "ANN201": (COMP, LOW),  # public function without a return type
}
_LONGEST_FIRST = sorted(_RUFF_TABLE, key=len, reverse=True)
SYNTAX_ERROR_RULE = "invalid-syntax"  # what ruff calls a file it cannot parse


@functools.lru_cache(maxsize=4096)
def classify_ruff(code: str | None) -> tuple[Category, Severity]:
    """Category and severity of a ruff rule code; a syntax error (no code) is high risk."""
    if not code or code == SYNTAX_ERROR_RULE:
        return RUN, HIGH
    for prefix in _LONGEST_FIRST:
        if code.startswith(prefix):
            return _RUFF_TABLE[prefix]
    return SMELL, LOW


def exempt_in_tests(rule: str) -> bool:
    return rule.startswith(TEST_EXEMPT_PREFIXES)


def complexity_severity(complexity: int) -> tuple[Category, Severity] | None:
    """Cyclomatic complexity to a finding, using radon's rank bands (None up to 10).

    11-20 (rank C) is a low code smell and 21-30 (D) a medium one. Beyond 30 (E, F) a
    function has more paths than anyone tests, so it is filed as a high runtime risk.
    """
    if complexity <= 10:
        return None
    if complexity <= 20:
        return SMELL, LOW
    if complexity <= 30:
        return SMELL, MED
    return RUN, HIGH


def complexity_rank(complexity: int) -> str:
    bands = ((5, "A"), (10, "B"), (20, "C"), (30, "D"), (40, "E"))
    return next((rank for limit, rank in bands if complexity <= limit), "F")
