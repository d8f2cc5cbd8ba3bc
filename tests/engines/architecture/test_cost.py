"""Cost analysis on small designs whose bills are worked out by hand (AWS list prices).

Load model reminder: a component with R requests per user per day sees, at U users, a
peak of U * R * 3 / 86,400 requests/s (peak factor 3); R = 2,880 gives 0.1 rps per user.
A month is 730 instance hours and 30 days of usage; egress GB = U * R * 30 * KB / 1024^2.
"""

from __future__ import annotations

import json

import pytest

from atrium.engines.architecture.catalog import UnknownInstanceClass, UnknownRegion
from atrium.engines.architecture.cost import analyze_cost
from atrium.engines.architecture.cost_lines import fmt, to_cents
from atrium.engines.architecture.model import ArchitectureSpec, Component, ComponentKind, Link
from atrium.engines.architecture.scale_points import InvalidScalePoints

K = ComponentKind


def _spec(*components: Component, links: tuple[Link, ...] = ()) -> ArchitectureSpec:
    return ArchitectureSpec(components=components, links=links)


def _busy_api(**options) -> Component:
    """An m6i.large service (2 vCPU x 100 rps = 200 rps) at 0.1 rps per user."""
    return Component(
        "api", "API", K.SERVICE, "m6i.large", requests_per_user_per_day=2_880, **options
    )


def test_fixed_replicas_cost_their_instance_hours():
    # given two m6i.large, no load
    spec = _spec(Component("api", "API", K.SERVICE, "m6i.large", replicas=2))

    # when
    estimate = analyze_cost(spec, [1_000]).estimates[0]

    # then 2 x $0.096 x 730 h = $140.16, all compute, $0.14016 per user
    assert estimate.monthly_cost_cents == 14016
    assert estimate.breakdown.compute_cents == 14016
    assert estimate.cost_per_user == pytest.approx(0.14016)
    assert [line.basis for line in estimate.lines] == ["2 x m6i.large x 730 h x $0.096/h"]


MIXED = _spec(
    Component(
        "api",
        "API",
        K.SERVICE,
        "m6i.large",
        replicas=2,
        storage_gb=10,
        requests_per_user_per_day=100,
        payload_kb=10,
        public=True,
    ),
    Component("db", "DB", K.DATABASE, "db.m6i.large", storage_gb=100),
    Component("cache", "Cache", K.CACHE, "cache.m6g.large"),
    Component("fn", "Worker", K.FUNCTION, requests_per_user_per_day=10),
    Component("q", "Queue", K.QUEUE, requests_per_user_per_day=20),
    Component("s3", "Files", K.OBJECT_STORAGE, storage_gb=1000, requests_per_user_per_day=5),
    Component("cdn", "CDN", K.CDN, requests_per_user_per_day=50, payload_kb=100, public=True),
    Component("lb", "LB", K.LOAD_BALANCER, requests_per_user_per_day=100, payload_kb=10),
    Component("gw", "Gateway", K.GATEWAY, requests_per_user_per_day=100),
    Component("pay", "Payments", K.EXTERNAL, requests_per_user_per_day=1),
)


def test_every_kind_is_priced_in_its_category_at_1000_users():
    # given the mixed design at 1,000 users
    # compute:
    #   api   2 x $0.096 x 730                                          = 140.16
    #   fn    0.3 M req x $0.20 + 300,000 x 0.1 s x 0.5 GB x $0.0000166667 = 0.06 + 0.25 = 0.31
    #   q     0.6 M req x $0.40                                         =   0.24
    #   cdn   1000*50*30*100 KB = 143.051 GB x $0.085 (CDN, not egress) =  12.16
    #   lb    730 h x $0.0225 + 28.610 GB x $0.008 = 16.425 + 0.229     =  16.65
    #   gw    3 M req x $1.00                                           =   3.00
    #   pay   external: not ours to price                               =   0.00
    #   = 172.52
    # storage: api 10 GB x $0.08 = 0.80; s3 1000 GB x $0.023 + 0.15 M x $0.40 = 23.06; = 23.86
    # database: db $0.178 x 730 = 129.94 + 100 GB x $0.115 = 11.50; cache $0.149 x 730 = 108.77
    #   = 250.21
    # data_transfer: api 1000*100*30*10 KB = 28.610 GB x $0.09 = 2.57 (the CDN's is not here)
    # total 172.52 + 23.86 + 250.21 + 2.57 = 449.16

    # when
    estimate = analyze_cost(MIXED, [1_000]).estimates[0]

    # then
    b = estimate.breakdown
    assert (b.compute_cents, b.storage_cents, b.database_cents, b.data_transfer_cents) == (
        17252,
        2386,
        25021,
        257,
    )
    assert estimate.monthly_cost_cents == 44916
    by_component: dict[str, int] = {}
    for line in estimate.lines:
        by_component[line.component_key] = by_component.get(line.component_key, 0) + (
            line.monthly_cost_cents
        )
    assert by_component == {
        "api": 14016 + 80 + 257,
        "db": 12994 + 1150,
        "cache": 10877,
        "fn": 31,
        "q": 24,
        "s3": 2306,
        "cdn": 1216,
        "lb": 1665,
        "gw": 300,
        "pay": 0,
    }


