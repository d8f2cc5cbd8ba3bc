"""Prices, limit windows, threshold crossings and statistics buckets."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from atrium.engines.llm import (
    LimitEntity,
    LimitInterval,
    LimitRule,
    LimitType,
    Subject,
    TimeframeError,
    UsageRow,
    applicable,
    cost_of,
    crossed,
    default_prices,
    group_usage,
    group_usage_by,
    timeframe,
    window_at,
)

T = datetime(2030, 3, 13, 15, 45, 10, tzinfo=UTC)  # a Wednesday


def test_price_table_has_source_and_date_and_matches_prefixes() -> None:
    table = default_prices()
    assert table.source.startswith("Published list prices") and table.date
    assert cost_of("gpt-4o", 1_000_000, 1_000_000).total == pytest.approx(12.5)
    assert table.price_of("gpt-4o-mini-2024-07-18").model == "gpt-4o-mini"  # longest prefix
    assert table.price_of("openai/gpt-4o-2024-08-06").model == "gpt-4o"
    assert table.price_of("gpt-4omni") is None
    unknown = cost_of("my-local-llama", 10, 10)
    assert unknown.total == 0 and not unknown.known


@pytest.mark.parametrize(
    ("interval", "start", "end"),
    [
        (LimitInterval.ONE_HOUR, datetime(2030, 3, 13, 15, 20), datetime(2030, 3, 13, 16, 20)),
        (LimitInterval.ONE_DAY, datetime(2030, 3, 13, 10, 20), datetime(2030, 3, 14, 10, 20)),
        (LimitInterval.ONE_WEEK, datetime(2030, 3, 8, 10, 20), datetime(2030, 3, 15, 10, 20)),
        (LimitInterval.CALENDAR_DAY, datetime(2030, 3, 13), datetime(2030, 3, 14)),
        (LimitInterval.CALENDAR_WEEK, datetime(2030, 3, 11), datetime(2030, 3, 18)),
        (LimitInterval.CALENDAR_MONTH, datetime(2030, 3, 1), datetime(2030, 4, 1)),
    ],
)
def test_windows(interval: LimitInterval, start: datetime, end: datetime) -> None:
    anchor = datetime(2030, 3, 1, 10, 20, tzinfo=UTC)
    window = window_at(interval, T, anchor)
    assert (window.start, window.end) == (start.replace(tzinfo=UTC), end.replace(tzinfo=UTC))
    assert window.contains(T) and not window.contains(window.end)
    assert window_at(interval, window.end, anchor).start == window.end  # resets exactly


def test_december_rolls_into_january() -> None:
    window = window_at(LimitInterval.CALENDAR_MONTH, datetime(2030, 12, 31, tzinfo=UTC), T)
    assert window.end == datetime(2031, 1, 1, tzinfo=UTC)


def test_rules_apply_by_entity_and_model() -> None:
    subject = Subject("org1", frozenset({"team1"}), "usr1", "agt1", "vkey1")
    rules = [
        LimitRule("a", "org", LimitEntity.ORGANIZATION, "org1", LimitType.TOKEN_COST, 1),
        LimitRule("b", "team", LimitEntity.TEAM, "team2", LimitType.TOKEN_COST, 1),
        LimitRule(
            "c",
            "key",
            LimitEntity.VIRTUAL_KEY,
            "vkey1",
            LimitType.TOKEN_COST,
            1,
            frozenset({"gpt-4o"}),
        ),
        LimitRule("d", "tools", LimitEntity.AGENT, "agt1", LimitType.TOOL_CALLS, 1),
    ]
    assert [r.id for r in applicable(rules, subject, LimitType.TOKEN_COST, "GPT-4o")] == [
        "a",
        "c",
    ]
    assert [r.id for r in applicable(rules, subject, LimitType.TOKEN_COST, "o1")] == ["a"]
    assert [r.id for r in applicable(rules, subject, LimitType.TOOL_CALLS)] == ["d"]


def test_thresholds_are_crossed_once() -> None:
    assert crossed(10, 0, 7.9) == []
    assert crossed(10, 7.9, 8) == [80]
    assert crossed(10, 8, 9.9) == []
    assert crossed(10, 7, 12) == [80, 100]
    assert crossed(10, 10, 11) == []
    assert crossed(0, 0, 1) == [80, 100]


def test_timeframes_and_series() -> None:
    frame = timeframe("1h", T)
    assert frame.bucket == timedelta(minutes=1) and frame.end - frame.start == timedelta(hours=1)
    assert timeframe("12m", T).bucket == timedelta(days=7)
    custom = timeframe(None, T, T - timedelta(days=2), T)
    assert custom.bucket == timedelta(hours=1)
    with pytest.raises(TimeframeError):
        timeframe("2y", T)
    with pytest.raises(TimeframeError):
        timeframe(None, T, T, T - timedelta(days=1))
    rows = [
        UsageRow("m1", T - timedelta(minutes=1), 10, 5, 0.5),
        UsageRow("m1", T - timedelta(minutes=1, seconds=5), 10, 5, 0.5),
        UsageRow("m2", T - timedelta(minutes=30), 100, 50, 2.0),
    ]
    groups = group_usage(rows, frame)
    assert [g.key for g in groups] == ["m2", "m1"]
    assert groups[1].totals.requests == 2 and groups[1].totals.cost == 1.0
    assert len(groups[1].series) == len(frame.bucket_starts())
    assert sum(p.requests for p in groups[1].series.values()) == 2


def test_several_groupings_in_one_pass_match_grouping_each_alone() -> None:
    """The overview groups by team, agent and model and totals in one pass over the rows
    (it walked them four times); each grouping is what ``group_usage`` gives alone."""
    frame = timeframe("1h", T)
    rng = random.Random(8)
    rows = [
        (
            rng.choice(["team_a", "team_b", None]),
            rng.choice(["agt_1", "agt_2"]),
            rng.choice(["gpt-4o", "gpt-4o-mini", "o3"]),
            T - timedelta(seconds=rng.randrange(3600)),
            rng.randrange(1, 5000),
            rng.randrange(0, 900),
            rng.random() / 10,
        )
        for _ in range(300)
    ]
    groupings, total = group_usage_by(iter(rows), frame, 3)  # an iterator: read once
    for index, groups in enumerate(groupings):
        # totals summed by hand, independently of the engine's own loop
        for group in groups:
            mine = [r for r in rows if r[index] == group.key]
            assert group.totals.requests == len(mine)
            assert group.totals.input_tokens == sum(r[4] for r in mine)
            assert group.totals.output_tokens == sum(r[5] for r in mine)
            assert group.totals.cost == pytest.approx(sum(r[6] for r in mine))
        assert {g.key for g in groups} == {r[index] for r in rows}
        alone = group_usage((UsageRow(r[index], *r[3:]) for r in rows), frame)
        assert [(g.key, g.totals, g.series) for g in groups] == [
            (g.key, g.totals, g.series) for g in alone
        ]
    (everything,) = group_usage((UsageRow("all", *r[3:]) for r in rows), frame)
    assert (total.key, total.totals, total.series) == ("all", everything.totals, everything.series)
    assert total.totals.requests == len(rows)
    assert total.totals.cost == pytest.approx(sum(r[6] for r in rows))
    _, empty = group_usage_by([], frame, 3)
    assert empty.totals.requests == 0 and len(empty.series) == len(frame.bucket_starts())
