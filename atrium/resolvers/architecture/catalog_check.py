"""Checking a design against the priced catalog when it is saved, not when it is analysed.

An unknown region or instance class found at analysis time would be a failed job the
author learns about later; found at save time it is a userError naming the field.
"""

from __future__ import annotations

from atrium.engines.architecture.catalog import UnknownInstanceClass, UnknownRegion, catalog_for
from atrium.engines.architecture.model import ArchitectureSpec, SpecProblem


def catalog_problems(spec: ArchitectureSpec) -> list[SpecProblem]:
    catalog = catalog_for(spec.provider)
    problems: list[SpecProblem] = []
    try:
        catalog.region_multiplier(spec.region)
    except UnknownRegion as error:
        problems.append(error.to_problem())
    for i, component in enumerate(spec.components):
        if component.instance_class is None:
            continue
        try:
            catalog.instance(component.instance_class, ("components", str(i), "instance_class"))
        except UnknownInstanceClass as error:
            problems.append(error.to_problem())
    return problems


def default_region(provider: str) -> str:
    """The catalog's base region of a provider, for designs that name none."""
    return catalog_for(provider).base_region
