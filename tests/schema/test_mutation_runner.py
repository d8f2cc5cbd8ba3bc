"""The mutation runner: atomic fields, and a lost uniqueness race as a CONFLICT userError."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from atrium.core.auth import CredentialKind, Principal
from atrium.core.context import Context
from atrium.core.policy import Role, Scope
from atrium.models.identity import Organization
from atrium.schema.common import run_mutation
from tests.helpers import GraphQLClient, make_org, make_user, unique


class _Info:
    def __init__(self, context: Context) -> None:
        self.context = context


async def test_a_lost_uniqueness_race_is_a_conflict_and_writes_nothing(
    app: Any, client: GraphQLClient
) -> None:
    # given an organization whose slug a concurrent request already took
    owner = await make_user(client)
    org = await make_org(client, owner)
    state = app.state.atrium
    context = Context(
        db=state.db,
        settings=state.settings,
        services=state.services,
        principal=Principal(
            kind=CredentialKind.ACCESS_TOKEN,
            user_id=owner.id,
            scope=Scope.ADMIN,
            roles={org["id"]: Role.OWNER},
        ),
    )
    name = unique("Raced ")

    async def insert_duplicate(_: Context, session: Any) -> None:
        session.add(Organization(name=name, slug=org["slug"]))
        await session.flush()  # the unique index refuses it, as it would a racing request

    # when a mutation hits the unique constraint
    try:
        result, errors = await run_mutation(_Info(context), insert_duplicate)  # type: ignore[arg-type]
        await context.commit()
    finally:
        await context.close()
    # then it is a CONFLICT userError and nothing was written
    assert result is None and [e.code.value for e in errors] == ["CONFLICT"]
    async with state.db.sessionmaker() as session:
        assert (
            await session.scalars(select(Organization).where(Organization.name == name))
        ).all() == []
