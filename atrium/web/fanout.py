"""Run each distinct subscription once and fan its serialized results out.

Strawberry runs a subscription's selection once per event *per subscriber* (~175 µs
each): 1,000 listeners of one topic cost ~175 ms per event. Subscriptions with the same
document, variables and visibility (who the caller is, with which roles and scope) see
the same results, so the hub groups them: one bus subscription, one principal refresh
and one execution per event for the whole group, one ``orjson`` serialization, and then
one plain loop over the members. Each member splices the shared payload into its own
frame (a WebSocket connection keeps each operation's frame prefix, so nothing is
JSON-encoded per listener) and writes it at once, without a task (see
:mod:`atrium.web.ws`). Per listener and event that leaves a string concatenation, the
ASGI send and one ``write`` system call, which on loopback costs about as much as all
the Python around it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from atrium.core.auth import Principal
from atrium.core.context import Context
from atrium.core.graphql import format_error

if TYPE_CHECKING:
    from atrium.web.state import AppState

logger = logging.getLogger("atrium.subscriptions")


class Member(Protocol):
    """A receiver of a group's frames: one operation of one WebSocket connection (or SSE
    stream). Called from the group's loop for every member in turn, so these never wait:
    a member that cannot write at once queues (bounded) rather than hold up the others."""

    def send_next(self, operation_id: str, payload: str) -> None: ...

    def send_error(self, operation_id: str, errors: list[dict[str, Any]]) -> None: ...

    def send_complete(self, operation_id: str) -> None: ...


@dataclass(frozen=True)
class SubscriptionRequest:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


def visibility(principal: Principal) -> Hashable:
    """What can make two callers' results differ: identity, scope and roles."""
    return (
        principal.kind,
        principal.api_key_id,
        principal.user_id,
        principal.service_account_id,
        principal.scope,
        tuple(sorted(principal.roles.items())),
    )


@dataclass
class Group:
    key: Hashable
    request: SubscriptionRequest
    principal: Principal
    request_id: str
    members: dict[tuple[int, str], tuple[Member, str]] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None
    closed: bool = False
    events: int = 0


def _is_request_error(result: Any) -> bool:
    return isinstance(result, PreExecutionError) or (
        result.data is None and bool(result.errors) and all(not e.path for e in result.errors)
    )


class FanoutHub:
    def __init__(self, state: AppState) -> None:
        self.state = state
        self.groups: dict[Hashable, Group] = {}

    def join(
        self,
        member: Member,
        operation_id: str,
        request: SubscriptionRequest,
        principal: Principal,
        request_id: str,
    ) -> None:
        key = (
            request.query,
            orjson.dumps(request.variables or {}, option=orjson.OPT_SORT_KEYS),
            request.operation_name,
            visibility(principal),
            # Without fan-out (a benchmark baseline) every subscriber is its own group.
            None if self.state.settings.ws_fanout else (id(member), operation_id),
        )
        group = self.groups.get(key)
        if group is None or group.closed:
            group = Group(key, request, principal, request_id)
            self.groups[key] = group
            group.task = asyncio.create_task(self._run(group), name="atrium-fanout")
        group.members[(id(member), operation_id)] = (member, operation_id)

    def leave(self, member: Member, operation_id: str) -> None:
        for group in list(self.groups.values()):
            if group.members.pop((id(member), operation_id), None) is not None:
                if not group.members:
                    self._close(group)
                return

    def _close(self, group: Group) -> None:
        group.closed = True
        if self.groups.get(group.key) is group:
            del self.groups[group.key]
        if group.task is not None and group.task is not asyncio.current_task():
            group.task.cancel()

    @property
    def listener_count(self) -> int:
        return sum(len(group.members) for group in self.groups.values())

    async def _run(self, group: Group) -> None:
        state = self.state
        context = Context(
            db=state.db,
            settings=state.settings,
            principal=group.principal,
            request_id=group.request_id,
            services=state.services,
        )
        request = group.request
        completed = False
        try:
            stream = await state.schema.stream(
                request.query,
                variable_values=request.variables,
                context_value=context,
                operation_name=request.operation_name,
                allowed_operation_types=(OperationType.SUBSCRIPTION,),
            )
            async for item in stream:
                result: Any = item  # subscriptions never yield incremental-delivery frames
                errors = [format_error(e, group.request_id) for e in (result.errors or [])]
                if _is_request_error(result):
                    for member, operation_id in list(group.members.values()):
                        member.send_error(operation_id, errors)
                    group.members.clear()
                    return
                body: dict[str, Any] = {"data": result.data}
                if errors:
                    body["errors"] = errors
                payload = orjson.dumps(body).decode()  # once for the whole group
                group.events += 1
                for member, operation_id in list(group.members.values()):
                    member.send_next(operation_id, payload)
            completed = True
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("subscription group failed", extra={"request_id": group.request_id})
            internal = {
                "message": "Internal server error",
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": group.request_id},
            }
            for member, operation_id in list(group.members.values()):
                member.send_error(operation_id, [internal])
            group.members.clear()
        finally:
            if completed:
                for member, operation_id in list(group.members.values()):
                    member.send_complete(operation_id)
            self._close(group)
            with contextlib.suppress(Exception):
                await context.close()
