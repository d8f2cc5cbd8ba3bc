"""Settings read from the environment (prefix ``ATRIUM_``).

Production refuses to start on unsafe defaults instead of quietly running with them:
a default or short secret would let anyone mint access tokens.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "atrium-development-secret-change-me"
MIN_SECRET_LENGTH = 32


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class GraphQLIDE(StrEnum):
    GRAPHIQL = "graphiql"
    NONE = "none"


class Settings(BaseSettings):
    """Every knob Atrium has. Field names map to ``ATRIUM_<NAME>`` variables."""

    model_config = SettingsConfigDict(env_prefix="ATRIUM_", env_file=".env", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite+aiosqlite:///./atrium.db"
    redis_url: str | None = None
    broadcast_url: str = "memory://"
    secret_key: str = DEFAULT_SECRET
    data_dir: Path = Path("./data")
    public_url: str = "http://127.0.0.1:8000"

    # Tokens
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    magic_link_ttl_seconds: int = 15 * 60
    login_code_ttl_seconds: int = 10 * 60
    device_code_ttl_seconds: int = 15 * 60
    device_poll_interval_seconds: int = 5
    invitation_ttl_seconds: int = 7 * 24 * 3600
    mailer: str = "development"
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536

    # GraphQL surface; None means "on unless production".
    graphql_ide: GraphQLIDE | None = None
    introspection: bool | None = None
    field_suggestions: bool | None = None

    # Protection
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_query_nodes: int = 50_000
    rate_limit_anonymous_per_hour: int = 60
    rate_limit_free_per_hour: int = 100
    rate_limit_pro_per_hour: int = 1_000
    rate_limit_ultimate_per_hour: int = 10_000

    # Durable jobs
    run_worker: bool = True  # run jobs inside the server process (set false with `atrium worker`)
    worker_concurrency: int = 4
    job_retry_base_seconds: float = 1.0  # first retry after ~1-2 s, doubling each attempt
    # How long a claimed job is a worker's; renewed while it runs. A job of a worker that
    # died is taken over once its lease lapses.
    job_lease_seconds: float = 30.0

    # WebSocket subscriptions
    ws_legacy_protocol: bool = False  # also accept the legacy `graphql-ws` subprotocol
    ws_max_subscriptions: int = 100  # operations per connection
    ws_keepalive_seconds: float = 15.0
    ws_init_timeout_seconds: float = 10.0
    ws_queue_size: int = 256  # outgoing frames per connection before the oldest are dropped
    # permessage-deflate costs ~40 KB per connection (zlib state); events are small JSON.
    ws_compression: bool = False
    ws_fanout: bool = True  # run identical subscriptions once; off only to measure (bench/)
    bus_queue_size: int = 256  # events per bus subscriber before the oldest are dropped
    sse_heartbeat_seconds: float = 15.0  # idle SSE streams send a `heartbeat` event

    git_timeout_seconds: float = 300.0  # one git command (a clone of a large repository)
    # Local paths and file:// URLs read the server's own disk; None: allowed except in production.
    allow_local_repositories: bool | None = None
    # Remote MCP servers on loopback, private or link-local addresses (SSRF); None: allowed
    # except in production.
    mcp_internal_urls: bool | None = None

    # Agent replies: where they come from unless an agent says otherwise. "offline" answers
    # without any model (and says so); "openai" is any OpenAI-compatible endpoint.
    llm_provider: str = "offline"
    llm_base_url: str | None = None  # e.g. https://api.openai.com/v1 or a local server
    llm_api_key: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = 60.0
    llm_history_messages: int = 50  # thread messages sent with each reply

    # Workflows: `bash` nodes run shell commands on the server; None: allowed except in
    # production (Archon runs them on the developer's machine, a shared server should not).
    workflow_bash: bool | None = None
    workflow_node_timeout_seconds: float = 600.0  # a bash or prompt node without `timeout`
    workflow_cancel_poll_seconds: float = 0.5  # how soon a cancel stops in-flight nodes
    workflow_output_limit: int = 262_144  # characters of a node's output kept
    routine_tick_seconds: float = 15.0  # how often schedules are checked

    # glibc malloc arenas of the process (atrium.core.malloc); 0 leaves glibc's default
    malloc_arena_max: int = 2

    log_level: str = "INFO"
    log_json: bool = True

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def mcp_internal_urls_allowed(self) -> bool:
        if self.mcp_internal_urls is not None:
            return self.mcp_internal_urls
        return not self.is_production

    @property
    def workflow_bash_enabled(self) -> bool:
        return self.workflow_bash if self.workflow_bash is not None else not self.is_production

    @property
    def ide_enabled(self) -> bool:
        if self.graphql_ide is not None:
            return self.graphql_ide is GraphQLIDE.GRAPHIQL
        return not self.is_production

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else not self.is_production

    @property
    def suggestions_enabled(self) -> bool:
        if self.field_suggestions is not None:
            return self.field_suggestions
        return not self.is_production

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.is_production and (
            self.secret_key == DEFAULT_SECRET or len(self.secret_key) < MIN_SECRET_LENGTH
        ):
            raise ValueError(
                "ATRIUM_SECRET_KEY must be set to a random value of at least "
                f"{MIN_SECRET_LENGTH} characters in production"
            )
        if self.is_production and (self.argon2_time_cost < 2 or self.argon2_memory_kib < 19456):
            raise ValueError("Argon2 below OWASP's minimum (t=2, 19 MiB) is refused in production")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
