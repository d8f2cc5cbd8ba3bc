"""The identity domain's events: what changed in an organization, on which topics.

Every event goes to the organization's topic (``organizationEvents``, webhooks); events
about one person also go to that user's topic (``userEvents``). Payloads carry IDs, not
copies: subscribers resolve the objects through loaders, with their own visibility.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from atrium.core.context import Context


def org_topic(organization_id: str) -> str:
    return f"org:{organization_id}"


def user_topic(user_id: str) -> str:
    return f"user:{user_id}"


async def emit(
    context: Context,
    session: AsyncSession,
    type: str,
    organization_id: str,
    subject_id: str,
    *,
    user_id: str | None = None,
    notify_user: bool = True,
    **ids: str | None,
) -> None:
    """Queue ``type`` on the organization's topic and, unless ``notify_user`` is off,
    on ``user_id``'s: a change fanned out to several organizations (a profile edit) tells
    the user once, not once per organization."""
    payload = {
        "subject_id": subject_id,
        "actor_id": context.principal.user_id,
        "user_id": user_id,
        **ids,
    }
    topics = [org_topic(organization_id)]
    if user_id is not None and notify_user:
        topics.append(user_topic(user_id))
    if ids.get("team_id"):
        topics.append(f"team:{ids['team_id']}")  # teamEvents: the team's own activity
    await context.emit(
        session,
        topics=topics,
        type=type,
        payload={k: v for k, v in payload.items() if v is not None},
        organization_id=organization_id,
    )
