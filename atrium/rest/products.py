"""The five products whose legacy REST APIs Atrium serves, and how each speaks.

A product fixes what the generated layer cannot read from an operation: its route
prefix, the casing of its JSON, its own error code words and validation status, and
the envelope its list endpoints use (DESIGN.md, REST compatibility layer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Casing(StrEnum):
    SNAKE = "snake"  # cloud_provider, created_at
    CAMEL = "camel"  # agentType, conversationId


# Atrium's codes (top-level ErrorCode and userError codes) → HTTP status.
STATUS_BY_CODE: dict[str, int] = {
    "UNAUTHENTICATED": 401,
    "INVALID_CREDENTIALS": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "BAD_USER_INPUT": 400,
    "QUERY_TOO_COMPLEX": 400,
    "CONFLICT": 409,
    "ALREADY_EXISTS": 409,
    "LAST_OWNER": 409,
    "INVALID_TRANSITION": 409,
    "RATE_LIMITED": 429,
    "TOO_MANY_ATTEMPTS": 429,
    "INTERNAL_SERVER_ERROR": 500,
}
VALIDATION_CODES = frozenset({"INVALID", "REQUIRED", "TOO_LONG"})


@dataclass(frozen=True)
class Product:
    name: str
    casing: Casing
    validation_status: int  # status of a validation userError (400 or 422)
    words: dict[str, str] = field(default_factory=dict)  # Atrium code → the seed's word
    list_key: str = "data"  # where list endpoints put their items
    total_key: str = "total_count"
    upper_words: bool = False  # codes without a word of their own stay upper case
    lower_enums: bool = True  # enum values as the seeds write them: "llm_proxy", "running"

    @property
    def prefix(self) -> str:
        return f"/rest/{self.name}"

    def status_for(self, code: str) -> int:
        if code in VALIDATION_CODES:
            return self.validation_status
        return STATUS_BY_CODE.get(code, 400)

    def word_for(self, code: str) -> str:
        if code in self.words:
            return self.words[code]
        return code if self.upper_words else code.lower()


_UPPER_WORDS = {
    "NOT_FOUND": "RESOURCE_NOT_FOUND",
    "UNAUTHENTICATED": "UNAUTHORIZED",
    "INVALID_CREDENTIALS": "UNAUTHORIZED",
    "BAD_USER_INPUT": "INVALID_REQUEST",
    "INVALID": "INVALID_REQUEST",
    "REQUIRED": "INVALID_REQUEST",
    "TOO_LONG": "INVALID_REQUEST",
    "ALREADY_EXISTS": "CONFLICT",
    "LAST_OWNER": "CONFLICT",
    "INTERNAL_SERVER_ERROR": "INTERNAL_ERROR",
}
_LOWER_WORDS = {
    "UNAUTHENTICATED": "unauthorized",
    "INVALID_CREDENTIALS": "unauthorized",
    "BAD_USER_INPUT": "invalid_request",
    "INVALID": "validation_failed",
    "REQUIRED": "validation_failed",
    "TOO_LONG": "validation_failed",
    "ALREADY_EXISTS": "conflict",
    "LAST_OWNER": "conflict",
    "INTERNAL_SERVER_ERROR": "internal_error",
}

PRODUCTS: dict[str, Product] = {
    # 000: upper-case words ("RESOURCE_NOT_FOUND"), 400 for bad input
    "architecto": Product("architecto", Casing.SNAKE, 400, _UPPER_WORDS, upper_words=True),
    # 001: lower-case words ("not_found"), 422 "Validation failed"
    "archastro": Product("archastro", Casing.SNAKE, 422, _LOWER_WORDS),
    # 002: camelCase JSON ("agentType"), `data` and `total`
    "archestra": Product("archestra", Casing.CAMEL, 400, _LOWER_WORDS, "data", "total"),
    # 003: limit/offset lists with `total_count`, 409 for the last owner
    "octokraft": Product("octokraft", Casing.SNAKE, 400, _LOWER_WORDS, "items", "total_count"),
    # 004: camelCase ids ("conversationId")
    "archon": Product("archon", Casing.CAMEL, 400, _LOWER_WORDS),
}