def test_lines_explain_their_arithmetic():
    # given / when
    lines: dict[tuple[str, str], list[str]] = {}
    for line in analyze_cost(MIXED, [1_000]).estimates[0].lines:
        lines.setdefault((line.component_key, line.category.value), []).append(line.basis)

    # then
    assert lines["db", "database"] == [
        "1 x db.m6i.large x 730 h x $0.178/h",
        "1 x 100 GB x $0.115/GB-month database storage",
    ]
    assert lines["q", "compute"] == ["0.6 M requests x $0.4/M"]
    assert lines["cdn", "compute"] == ["143.051 GB x $0.085/GB CDN delivery"]
    assert lines["api", "data_transfer"] == ["28.6102 GB x $0.09/GB internet egress"]
    assert lines["fn", "compute"] == [
        "0.3 M requests x $0.2/M + 15,000 GB-s (0.1 s x 0.5 GB each) x $0.0000166667/GB-s"
    ]
    assert lines["lb", "compute"] == ["1 x 730 h x $0.0225/h + 28.6102 GB processed x $0.008/GB"]
    assert lines["pay", "compute"] == ["billed by its own provider; not estimated"]
    assert ("cdn", "data_transfer") not in lines


@pytest.mark.parametrize("users", [1, 999, 12_345, 1_000_000, 10_000_000])
def test_the_breakdown_adds_up_to_the_total_to_the_cent(users):
    # given / when
    estimate = analyze_cost(MIXED, [users]).estimates[0]

    # then: lines are rounded once; categories and total are sums of rounded lines
    b = estimate.breakdown
    assert sum(line.monthly_cost_cents for line in estimate.lines) == estimate.monthly_cost_cents
    assert b.compute_cents + b.storage_cents + b.database_cents + b.data_transfer_cents == (
        estimate.monthly_cost_cents
    )


def test_a_region_multiplies_every_price():
    # given two m6i.large in eu-west-1 (x1.11)
    spec = _spec(Component("api", "API", K.SERVICE, "m6i.large", replicas=2))

    # when
    report = analyze_cost(spec, [1_000], region="eu-west-1")

    # then 2 x ($0.096 x 1.11 = $0.10656) x 730 h = $155.5776 -> $155.58
    assert report.region == "eu-west-1" and report.region_multiplier == pytest.approx(1.11)
    assert report.estimates[0].monthly_cost_cents == 15558
    assert report.estimates[0].lines[0].basis == "2 x m6i.large x 730 h x $0.10656/h"


def test_autoscaled_replicas_follow_the_load():
    # given an autoscaled m6i.large (2 vCPU x 100 rps = 200 rps, 140 at the 0.7 target)
    # at 0.1 rps per user
    spec = _spec(_busy_api(autoscaling=True))

    # when
    estimates = analyze_cost(spec, [1_000, 10_000]).estimates

    # then 100 rps -> 1 replica ($70.08); 1,000 rps / 140 = 7.1 -> 8 replicas ($560.64)
    assert [e.monthly_cost_cents for e in estimates] == [7008, 56064]
    assert estimates[1].lines[0].basis.startswith("8 x m6i.large")


def test_a_saturated_fixed_component_is_named_not_resized():
    # given one fixed m6i.large (200 rps) at 0.1 rps per user
    spec = _spec(_busy_api())

    # when 3,000 users ask 300 rps
    estimate = analyze_cost(spec, [3_000]).estimates[0]

    # then it is still priced as one replica, and flagged
    assert estimate.monthly_cost_cents == 7008
    assert estimate.saturated_components == ("api",)
    assert "takes 3" in estimate.notes[0]  # 300 / 140 -> 3 replicas to stay under 0.7


