"""Conventions measured from code: norms with adherence, styles by their dominant choice."""

from __future__ import annotations

from pathlib import Path

from atrium.engines.health import ConventionKind, detect_conventions
from tests.engines.health.repos import write_tree

MODULE = '''\
"""Orders."""

from __future__ import annotations
import logging
from .models import Order

LIMIT = 10
default_region = "eu"


class OrderError(Exception):
    """Base error."""


class Missing(OrderError):
    pass


def load_order(order_id: int) -> Order:
    """Load one order."""
    try:
        return Order(order_id)
    except KeyError as exc:
        raise Missing(order_id) from exc
    except:
        raise OrderError("broken")


def saveOrder(order):
    try:
        order.save()
    except ValueError as exc:
        raise OrderError("cannot save") from exc


def ship(order: Order) -> None:
    import json

    print(json.dumps(order))
'''


def test_norms_and_styles_from_code(tmp_path: Path):
    write_tree(
        tmp_path,
        {
            "shop/__init__.py": '"""Shop."""\n',
            "shop/models.py": (
                '"""Models."""\n\nfrom __future__ import annotations\n\n\n'
                'class Order:\n    """An order."""\n'
            ),
            "shop/orders.py": MODULE,
        },
    )
    conventions = {c.key: c for c in detect_conventions(tmp_path)}
    functions = conventions["naming.functions"]
    assert functions.kind is ConventionKind.NAMING
    assert (functions.adherence, functions.sites) == (0.667, 3)
    assert functions.counterexamples == ("shop/orders.py:29 saveOrder",)
    assert conventions["naming.classes"].adherence == 1.0
    specific = conventions["error_handling.specific_except"]
    assert (specific.adherence, specific.sites) == (0.667, 3)
    chained = conventions["error_handling.chained_raise"]
    assert (chained.adherence, chained.sites) == (0.667, 3)
    annotated = conventions["api_design.annotated"]
    assert annotated.adherence == 0.667
    assert annotated.counterexamples == ("shop/orders.py:29 saveOrder",)
    docs = conventions["documentation.public_docstrings"]
    assert (docs.adherence, docs.sites) == (0.5, 6)
    assert conventions["documentation.module_docstrings"].adherence == 1.0
    imports = conventions["imports.top_level"]
    assert imports.adherence == 0.667  # `import json` inside ship is the exception
    # a style reports the dominant choice; here 2 of 3 modules skip the future import
    future = conventions["imports.future_annotations"]
    assert future.description == "Modules start with `from __future__ import annotations`"
    assert future.adherence == 0.667
    # fewer than three sites is not a convention
    assert "naming.constants" not in conventions
    assert "error_handling.error_suffix" not in conventions
    assert all(0 <= c.adherence <= 1 for c in conventions.values())


def test_atrium_follows_its_own_naming():
    package = Path(__file__).resolve().parents[3] / "atrium" / "engines" / "health"
    conventions = {c.key: c for c in detect_conventions(package)}
    assert conventions["naming.functions"].adherence == 1.0
    assert conventions["imports.future_annotations"].adherence > 0.9
