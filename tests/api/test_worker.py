"""A server worker process as uvicorn builds it (`api.app_factory`): what its start-up does."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from safetyops.api import app_factory
from safetyops.config import get_settings


def test_a_server_worker_freezes_what_it_loaded_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At start-up the worker freezes every object it has loaded, so that the cyclic garbage collector's full
    collections (~90 ms over the loaded app) no longer stall its requests."""
    monkeypatch.setenv("SAFETYOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'server.db'}")
    get_settings.cache_clear()
    gc.unfreeze()
    try:
        app = app_factory()
        assert gc.get_freeze_count() == 0
        with TestClient(app) as client:  # runs the lifespan
            assert gc.get_freeze_count() > 10_000
            assert client.get("/api/v1/health").status_code == 200
    finally:
        gc.unfreeze()
        get_settings.cache_clear()


def test_a_worker_loads_the_heavy_libraries_only_when_a_request_needs_them() -> None:
    """SciPy's special functions and statistics (staffing, intervals), openpyxl (XLSX plans) and pyarrow (Parquet)
    are imported on first use, not when the app is: a worker that never serves them does not carry them."""
    heavy = ("scipy.special", "scipy.stats", "openpyxl", "pyarrow")
    code = f"import sys, safetyops.api; print([m for m in {heavy!r} if m in sys.modules])"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
