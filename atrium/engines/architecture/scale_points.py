"""Scale points: the user counts (daily active users) an analysis is run at.

Both the cost and the scalability engines take them, and both must refuse the same
inputs with the same field name, so the rules live here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from atrium.engines.architecture.catalog import AnalysisInputError

MAX_SCALE_POINTS = 10
MAX_USERS = 10_000_000


class InvalidScalePoints(AnalysisInputError):
    def __init__(self, message: str) -> None:
        super().__init__(("scale_points",), message)


def validate_scale_points(scale_points: Sequence[int]) -> tuple[int, ...]:
    """Reject rather than repair: a silently re-ordered chart would mislabel its points."""
    points = tuple(scale_points)
    if not points:
        raise InvalidScalePoints("Give at least one scale point.")
    if len(points) > MAX_SCALE_POINTS:
        raise InvalidScalePoints(f"Give at most {MAX_SCALE_POINTS} scale points.")
    for users in points:
        if isinstance(users, bool) or not isinstance(users, int):
            raise InvalidScalePoints(f"Scale point {users!r} is not a whole number of users.")
        if not 1 <= users <= MAX_USERS:
            raise InvalidScalePoints(f"Scale point {users} is not between 1 and {MAX_USERS:,}.")
    if any(b <= a for a, b in pairwise(points)):
        raise InvalidScalePoints("Scale points must increase, without repeats.")
    return points


__all__ = ["MAX_SCALE_POINTS", "MAX_USERS", "InvalidScalePoints", "validate_scale_points"]
