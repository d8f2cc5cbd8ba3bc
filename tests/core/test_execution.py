"""The fast paths of ``core.execution`` answer exactly what Strawberry's executor does."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import pytest
import strawberry

from atrium.core import execution
from atrium.core.execution import AtriumExecutionContext, FastSchema


@strawberry.enum
class Color(enum.Enum):
    RED = "RED"


@strawberry.type
class Author:
    id: strawberry.ID
    name: str


@strawberry.type
class Post:
    id: strawberry.ID
    title: str
    color: Color
    created_at: datetime
    subtitle: str | None
    author_id: strawberry.Private[str | None]

    @strawberry.field
    def author(self, info: strawberry.Info) -> Author | None:
        return info.context["authors"].get(self.author_id)

    @strawberry.field
    async def later(self) -> str:
        return f"later {self.id}"

    @strawberry.field
    def shout(self, loud: bool = False) -> str:
        return self.title.upper() if loud else self.title

    @strawberry.field
    async def tagged(
        self, info: strawberry.Info, tag_id: strawberry.ID | None = None, times: int = 1
    ) -> str:
        return f"{self.id}:{tag_id}:{times}:{info.path.key}"

    @strawberry.field
    def checked(self) -> str:
        if self.id == "p1":
            raise ValueError("p1 is checked out")
        return "ok"

    @strawberry.field
    def required_author(self, info: strawberry.Info) -> Author:
        return info.context["authors"].get(self.author_id)  # type: ignore[no-any-return]

    @strawberry.field
    def painted(self, color: Color = Color.RED, colors: list[str] | None = None) -> str:
        return f"{color.value}{colors}"


@strawberry.type
class Other:
    id: strawberry.ID
    title: str


def _post(i: int, **overrides: Any) -> Post:
    values: dict[str, Any] = {
        "id": strawberry.ID(f"p{i}"),
        "title": f"Post {i}",
        "color": Color.RED,
        "created_at": datetime(2024, 1, i + 1, tzinfo=UTC),
        "subtitle": None if i % 2 else "sub",
        "author_id": "a1" if i % 3 else None,
    }
    values.update(overrides)
    return Post(**values)


POSTS: list[Any] = [_post(i) for i in range(4)]


@strawberry.type
class Query:
    @strawberry.field
    def posts(self) -> list[Post]:
        return POSTS

    @strawberry.field
    def sparse(self) -> list[Post | None]:
        return [POSTS[1], None, POSTS[2]]

    @strawberry.field
    def broken(self) -> list[Post | None]:
        # a null in a non-null attribute, a value the scalar refuses, a cast object
        return [
            _post(7, title=None),
            _post(8, created_at="not a datetime"),
            strawberry.cast(Other, _post(9)),
            Other(id=strawberry.ID("o1"), title="other"),  # type: ignore[list-item]
        ]


QUERY = """query($tag: ID, $loud: Boolean!) { posts { id title color createdAt subtitle
  author { id name } later shout(loud: $loud) quiet: shout tagged(tagId: $tag)
  thrice: tagged(times: 3) painted(colors: ["x"]) ... on Post { title } } }"""
# a resolver that raises, and one that answers null for a non-null type
RAISING = "{ posts { id checked } }"
NULL_FOR_NON_NULL = "{ posts { id requiredAuthor { name } } }"
BROKEN = "{ broken { id title createdAt } }"
# a null among list items, errors inside items of a nullable list, a directive on a list
SPARSE = """{ sparse { id later checked author { name } }
  again: sparse @include(if: true) { id requiredAuthor { id } } }"""


@pytest.mark.parametrize("query", [QUERY, BROKEN, RAISING, NULL_FOR_NON_NULL, SPARSE])
async def test_same_answer_as_strawberry(query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    context = {"authors": {"a1": Author(id=strawberry.ID("a1"), name="Ada")}}
    variables = {"tag": "t1", "loud": True}
    plain = await strawberry.Schema(query=Query).execute(
        query, context_value=context, variable_values=variables
    )
    fast_schema = FastSchema(query=Query)
    planned: list[Any] = []
    plan = AtriumExecutionContext._plan
    monkeypatch.setattr(
        AtriumExecutionContext, "_plan", lambda *a: planned.extend(plan(*a)) or plan(*a)
    )
    fast = await fast_schema.execute(query, context_value=context, variable_values=variables)
    assert fast_schema.execution_context_class is AtriumExecutionContext
    # the comparison is of the fast path: attributes read directly, resolvers called so
    assert any(field.attribute for field in planned), "no field was read directly"
    assert any(field.resolver for field in planned), "no resolver was called directly"
    assert fast.data == plain.data
    assert [(e.message, e.path) for e in fast.errors or []] == [
        (e.message, e.path) for e in plain.errors or []
    ]
    again = await fast_schema.execute(  # cached document
        query, context_value=context, variable_values=variables
    )
    assert again.data == plain.data


def test_resolvers_with_builtin_scalar_arguments_are_called_directly() -> None:
    fields = FastSchema(query=Query)._schema.type_map["Post"].fields  # type: ignore[union-attr]
    direct = {name for name, field in fields.items() if getattr(field.resolve, execution.DIRECT, 0)}
    # an enum or a list argument is Strawberry's to convert
    assert direct == {"author", "later", "shout", "tagged", "checked", "requiredAuthor"}
