"""Values of a server's auth fields, encrypted at rest with a key derived from the
server's secret key (Fernet: AES-128-CBC + HMAC-SHA256). They are decrypted only to start
or reach the server; the API shows their names, never their values."""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"atrium/mcp-secrets/v1\0" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(secret_key: str, values: dict[str, str]) -> str | None:
    if not values:
        return None
    return _fernet(secret_key).encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def decrypt(secret_key: str, token: str | None) -> dict[str, str]:
    """The stored values; empty when none were given or the key changed since."""
    if not token:
        return {}
    try:
        return dict(json.loads(_fernet(secret_key).decrypt(token.encode())))
    except (InvalidToken, ValueError):
        return {}
