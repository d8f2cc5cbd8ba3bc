"""The import graph: modules, dependencies, layers, cycles and oversized modules."""

from __future__ import annotations

from pathlib import Path

from atrium.engines.health import architecture_overview
from atrium.engines.health.architecture import strongly_connected_components
from tests.engines.health.repos import write_tree

BIG = '"""A module that grew."""\n\n' + "\n".join(f"VALUE_{i} = {i}" for i in range(520)) + "\n"


def _repo(root: Path) -> Path:
    return write_tree(
        root,
        {
            "shop/__init__.py": "",
            "shop/orders/__init__.py": "",
            "shop/orders/service.py": (
                "from shop.billing import invoices\nimport requests\nimport os\n"
            ),
            "shop/billing/__init__.py": "",
            "shop/billing/invoices.py": "from . import tax\n",
            "shop/billing/tax.py": (
                "def rate():\n    from shop.billing.invoices import total\n    return total\n"
            ),
            "shop/catalog.py": BIG,
            "tests/test_orders.py": "from shop.orders.service import *\n",
        },
    )


def test_dependencies_cycles_and_external_packages(tmp_path: Path):
    overview = architecture_overview(_repo(tmp_path))
    edges = {(d.source, d.target) for d in overview.dependencies}
    assert edges == {
        ("shop.orders.service", "shop.billing.invoices"),
        ("shop.billing.invoices", "shop.billing.tax"),  # a relative import, resolved
        ("shop.billing.tax", "shop.billing.invoices"),  # an import inside a function
        ("tests.test_orders", "shop.orders.service"),
    }
    assert overview.cycles == (("shop.billing.invoices", "shop.billing.tax"),)
    assert overview.external_packages == ("requests",)  # os is the standard library
    assert [m.name for m in overview.oversized_modules] == ["shop.catalog"]
    assert overview.to_dict()["cycles"] == [["shop.billing.invoices", "shop.billing.tax"]]


def test_layers_are_top_level_packages_below_the_common_root(tmp_path: Path):
    root = _repo(tmp_path)
    whole = architecture_overview(root)
    assert [(layer.name, layer.modules, layer.depends_on) for layer in whole.layers] == [
        ("shop", 7, ()),
        ("tests", 1, ("shop",)),
    ]
    # analysing the package itself keeps the real module names and splits it into layers
    package = architecture_overview(root / "shop")
    names = {m.name for m in package.modules}
    assert "shop.billing.tax" in names
    layers = {layer.name: layer.depends_on for layer in package.layers}
    assert layers == {
        "shop": (),
        "shop.billing": (),
        "shop.catalog": (),
        "shop.orders": ("shop.billing",),
    }


def test_tarjan_finds_components_without_recursion():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert strongly_connected_components(graph) == [["a", "b", "c"], ["d"], ["e"]]
    chain = {str(i): {str(i + 1)} for i in range(5_000)}
    chain["5000"] = {"0"}
    components = strongly_connected_components(chain)
    assert len(components) == 1 and len(components[0]) == 5_001
