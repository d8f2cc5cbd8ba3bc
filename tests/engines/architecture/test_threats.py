"""STRIDE rules: each fires on its case, stays quiet on the safe variant, and explains itself.

Every case starts from SAFE, a gateway in front of a two-replica API and an audited, encrypted
database in the API's own zone, which raises no threat at all; each test changes one fact.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from atrium.engines.architecture.model import (
    ArchitectureSpec,
    Component,
    ComponentKind,
    DataClassification,
    Link,
    Protocol,
    TrustZone,
)
from atrium.engines.architecture.threats import (
    RULES,
    ElementKind,
    Severity,
    StrideCategory,
    analyze_threats,
    fingerprint,
)

SAFE = ArchitectureSpec(
    trust_zones=(
        TrustZone("edge", "Edge", 1),
        TrustZone("app", "Application", 2),
        TrustZone("data", "Data", 3),
    ),
    components=(
        Component("gw", "Gateway", ComponentKind.GATEWAY, trust_zone="edge", public=True),
        Component("api", "API", ComponentKind.SERVICE, trust_zone="app", replicas=2),
        Component("db", "Orders DB", ComponentKind.DATABASE, trust_zone="app", audit_logging=True),
    ),
    links=(
        Link("gw", "api", data_classification=DataClassification.CONFIDENTIAL),
        Link("api", "db", Protocol.SQL, DataClassification.CONFIDENTIAL),
    ),
)


def component(spec: ArchitectureSpec, key: str, **changes: Any) -> ArchitectureSpec:
    return replace(
        spec,
        components=tuple(replace(c, **changes) if c.key == key else c for c in spec.components),
    )


def link(spec: ArchitectureSpec, source: str, target: str, **changes: Any) -> ArchitectureSpec:
    def edit(x: Link) -> Link:
        return replace(x, **changes) if (x.source, x.target) == (source, target) else x

    return replace(spec, links=tuple(edit(x) for x in spec.links))


def add(spec: ArchitectureSpec, *items: Component | Link) -> ArchitectureSpec:
    return replace(
        spec,
        components=spec.components + tuple(i for i in items if isinstance(i, Component)),
        links=spec.links + tuple(i for i in items if isinstance(i, Link)),
    )


def fired(spec: ArchitectureSpec) -> dict[tuple[str, str], Severity]:
    return {(t.rule_id, t.element): t.severity for t in analyze_threats(spec).threats}


def test_the_safe_reference_raises_nothing():
    # given a design with every control in place
    # when it is analysed
    report = analyze_threats(SAFE)
    # then no rule fires and the risk score is zero
    assert report.threats == ()
    assert report.summary.risk_score == 0
    assert report.summary.highest_severity is None


def test_unencrypted_link_across_a_boundary_discloses_and_tampers():
    # given gw (edge, trust 1) -> api (app, trust 2) unencrypted, carrying CONFIDENTIAL data
    spec = link(SAFE, "gw", "api", encrypted=False)
    # when analysed
    report = analyze_threats(spec)
    # then both I-001 and T-001 fire, HIGH for CONFIDENTIAL, naming the boundary crossed
    found = {t.rule_id: t for t in report.threats}
    assert found["STRIDE-I-001"].severity == Severity.HIGH
    assert found["STRIDE-T-001"].category == StrideCategory.TAMPERING
    assert found["STRIDE-I-001"].rationale == (
        "link gw->api carries CONFIDENTIAL data unencrypted across the boundary edge(1)->app(2)"
    )
    assert found["STRIDE-I-001"].element_kind == ElementKind.LINK


@pytest.mark.parametrize(
    ("classification", "severity"),
    [
        (DataClassification.PUBLIC, Severity.LOW),
        (DataClassification.INTERNAL, Severity.MEDIUM),
        (DataClassification.CONFIDENTIAL, Severity.HIGH),
        (DataClassification.RESTRICTED, Severity.CRITICAL),
    ],
)
def test_disclosure_severity_rises_with_the_data_classification(classification, severity):
    # given the same unencrypted crossing with more and more sensitive data
    spec = link(SAFE, "gw", "api", encrypted=False, data_classification=classification)
    # when analysed, then the severity follows the classification ladder
    assert fired(spec)[("STRIDE-I-001", "gw->api")] == severity
    assert fired(spec)[("STRIDE-T-001", "gw->api")] == severity


def test_a_zone_and_no_zone_are_a_boundary_too():
    # given an external client with no zone (internet, trust 0) sending PUBLIC data unencrypted
    spec = add(
        SAFE,
        Component("browser", "Browser", ComponentKind.EXTERNAL),
        Link("browser", "gw", Protocol.HTTPS, DataClassification.PUBLIC, encrypted=False),
    )
    # when analysed
    threat = next(t for t in analyze_threats(spec).threats if t.rule_id == "STRIDE-I-001")
    # then the crossing none(0)->edge(1) is reported, LOW for PUBLIC data
    assert threat.severity == Severity.LOW
    assert "none(0)->edge(1)" in threat.rationale


def test_unencrypted_inside_one_zone_is_not_a_boundary_crossing():
    # given api -> db unencrypted, but both in the app zone
    spec = link(SAFE, "api", "db", encrypted=False)
    # when analysed, then neither transport rule fires (the network inside a zone is trusted)
    assert fired(spec) == {}


def test_plain_http_is_tampering_even_inside_a_zone():
    # given api -> db over plain HTTP inside one zone, carrying CONFIDENTIAL data
    spec = link(SAFE, "api", "db", protocol=Protocol.HTTP)
    # when analysed, then T-002 fires, MEDIUM because the data is CONFIDENTIAL
    assert fired(spec) == {("STRIDE-T-002", "api->db"): Severity.MEDIUM}
    # and with INTERNAL data it is LOW
    internal = link(spec, "api", "db", data_classification=DataClassification.INTERNAL)
    assert fired(internal) == {("STRIDE-T-002", "api->db"): Severity.LOW}


def test_plain_http_already_reported_by_t001_is_not_counted_twice():
    # given gw -> api over HTTP, unencrypted, across the edge/app boundary
    spec = link(SAFE, "gw", "api", protocol=Protocol.HTTP, encrypted=False)
    # when analysed, then T-001 covers the tampering and T-002 stays quiet
    rules = {rule for rule, _ in fired(spec)}
    assert "STRIDE-T-001" in rules
    assert "STRIDE-T-002" not in rules


def test_unauthenticated_call_from_a_less_trusted_zone_is_spoofing():
    # given gw (trust 1) calls api (trust 2) without authentication, CONFIDENTIAL data
    spec = link(SAFE, "gw", "api", authenticated=False)
    # when analysed, then S-001 fires, raised to HIGH by the CONFIDENTIAL data
    assert fired(spec) == {("STRIDE-S-001", "gw->api"): Severity.HIGH}
    # and INTERNAL data keeps it at MEDIUM
    internal = link(spec, "gw", "api", data_classification=DataClassification.INTERNAL)
    assert fired(internal) == {("STRIDE-S-001", "gw->api"): Severity.MEDIUM}


def test_unauthenticated_call_within_a_zone_to_a_private_component_is_not_spoofing():
    # given api -> db unauthenticated, same zone, db not public
    spec = link(SAFE, "api", "db", authenticated=False)
    # when analysed, then no spoofing rule fires: nothing less trusted can reach db
    assert fired(spec) == {}


def test_external_party_calling_in_unauthenticated_is_spoofing():
    # given a payment provider (EXTERNAL) posting webhooks to api without authentication
    spec = add(
        SAFE,
        Component("stripe", "Stripe", ComponentKind.EXTERNAL),
        Link("stripe", "api", authenticated=False),
    )
    # when analysed, then S-003 fires (HIGH) and the more generic S-001 does not repeat it
    assert fired(spec) == {("STRIDE-S-003", "stripe->api"): Severity.HIGH}
    # and a signed (authenticated) webhook is safe
    assert fired(link(spec, "stripe", "api", authenticated=True)) == {}


def test_public_entry_point_accepting_unauthenticated_calls_is_spoofing():
    # given a public web service in the edge zone, called unauthenticated by the gateway
    # beside it (same zone, so S-001 does not apply)
    spec = add(
        SAFE,
        Component("web", "Web", ComponentKind.SERVICE, trust_zone="edge", public=True, replicas=2),
        Link("gw", "web", authenticated=False),
    )
    # when analysed, then S-002 fires on the component
    assert fired(spec) == {("STRIDE-S-002", "web"): Severity.MEDIUM}
    # and authenticating the call is safe
    assert fired(link(spec, "gw", "web", authenticated=True)) == {}


def test_datastore_without_audit_logging_is_repudiation():
    # given db holds CONFIDENTIAL data (its incoming link says so) and audit logging is off
    spec = component(SAFE, "db", audit_logging=False)
    # when analysed, then R-001 fires, HIGH for CONFIDENTIAL data
    report = analyze_threats(spec)
    assert fired(spec) == {("STRIDE-R-001", "db"): Severity.HIGH}
    assert report.threats[0].element_kind == ElementKind.COMPONENT
    # and a datastore holding PUBLIC data only is LOW
    public = link(spec, "api", "db", data_classification=DataClassification.PUBLIC)
    assert fired(public) == {("STRIDE-R-001", "db"): Severity.LOW}


def test_sensitive_data_unencrypted_at_rest_is_disclosure():
    # given db not encrypted at rest, receiving CONFIDENTIAL then RESTRICTED data
    spec = component(SAFE, "db", encrypted_at_rest=False)
    restricted = link(spec, "api", "db", data_classification=DataClassification.RESTRICTED)
    # when analysed, then I-002 fires, HIGH then CRITICAL
    assert fired(spec) == {("STRIDE-I-002", "db"): Severity.HIGH}
    assert fired(restricted) == {("STRIDE-I-002", "db"): Severity.CRITICAL}
    # and INTERNAL data unencrypted at rest is below the rule's threshold
    internal = link(spec, "api", "db", data_classification=DataClassification.INTERNAL)
    assert fired(internal) == {}


def test_public_datastore_is_disclosure():
    # given the CONFIDENTIAL database marked public
    spec = component(SAFE, "db", public=True, replicas=2)
    # when analysed, then I-003 fires HIGH (plus D-002: nothing fronts it)
    assert fired(spec)[("STRIDE-I-003", "db")] == Severity.HIGH
    assert ("STRIDE-I-003", "db") not in fired(SAFE)


def test_single_replica_public_service_is_denial_of_service():
    # given api made public, fronted by the gateway, but with one replica and no autoscaling
    spec = component(SAFE, "api", public=True, replicas=1)
    # when analysed, then D-001 fires
    assert fired(spec) == {("STRIDE-D-001", "api"): Severity.MEDIUM}
    # and two replicas, or autoscaling, are safe
    assert fired(component(spec, "api", replicas=2)) == {}
    assert fired(component(spec, "api", autoscaling=True)) == {}


def test_public_component_without_a_front_door_is_denial_of_service():
    # given a public service with two replicas that nothing fronts
    site = Component("site", "Site", ComponentKind.SERVICE, trust_zone="edge", public=True)
    spec = add(SAFE, replace(site, replicas=2))
    # when analysed, then D-002 fires
    assert fired(spec) == {("STRIDE-D-002", "site"): Severity.MEDIUM}
    # and a CDN in front of it is safe
    cdn = Component("cdn", "CDN", ComponentKind.CDN, trust_zone="edge", public=True)
    assert fired(add(spec, cdn, Link("cdn", "site"))) == {}


def test_less_trusted_zone_reaching_a_datastore_is_elevation_of_privilege():
    # given db moved to the data zone (trust 3), still called directly by api (trust 2)
    spec = component(SAFE, "db", trust_zone="data")
    # when analysed, then E-001 fires HIGH
    assert fired(spec) == {("STRIDE-E-001", "api->db"): Severity.HIGH}
    # and a caller from the internet (no zone) makes it CRITICAL
    script = Component("script", "Script", ComponentKind.FUNCTION)
    internet = add(spec, script, Link("script", "db", Protocol.SQL))
    assert fired(internet)[("STRIDE-E-001", "script->db")] == Severity.CRITICAL


def test_fingerprints_survive_unrelated_edits_and_severity_changes():
    # given a design with threats, and the same design after unrelated edits
    before = component(link(SAFE, "gw", "api", encrypted=False), "db", audit_logging=False)
    after = add(
        link(before, "gw", "api", data_classification=DataClassification.RESTRICTED),
        Component("worker", "Worker", ComponentKind.SERVICE, trust_zone="app"),
        Link("worker", "db", Protocol.SQL),
    )
    # when both are analysed
    old = {(t.rule_id, t.element): t.id for t in analyze_threats(before).threats}
    new = {(t.rule_id, t.element): t.id for t in analyze_threats(after).threats}
    # then every threat keeps its id, though I-001 on gw->api became CRITICAL
    assert old.items() <= new.items()
    assert fired(after)[("STRIDE-I-001", "gw->api")] == Severity.CRITICAL
    assert old[("STRIDE-R-001", "db")] == fingerprint("STRIDE-R-001", ElementKind.COMPONENT, "db")
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in new.values())


def test_threats_are_sorted_by_severity_then_category_whatever_the_input_order():
    # given a design with several threats, and the same design listed backwards
    spec = component(link(SAFE, "gw", "api", encrypted=False), "db", audit_logging=False)
    spec = component(spec, "api", public=True, replicas=1)
    backwards = replace(spec, components=spec.components[::-1], links=spec.links[::-1])
    # when both are analysed
    threats = analyze_threats(spec).threats
    # then the order is identical and severities never increase down the list
    assert threats == analyze_threats(backwards).threats
    ranks = [list(Severity).index(t.severity) for t in threats]
    assert ranks == sorted(ranks)


def test_summary_counts_every_category_and_weights_the_risk_score():
    # given two HIGH threats (I-001, T-001) and one HIGH R-001, one MEDIUM D-001
    spec = component(link(SAFE, "gw", "api", encrypted=False), "db", audit_logging=False)
    spec = component(spec, "api", public=True, replicas=1)
    # when analysed
    summary = analyze_threats(spec).summary
    # then counts list all six categories and four severities, zeros included
    assert summary.total == 4
    assert summary.by_category[StrideCategory.SPOOFING] == 0
    assert summary.by_category[StrideCategory.DENIAL_OF_SERVICE] == 1
    assert summary.by_severity == {
        Severity.CRITICAL: 0,
        Severity.HIGH: 3,
        Severity.MEDIUM: 1,
        Severity.LOW: 0,
    }
    # and the risk score is 10 per CRITICAL, 5 per HIGH, 2 per MEDIUM, 1 per LOW
    assert summary.risk_score == 3 * 5 + 2
    assert summary.highest_severity == Severity.HIGH
    assert analyze_threats(spec).to_dict()["summary"]["by_severity"]["HIGH"] == 3


def test_links_with_the_same_ends_report_one_threat_the_worst():
    # given two unencrypted links gw->api, one CONFIDENTIAL and one RESTRICTED
    spec = link(SAFE, "gw", "api", encrypted=False)
    spec = add(
        spec, Link("gw", "api", encrypted=False, data_classification=DataClassification.RESTRICTED)
    )
    # when analysed, then one I-001 remains (same fingerprint) at the worse severity
    ids = [t.id for t in analyze_threats(spec).threats]
    assert len(ids) == len(set(ids))
    assert fired(spec)[("STRIDE-I-001", "gw->api")] == Severity.CRITICAL


def test_every_rule_is_documented_once():
    # given the rule catalog, then ids are unique and every rule explains itself
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids)) == 12
    assert all(r.condition and r.severity and r.mitigation for r in RULES)


def big_spec(size: int = 200) -> ArchitectureSpec:
    """Tiers of services, each with a datastore, zones alternating, half the links weak."""
    zones = tuple(TrustZone(f"z{i}", f"Zone {i}", i) for i in range(4))
    kinds = [ComponentKind.SERVICE, ComponentKind.DATABASE, ComponentKind.QUEUE]
    components = tuple(
        Component(
            f"c{i}",
            f"C{i}",
            kinds[i % 3],
            trust_zone=f"z{i % 4}",
            public=i % 5 == 0,
            audit_logging=i % 2 == 0,
            encrypted_at_rest=i % 3 != 1,
        )
        for i in range(size)
    )
    links = tuple(
        Link(
            f"c{i}",
            f"c{(i + step) % size}",
            Protocol.HTTP if i % 7 == 0 else Protocol.HTTPS,
            list(DataClassification)[i % 4],
            encrypted=i % 2 == 0,
            authenticated=i % 3 == 0,
        )
        for i in range(size)
        for step in (1, 2)
    )
    return ArchitectureSpec(components=components, links=links, trust_zones=zones)


def test_a_large_architecture_is_analysed_deterministically():
    # given 200 components and 400 links (timing lives in bench/bench_architecture.py)
    spec = big_spec()
    # when analysed twice
    first, second = analyze_threats(spec), analyze_threats(spec)
    # then it finds plenty, each threat once, the same way both times
    assert first.summary.total > 200
    assert len({t.id for t in first.threats}) == first.summary.total
    assert first == second
