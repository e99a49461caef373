"""Settings read from SAFETYOPS_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'safetyops.db'}"


class Settings(BaseSettings):
    """Runtime settings; every field can be set as SAFETYOPS_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="SAFETYOPS_", extra="ignore")

    database_url: str = ""
    # Largest accepted text content of one item, and of one free-text answer, in characters.
    max_content_chars: int = 100_000
    max_answer_chars: int = 10_000
    # Largest accepted metadata/context blob per item, in bytes of JSON.
    max_context_bytes: int = 64_000
    # How long an authenticated token stays cached in a server process, in seconds.
    token_cache_seconds: float = 30.0
    # How often (seconds) a server process sweeps expired leases of a project back to the queue.
    lease_sweep_seconds: float = 1.0
    # Database connection pool size per server process.
    pool_size: int = 20
    # PostgreSQL: threads per server process that run the labeler's next and submit. A few suffice: each
    # keeps a statement in flight, and more concurrent picks only contend for the same queue head.
    queue_threads: int = 4

    def resolved_database_url(self) -> str:
        return self.database_url or _default_database_url()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