def test_the_knee_is_where_cost_per_user_stops_falling():
    # given an autoscaled service: 1,000 users need 1 replica, 1,500 need 2 (150 rps > 140)
    spec = _spec(_busy_api(autoscaling=True))

    # when
    knee = analyze_cost(spec, [1_000, 1_500]).knee

    # then $70.08 / 1,000 = $0.07008 rises to $140.16 / 1,500 = $0.09344
    assert knee is not None
    assert (knee.users, knee.rule) == (1_500, "COST_PER_USER_ROSE")
    assert knee.cost_per_user == pytest.approx(0.09344)
    assert knee.previous_cost_per_user == pytest.approx(0.07008)


def test_the_knee_is_where_the_marginal_cost_per_user_jumps():
    # given a fixed idle database ($129.94) and an autoscaled service
    spec = _spec(
        Component("db", "DB", K.DATABASE, "db.m6i.large"),
        _busy_api(autoscaling=True),
    )

    # when
    report = analyze_cost(spec, [1_000, 1_300, 2_600])

    # then totals $200.02, $200.02, $270.10 (130 rps fits 1 replica, 260 needs 2):
    # cost per user falls (0.2000, 0.1539, 0.1039) but the marginal cost per user goes
    # from 0 to $70.08 / 1,300 = $0.0539
    assert [e.monthly_cost_cents for e in report.estimates] == [20002, 20002, 27010]
    assert report.knee is not None
    assert (report.knee.users, report.knee.rule) == (2_600, "MARGINAL_COST_JUMPED")
    assert report.knee.marginal_cost_per_user == pytest.approx(70.08 / 1_300)
    assert report.knee.previous_marginal_cost_per_user == 0


def test_there_is_no_knee_while_cost_per_user_falls_steadily():
    # given only fixed costs
    spec = _spec(Component("api", "API", K.SERVICE, "m6i.large", replicas=2))

    # when / then
    assert analyze_cost(spec, [1_000, 10_000, 100_000]).knee is None
    assert analyze_cost(spec, [1_000]).knee is None


@pytest.mark.parametrize(
    "points",
    [[], list(range(1, 12)), [0], [10_000_001], [100, 10], [10, 10], [1.5], [True]],
)
def test_scale_points_are_validated_naming_the_field(points):
    # given / when
    with pytest.raises(InvalidScalePoints) as raised:
        analyze_cost(MIXED, points)

    # then
    assert isinstance(raised.value, ValueError)
    assert raised.value.field == ("scale_points",)


def test_an_unknown_region_or_class_names_its_field():
    # given
    bad_class = _spec(Component("a", "A", K.SERVICE), Component("b", "B", K.SERVICE, "x9.big"))

    # when / then
    with pytest.raises(UnknownRegion) as region:
        analyze_cost(MIXED, [1_000], region="mars-1")
    assert region.value.field == ("region",)
    with pytest.raises(UnknownInstanceClass) as instance:
        analyze_cost(bad_class, [1_000])
    assert instance.value.field == ("components", "1", "instance_class")


def test_to_dict_is_json_with_dollars_beside_cents():
    # given / when
    result = analyze_cost(MIXED, [1_000, 10_000]).to_dict()

    # then the seed's shape: estimates[].{users, monthly_cost, breakdown{...}}
    json.dumps(result)
    first = result["estimates"][0]
    assert first["users"] == 1_000
    assert first["monthly_cost"] == 449.16 and first["monthly_cost_cents"] == 44916
    assert first["breakdown"] == {
        "compute": 172.52,
        "compute_cents": 17252,
        "storage": 23.86,
        "storage_cents": 2386,
        "database": 250.21,
        "database_cents": 25021,
        "data_transfer": 2.57,
        "data_transfer_cents": 257,
    }
    assert first["lines"][0]["category"] == "compute"
    assert all("monthly_saving" in o for o in result["optimizations"])
    assert result["catalog_as_of"] and result["catalog_source"]


def test_rounding_is_half_up_to_the_cent_and_figures_print_plainly():
    # given / when / then
    assert [to_cents(x) for x in (0.125, 0.124999, 140.16, 2.574920654296875)] == [
        13,
        12,
        14016,
        257,
    ]
    assert [fmt(x) for x in (0.096, 0.0000166667, 28.6102294921875, 1234.5678, 0)] == [
        "0.096",
        "0.0000166667",
        "28.6102",
        "1,234.57",
        "0",
    ]
