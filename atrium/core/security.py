"""Password hashing, token minting and JWT handling.

Argon2id for passwords (slow on purpose); SHA-256 for high-entropy secrets we mint
ourselves (API keys, refresh tokens, links), which need fast lookup, not stretching.
JWTs are HS256 only: ``jwt.decode`` is always given ``algorithms=[ALGORITHM]``, so a
token signed with ``none`` or any other algorithm is rejected.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ALGORITHM = "HS256"
ISSUER = "atrium"
_hasher = PasswordHasher()
# A valid hash to verify against when the user does not exist, so timing does not tell.
# Made on first use, not at import: hashing takes Argon2's whole memory cost (64 MiB by
# default) and ~140 ms, which every process (the server, each CLI command) paid at start
# and which stayed in the server's peak memory (bench/bench_nested_read.py).
_dummy_hash: str | None = None


def configure_password_hashing(time_cost: int, memory_kib: int) -> None:
    """Set Argon2id's cost for this process (settings ``ARGON2_*``).

    The default (t=3, 64 MiB, ~140 ms here) is for production; tests lower it, since a
    test suite that registers hundreds of users would otherwise spend minutes hashing.
    Hashes record their own parameters, so existing ones keep verifying either way.
    """
    global _hasher, _dummy_hash
    if (_hasher.time_cost, _hasher.memory_cost) == (time_cost, memory_kib):
        return
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    _dummy_hash = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("atrium-dummy-password")
    return _dummy_hash


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    expires_at: datetime


def encode_access_token(user_id: str, secret: str, ttl: timedelta) -> tuple[str, datetime]:
    now = datetime.now(UTC)
    expires_at = now + ttl
    payload: dict[str, Any] = {
        "sub": user_id,
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "typ": "access",
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM), expires_at


def decode_access_token(token: str, secret: str) -> AccessClaims | None:
    """Claims of a valid access token, or None for anything else (expired, forged, alg)."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.PyJWTError:
        return None
    if payload.get("typ") != "access" or not isinstance(payload.get("sub"), str):
        return None
    return AccessClaims(payload["sub"], datetime.fromtimestamp(payload["exp"], UTC))


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2
