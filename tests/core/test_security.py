"""Password hashing cost is configurable, never below OWASP's minimum in production."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from atrium.core import security
from atrium.core.config import Environment, Settings

STRONG_SECRET = "s" * 40


def test_hashes_made_at_one_cost_verify_at_another() -> None:
    security.configure_password_hashing(1, 1024)
    cheap = security.hash_password("correct horse")
    security.configure_password_hashing(2, 2048)
    try:
        assert security.verify_password("correct horse", cheap)
        assert not security.verify_password("wrong horse", cheap)
        assert "m=2048,t=2" in security.hash_password("x")
    finally:
        security.configure_password_hashing(1, 1024)


def test_unknown_user_is_checked_against_a_dummy_hash() -> None:
    assert security.verify_password("anything", None) is False


def test_the_dummy_hash_is_made_on_first_use_at_the_configured_cost() -> None:
    # given a process that set its hashing cost (importing made no hash: it takes 64 MiB)
    security.configure_password_hashing(2, 2048)
    try:
        assert security._dummy_hash is None
        # when an unknown user signs in
        assert security.verify_password("anything", None) is False
        # then the dummy hash exists, at that cost
        assert security._dummy_hash is not None and "m=2048,t=2" in security._dummy_hash
    finally:
        security.configure_password_hashing(1, 1024)


@pytest.mark.parametrize(("time_cost", "memory_kib"), [(1, 65536), (3, 1024)])
def test_production_refuses_weak_argon2(time_cost: int, memory_kib: int) -> None:
    with pytest.raises(ValidationError, match="OWASP"):
        Settings(
            env=Environment.PRODUCTION,
            secret_key=STRONG_SECRET,
            argon2_time_cost=time_cost,
            argon2_memory_kib=memory_kib,
        )
    Settings(env=Environment.PRODUCTION, secret_key=STRONG_SECRET)  # the defaults are fine
