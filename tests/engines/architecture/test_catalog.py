"""The priced catalog: shipped as data, typed, and strict about names it does not know."""

from __future__ import annotations

import pytest

from atrium.engines.architecture.catalog import (
    AnalysisInputError,
    UnknownInstanceClass,
    UnknownProvider,
    UnknownRegion,
    catalog_for,
)
from atrium.engines.architecture.model import (
    CloudProvider,
    Component,
    ComponentKind,
    SpecProblem,
)


@pytest.mark.parametrize("provider", list(CloudProvider))
def test_every_provider_ships_a_sourced_catalog_with_usable_defaults(provider):
    # given / when
    catalog = catalog_for(provider)

    # then: it says where its figures come from, and when
    assert catalog.provider == provider.value
    assert "approximate" in catalog.source.lower()
    assert catalog.as_of
    assert catalog.discounts.source
    # the base region is the reference price
    assert catalog.region_multiplier(catalog.base_region) == 1.0
    # and every instance kind has a default class it can price
    for kind in (ComponentKind.SERVICE, ComponentKind.DATABASE, ComponentKind.CACHE):
        default = catalog.class_for(Component("x", "x", kind))
        assert default is not None
        assert default.hourly_usd > 0 and default.vcpu >= 1 and default.memory_gb > 0
    assert 0 < catalog.discounts.reserved_1y < catalog.discounts.reserved_3y < 1
    assert 0 < catalog.discounts.spot < 1


def test_an_instance_class_is_looked_up_by_name_with_its_list_price():
    # given
    catalog = catalog_for("AWS")

    # when
    m6i = catalog.instance("m6i.large")

    # then
    assert (m6i.pool, m6i.vcpu, m6i.memory_gb, m6i.hourly_usd) == ("compute", 2, 8.0, 0.096)
    assert not m6i.burstable
    assert catalog.instance("t3.medium").burstable


def test_the_catalog_is_loaded_once():
    # given / when / then
    assert catalog_for(CloudProvider.GCP) is catalog_for("GCP")


def test_a_region_multiplier_scales_prices_from_the_base_region():
    # given / when / then
    assert catalog_for("AWS").region_multiplier("eu-west-1") == pytest.approx(1.11)
    assert catalog_for("GCP").region_multiplier("europe-west1") == pytest.approx(1.1)
    assert catalog_for("AZURE").region_multiplier("westeurope") == pytest.approx(1.15)


def test_a_pool_lists_its_classes_cheapest_first():
    # given
    pool = catalog_for("AWS").pool("database")

    # when
    prices = [c.hourly_usd for c in pool]

    # then
    assert prices == sorted(prices)
    assert {c.pool for c in pool} == {"database"}


def test_an_unknown_instance_class_names_the_field_to_blame():
    # given
    catalog = catalog_for("AWS")

    # when
    with pytest.raises(UnknownInstanceClass) as raised:
        catalog.instance("m99.huge", ("components", "3", "instance_class"))

    # then
    assert isinstance(raised.value, ValueError)
    assert raised.value.field == ("components", "3", "instance_class")
    assert "m99.huge" in raised.value.message
    assert raised.value.to_problem() == SpecProblem(
        ("components", "3", "instance_class"), raised.value.message
    )


def test_an_unknown_region_names_the_region_field_and_the_known_ones():
    # given
    catalog = catalog_for("GCP")

    # when
    with pytest.raises(UnknownRegion) as raised:
        catalog.region_multiplier("us-east-1")

    # then
    assert raised.value.field == ("region",)
    assert "us-central1" in raised.value.message


def test_an_unknown_provider_is_an_input_error():
    # given / when / then
    with pytest.raises(UnknownProvider) as raised:
        catalog_for("DIGITALOCEAN")
    assert isinstance(raised.value, AnalysisInputError)
    assert raised.value.field == ("provider",)
