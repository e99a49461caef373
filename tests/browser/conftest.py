"""Browser tests: a real `safetyops serve` process on a seeded database, driven from Debian's headless Chromium.

One server per database kind and one Chromium serve all the tests of this package (starting them costs seconds);
each test gets a fresh browser context (no cookies, 1366×768, English) through `page`. They are package-scoped,
not session-scoped, so that they stop when the last browser test has run: Playwright's sync API keeps an asyncio
loop running in the thread while it is started, and tests that run after it on the same worker and call
`asyncio.run` (the load tests) would fail. Tests that change data use their
own labeler and project of the seeded world (`tests/support/browser.py`), so they can run in any order.

Without Chromium or Playwright the tests skip with a message, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import _PG_PROBLEM, _skip_or_fail_pg
from tests.support.browser import VIEWPORT, BrowserWorld, chromium_problem, launch_chromium, running_server, seed
from tests.support.databases import fresh_database
from tests.support.loadtest import ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here is marked `browser`, and all of them run in one xdist worker (one server, one Chromium)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


def skip_or_fail(problem: str | None) -> None:
    """Skip the test for a missing piece of the machine, with the message, or fail it under CI=true (where
    `scripts/bootstrap test` must have installed everything)."""
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser tests must run under CI: {problem}")
        pytest.skip(problem)


def _need_chromium() -> None:
    skip_or_fail(chromium_problem())


class Servers:
    """The browser tests' servers, one per database kind, each on its own freshly seeded database. Started in
    background threads (seeding and a server's start are mostly waiting on another process), so that the
    SQLite and PostgreSQL servers and Chromium start at the same time; `get` waits for one."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="browser-server")
        self.started: dict[str, Future[tuple[ServerProcess, BrowserWorld]]] = {}
        self.cleanup = ExitStack()
        self.seeding = threading.Lock()

    def start(self, kind: str) -> None:
        if kind not in self.started:
            self.started[kind] = self.pool.submit(self._start, kind)

    def _start(self, kind: str) -> tuple[ServerProcess, BrowserWorld]:
        if kind == "sqlite":
            url = f"sqlite:///{self.folder / 'browser.db'}"
        else:
            url = self.cleanup.enter_context(fresh_database("postgresql"))
        with self.seeding:  # Alembic's `context` and `op` are process-wide: one migration at a time
            world = seed(url)
        server = self.cleanup.enter_context(running_server(url, str(self.folder / f"{kind}-server.log")))
        return server, world

    def get(self, kind: str) -> tuple[ServerProcess, BrowserWorld]:
        self.start(kind)
        return self.started[kind].result()

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.cleanup.close()


def _wants_postgresql(session: pytest.Session) -> bool:
    return any(
        "any_server" in getattr(item, "fixturenames", ()) and "postgresql" in item.name for item in session.items
    )


@pytest.fixture(scope="package")
def servers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    _need_chromium()  # seeding and serving cost seconds; not worth it when no browser will look
    pool = Servers(tmp_path_factory.mktemp("browser"))
    pool.start("sqlite")
    if _wants_postgresql(request.session) and _PG_PROBLEM is None:
        pool.start("postgresql")
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver for the browser tests (one at a time: its sync API does not nest)."""
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright, servers: Servers) -> Iterator[Browser]:
    """Headless Chromium for the browser tests (launched while the servers start)."""
    chromium = launch_chromium(playwright)
    yield chromium
    chromium.close()


@pytest.fixture(scope="package")
def sqlite_server(servers: Servers) -> tuple[ServerProcess, BrowserWorld]:
    return servers.get("sqlite")


@pytest.fixture(scope="package")
def postgresql_server(servers: Servers) -> tuple[ServerProcess, BrowserWorld]:
    _skip_or_fail_pg()
    return servers.get("postgresql")


@pytest.fixture
def world(sqlite_server: tuple[ServerProcess, BrowserWorld]) -> BrowserWorld:
    """The seeded world behind `server` (SQLite)."""
    return sqlite_server[1]


@pytest.fixture
def server(sqlite_server: tuple[ServerProcess, BrowserWorld]) -> ServerProcess:
    """The SQLite server: most browser tests check the pages, which do not depend on the database."""
    return sqlite_server[0]


@pytest.fixture(params=["sqlite", "postgresql"])
def any_server(request: pytest.FixtureRequest) -> tuple[ServerProcess, BrowserWorld]:
    """The server and its world on each database, for tests whose result lives in the database."""
    result: tuple[ServerProcess, BrowserWorld] = request.getfixturevalue(f"{request.param}_server")
    return result


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies) at 1366×768 in English, whose relative URLs go to the
    test's server (`any_server` when the test uses it, else `server`). Script errors on the page fail the test;
    a failing test leaves `failure.png` and `failure.html` in its pytest tmp dir."""
    if "any_server" in request.fixturenames:
        target: ServerProcess = request.getfixturevalue("any_server")[0]
    else:
        target = request.getfixturevalue("server")
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", base_url=target.base_url)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    if request.node.stash.get(_FAILED, False):
        try:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            (tmp_path / "failure.html").write_text(page.content(), encoding="utf-8")
            print(f"browser test failed at {page.url}: screenshot {tmp_path / 'failure.png'}")
        except Exception as exc:  # the page may be gone; the failure itself is what matters
            print(f"no screenshot of the failure: {exc}")
    context.close()
    assert errors == [], f"script errors on the page: {errors}"


def save_screenshot(page: Page, name: str, *, full_page: bool = False) -> Path | None:
    """Keep a screenshot of what `page` shows as `docs/screenshots/<name>.png` when SAFETYOPS_SCREENSHOTS=1
    (`SAFETYOPS_SCREENSHOTS=1 .venv/bin/pytest tests/browser -n 0`); otherwise do nothing."""
    if os.environ.get("SAFETYOPS_SCREENSHOTS") != "1":
        return None
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise ValueError(f"screenshot name '{name}': use lower-case letters, digits and dashes")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
