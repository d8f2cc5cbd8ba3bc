"""The REST layer's operation files are validated against the live schema at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import get_named_type

from atrium.core.config import Settings
from atrium.rest.spec import RestSpecError, load_specs
from atrium.schema import create_schema

SCHEMA = create_schema(Settings())._schema


def _write(directory: Path, product: str, text: str) -> Path:
    (directory / f"{product}.graphql").write_text(text)
    return directory


def test_the_shipped_operations_validate() -> None:
    specs = load_specs(SCHEMA)
    assert specs, "no REST operations were loaded"
    assert all(spec.full_path.startswith(f"/rest/{spec.product.name}/") for spec in specs)


def test_specs_hold_the_served_schemas_own_types() -> None:
    # given the specs loaded (validated against the schema with @rest added)
    specs = load_specs(SCHEMA)

    # then every variable's type is the served schema's own, not a copy's
    types = [get_named_type(t) for spec in specs for t in spec.variables.values()]
    assert types
    assert all(SCHEMA.get_type(t.name) is t for t in types)
    # and the operations carry no locations (each would hold its file's token chain)
    assert all(spec.operation.loc is None for spec in specs)


def test_an_operation_that_no_longer_validates_stops_start_up(tmp_path: Path) -> None:
    # given an operation asking for a field the schema does not have (any more)
    _write(
        tmp_path,
        "architecto",
        """
        query Gone($id: ID!) @rest(method: GET, path: "/v1/gone/{id}") {
          organization(id: $id) { id removedField }
        }
    """,
    )
    # when the routes are generated / then start-up fails, naming the problem
    with pytest.raises(RestSpecError, match="removedField"):
        load_specs(SCHEMA, tmp_path)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('query A @rest(method: GET, path: "/v1/x/{id}") { viewer { scope } }', "{id}"),
        (
            'mutation B($n: String!) @rest(method: GET, path: "/v1/b") '
            "{ logout(input: {refreshToken: $n}) { success } }",
            "GET must serve a query",
        ),
        ("query { viewer { scope } }", "exactly one @rest"),
        ('query C @rest(method: GET, path: "/v1/c", list: OFFSET) { viewer { scope } }', "$first"),
        (
            'query D @rest(method: GET, path: "/v1/d", unwrap: "viewer", merge: "user") '
            "{ viewer { scope } }",
            "merge 'user'",
        ),
    ],
)
def test_malformed_routes_are_refused(tmp_path: Path, text: str, problem: str) -> None:
    _write(tmp_path, "archastro", text)
    with pytest.raises(RestSpecError) as error:
        load_specs(SCHEMA, tmp_path)
    assert problem in str(error.value)


def test_two_operations_on_one_route_are_refused(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "octokraft",
        """
        query A @rest(method: GET, path: "/api/v1/same") { viewer { scope } }
        query B @rest(method: GET, path: "/api/v1/same") { viewer { scope } }
    """,
    )
    with pytest.raises(RestSpecError, match="also served by"):
        load_specs(SCHEMA, tmp_path)


def test_unknown_product_file_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "nosuchproduct", 'query A @rest(method: GET, path: "/a") { viewer { scope } }')
    with pytest.raises(RestSpecError, match="no product"):
        load_specs(SCHEMA, tmp_path)


def test_a_merged_object_is_flat_in_the_openapi_document() -> None:
    # given the shipped routes, one of which merges a payload's object with its secret
    from atrium.rest.openapi import openapi_document

    document = openapi_document(SCHEMA, load_specs(SCHEMA))
    # when its 201 response schema is read
    created = document["paths"]["/rest/archestra/api/api-keys"]["post"]["responses"]["201"]
    properties = created["content"]["application/json"]["schema"]["properties"]
    # then the key's fields sit beside the secret, with Archestra's names
    assert {"id", "name", "start", "lastRequest", "key"} <= set(properties)
    assert "apiKey" not in properties
