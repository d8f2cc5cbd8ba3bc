"""Demo data for `make serve` and the `bootstrap` command for scripts and operators.

Both go through the same services the API uses, so demo rows are real rows.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.auth import CredentialKind, Principal
from atrium.core.config import Settings
from atrium.core.context import Context
from atrium.core.db import Database
from atrium.core.errors import UserErrors
from atrium.core.policy import Role, Scope
from atrium.core.security import hash_password
from atrium.engines.architecture.model import (
    ArchitectureSpec,
    Component,
    ComponentKind,
    DataClassification,
    Link,
    Protocol,
    TrustZone,
)
from atrium.models.architecture import AnalysisKind
from atrium.models.identity import ApiKeyKind, Membership, Organization, User
from atrium.resolvers.architecture import analyses, designs
from atrium.resolvers.auth.accounts import find_user_by_email, normalize_email, validate_email
from atrium.resolvers.identity import api_keys, organizations, teams
from atrium.resolvers.identity.api_keys import ApiKeyExpiry

DEMO_ORG_SLUG = "demo"
DEMO_PASSWORD = "atrium-demo"
DEMO_USERS = [
    ("ada@demo.atrium.dev", "Ada Lovelace", Role.OWNER),
    ("grace@demo.atrium.dev", "Grace Hopper", Role.ADMIN),
    ("alan@demo.atrium.dev", "Alan Turing", Role.MEMBER),
    ("edsger@demo.atrium.dev", "Edsger Dijkstra", Role.VIEWER),
]


def _context(
    db: Database, settings: Settings, user_id: str, organization_id: str | None
) -> Context:
    roles = {organization_id: Role.OWNER} if organization_id else {}
    return Context(
        db=db,
        settings=settings,
        principal=Principal(
            kind=CredentialKind.ACCESS_TOKEN, user_id=user_id, scope=Scope.ADMIN, roles=roles
        ),
    )


async def seed_demo(settings: Settings) -> str | None:
    """Create the demo org, users and teams; return its admin key, or None if present."""
    db = Database(settings.database_url)
    try:
        async with db.sessionmaker() as session:
            if await session.scalar(
                select(Organization.id).where(Organization.slug == DEMO_ORG_SLUG)
            ):
                return None
            users = []
            for email, name, _ in DEMO_USERS:
                user = User(email=email, name=name, password_hash=hash_password(DEMO_PASSWORD))
                session.add(user)
                users.append(user)
            await session.flush()
            owner = users[0]
            context = _context(db, settings, owner.id, None)
            org = await organizations.create_organization(
                context, session, name="Demo Organization", slug=DEMO_ORG_SLUG
            )
            for user, (_, _, role) in zip(users[1:], DEMO_USERS[1:], strict=True):
                session.add(Membership(organization_id=org.id, user_id=user.id, role=role))
            platform = await teams.create_team(
                context,
                session,
                organization_id=org.id,
                name="Platform",
                slug=None,
                description="Runs the shared infrastructure",
            )
            await teams.create_team(
                context,
                session,
                organization_id=org.id,
                name="Product",
                slug=None,
                description="Builds the user-facing app",
            )
            await session.flush()
            await teams.add_team_member(
                context,
                session,
                team_id=platform.id,
                user_id=users[2].id,
                role=teams.TeamRole.MEMBER,
            )
            await _demo_architecture(context, session, org.id)
            _, secret = await api_keys.create_api_key(
                context,
                session,
                organization_id=org.id,
                name="Demo admin key",
                kind=ApiKeyKind.SECRET,
                scope=Scope.ADMIN,
                expires_in=ApiKeyExpiry.NEVER,
                service_account_id=None,
            )
            await session.commit()
            return secret
    finally:
        await db.dispose()


async def _demo_architecture(context: Context, session: AsyncSession, org_id: str) -> None:
    """A three-tier web shop with its cost estimate and threat model already run."""
    zones = (TrustZone("internet", "Internet", 0), TrustZone("dmz", "DMZ", 1))
    spec = ArchitectureSpec(
        trust_zones=(*zones, TrustZone("data", "Data", 3)),
        components=(
            Component(
                "cdn",
                "CDN",
                ComponentKind.CDN,
                trust_zone="dmz",
                public=True,
                requests_per_user_per_day=40,
                payload_kb=150,
            ),
            Component(
                "lb",
                "Load balancer",
                ComponentKind.LOAD_BALANCER,
                trust_zone="dmz",
                public=True,
                requests_per_user_per_day=120,
                payload_kb=20,
            ),
            Component(
                "api",
                "Shop API",
                ComponentKind.SERVICE,
                "m6i.large",
                replicas=2,
                trust_zone="dmz",
                autoscaling=True,
                requests_per_user_per_day=120,
            ),
            Component(
                "cache",
                "Session cache",
                ComponentKind.CACHE,
                trust_zone="data",
                requests_per_user_per_day=80,
            ),
            Component(
                "db",
                "Orders DB",
                ComponentKind.DATABASE,
                storage_gb=200,
                trust_zone="data",
                requests_per_user_per_day=60,
                technology="postgresql",
            ),
        ),
        links=(
            Link("lb", "api"),
            Link("api", "cache", Protocol.TCP),
            Link("api", "db", Protocol.SQL, DataClassification.CONFIDENTIAL, encrypted=False),
        ),
    )
    architecture = await designs.create_architecture(
        context,
        session,
        organization_id=org_id,
        title="Web shop",
        description="A demo three-tier shop: CDN, API behind a load balancer, cache, database.",
        spec=spec,
        summary="Demo design",
    )
    for kind in (AnalysisKind.COST, AnalysisKind.THREATS):
        await analyses.request_analysis(
            context, session, architecture_id=architecture.id, kind=kind, wait=True
        )


async def bootstrap(settings: Settings, *, email: str, org_name: str) -> str:
    """Create (or reuse) a user, create an org they own and an ADMIN key; return the key."""
    email = normalize_email(email)
    if validate_email(email):
        raise ValueError(f"not a valid email address: {email!r}")
    db = Database(settings.database_url)
    try:
        async with db.sessionmaker() as session:
            user = await find_user_by_email(session, email)
            if user is None:
                user = User(email=email, name=email.split("@")[0])
                session.add(user)
                await session.flush()
            context = _context(db, settings, user.id, None)
            try:
                org = await organizations.create_organization(
                    context, session, name=org_name, slug=None
                )
                _, secret = await api_keys.create_api_key(
                    context,
                    session,
                    organization_id=org.id,
                    name="Bootstrap admin key",
                    kind=ApiKeyKind.SECRET,
                    scope=Scope.ADMIN,
                    expires_in=ApiKeyExpiry.NEVER,
                    service_account_id=None,
                )
            except UserErrors as errors:
                raise ValueError(str(errors)) from None
            await session.commit()
            return secret
    finally:
        await db.dispose()
