"""Version diffs: components and zones by key, links by (source, target), settings by name."""

from __future__ import annotations

import json
from dataclasses import replace

from atrium.engines.architecture.diff import FieldChange, diff_specs
from atrium.engines.architecture.model import (
    ArchitectureSpec,
    CloudProvider,
    Component,
    ComponentKind,
    Link,
    Protocol,
    TrustZone,
)

OLD = ArchitectureSpec(
    trust_zones=(TrustZone("dmz", "DMZ", 1), TrustZone("data", "Data", 3)),
    components=(
        Component("api", "API", ComponentKind.SERVICE, trust_zone="dmz"),
        Component("db", "DB", ComponentKind.DATABASE, trust_zone="data"),
        Component("cache", "Cache", ComponentKind.CACHE, trust_zone="data"),
    ),
    links=(Link("api", "db", Protocol.SQL), Link("api", "cache", Protocol.TCP)),
)


def test_a_spec_compared_with_itself_is_empty():
    # given the same spec twice, when diffed
    diff = diff_specs(OLD, OLD)
    # then nothing changed
    assert diff.is_empty
    assert diff.summary() == "no changes"
    assert diff.to_dict()["is_empty"] is True


def test_components_added_removed_and_changed_field_by_field():
    # given the cache removed, a queue added, and api scaled out and renamed
    new = replace(
        OLD,
        components=(
            Component("api", "Public API", ComponentKind.SERVICE, trust_zone="dmz", replicas=3),
            OLD.components[1],
            Component("jobs", "Jobs", ComponentKind.QUEUE, trust_zone="data"),
        ),
        links=OLD.links[:1],
    )
    # when diffed
    diff = diff_specs(OLD, new)
    # then each edit is reported once, with before and after values
    assert diff.components.added == ("jobs",)
    assert diff.components.removed == ("cache",)
    [changed] = diff.components.changed
    assert changed.key == "api"
    assert changed.changes == (
        FieldChange("name", "API", "Public API"),
        FieldChange("replicas", 1, 3),
    )
    # and the link to the removed cache is a removed link
    assert diff.links.removed == ("api->cache",)
    assert not diff.is_empty


def test_links_are_identified_by_their_ends():
    # given api->db switched to TCP, and api->cache reversed
    new = replace(
        OLD,
        links=(
            Link("api", "db", Protocol.TCP, encrypted=False),
            Link("cache", "api", Protocol.TCP),
        ),
    )
    # when diffed
    diff = diff_specs(OLD, new)
    # then the same ends make a change, reversed ends a removal plus an addition
    [changed] = diff.links.changed
    assert changed.key == "api->db"
    assert [c.field for c in changed.changes] == ["protocol", "encrypted"]
    assert diff.links.added == ("cache->api",)
    assert diff.links.removed == ("api->cache",)


def test_trust_zones_and_top_level_settings():
    # given the data zone made more trusted, a zone added, and provider, region, peak changed
    new = replace(
        OLD,
        provider=CloudProvider.GCP,
        region="europe-west1",
        peak_factor=5.0,
        trust_zones=(OLD.trust_zones[0], TrustZone("data", "Data", 4), TrustZone("ops", "Ops", 2)),
    )
    # when diffed
    diff = diff_specs(OLD, new)
    # then zones and settings carry before and after
    assert diff.trust_zones.added == ("ops",)
    assert diff.trust_zones.changed[0].changes == (FieldChange("trust_level", 3, 4),)
    assert [f.field for f in diff.fields] == ["provider", "region", "peak_factor"]
    assert diff.fields[2] == FieldChange("peak_factor", 3.0, 5.0)
    assert diff.summary() == "trust zones +1 -0 ~1; settings: provider, region, peak_factor"


def test_to_dict_is_plain_json():
    # given an edit that changes enum-valued fields
    new = replace(OLD, provider=CloudProvider.AZURE, links=(Link("api", "db", Protocol.TCP),))
    # when diffed and serialised
    data = diff_specs(OLD, new).to_dict()
    # then enums are plain strings and the whole thing round-trips through JSON
    assert data["fields"] == [{"field": "provider", "before": "AWS", "after": "AZURE"}]
    assert data["links"]["changed"] == [
        {"key": "api->db", "changes": [{"field": "protocol", "before": "SQL", "after": "TCP"}]}
    ]
    assert type(data["fields"][0]["after"]) is str
    assert json.loads(json.dumps(data)) == data


def test_a_version_rebuilt_from_storage_diffs_as_unchanged():
    # given a spec stored as JSON and read back
    stored = ArchitectureSpec.from_dict(json.loads(json.dumps(OLD.to_dict())))
    # when diffed against the original, then nothing changed
    assert diff_specs(OLD, stored).is_empty
