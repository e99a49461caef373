"""What the browser tests and `bench/browser_workbench.py` share: a seeded world, a real server, Chromium.

Chromium is Debian's (`/usr/bin/chromium`, installed by `scripts/browser-deps`), driven by Playwright for Python;
Playwright's own browser download is never used. Not part of the installed package.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from safetyops.auth.enums import Role
from safetyops.auth.models import User
from safetyops.auth.principal import SYSTEM
from safetyops.auth.service import create_user, hash_password
from safetyops.db.engine import make_engine
from safetyops.db.migrate import upgrade
from safetyops.demo import DEMO_TAXONOMY
from safetyops.projects.imports import import_items
from safetyops.projects.schemas import ProjectSpec
from safetyops.projects.service import create_project
from safetyops.workforce.service import create_labeler, create_vendor
from tests.support.loadtest import ServerProcess, start_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = os.environ.get("SAFETYOPS_CHROMIUM", "/usr/bin/chromium")
# As root on a machine with no network but the package registries: no sandbox (root), no GPU, and none of
# Chromium's own background connections (refused here, many at a time, and slow to time out).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 768}  # the smallest screen the console is made for
PASSWORD = "browser-test-password"
# Generous: on a machine busy with other test suites a server can take tens of seconds to import and migrate.
SERVER_TIMEOUT = 120.0

# Item text that would run script if it were not escaped; the page sets no window flag if it is.
EVIL_TEXTS = (
    '<img src=x onerror="window.__xss = (window.__xss || 0) + 1">',
    "<script>window.__xss = (window.__xss || 0) + 1</script>",
    '</div><svg onload="window.__xss = 1"></svg>{{ 7*7 }}',
)
CHINESE_TEXT = "这条评论是在骚扰别人吗？请根据指南判断。"
BENGALI_TEXT = "এই মন্তব্যটি কি কাউকে হয়রানি করছে? নির্দেশিকা অনুযায়ী বিচার করুন।"


def chromium_problem() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found: run scripts/browser-deps (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed: run scripts/bootstrap test"
    return None


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless. Playwright's `launch` gives every browser a new empty user-data-dir of its
    own (a temporary folder it removes on close), so no profile is shared between runs."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


@dataclass
class BrowserWorld:
    """Who and what the seeded database holds: every role's username, the labelers, and a project for each
    kind of test (so that tests sharing one server do not take each other's items)."""

    db_url: str
    staff: dict[str, str] = field(default_factory=dict)  # role value -> username
    labelers: dict[str, str] = field(default_factory=dict)  # purpose -> username
    projects: dict[str, int] = field(default_factory=dict)  # purpose -> project id
    vendor: str = ""

    def engine(self) -> Engine:
        return make_engine(self.db_url, pool_size=2)


def _items_file(folder: Path, name: str, rows: list[dict[str, Any]]) -> Path:
    path = folder / f"{name}.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def seed(db_url: str, *, keyboard_items: int = 60) -> BrowserWorld:
    """Migrate an empty database and fill it with a small world: a user of every staff role, a vendor with its
    manager and labelers, and projects with items. Each labeler has one job:

    - `keys` labels the `keyboard` project (`keyboard_items` plain English items);
    - `escape` sees the `escaping` project, whose items' text and context are markup that must stay text;
    - `scripts` sees the `scripts` project: Chinese text with a Bengali context turn, then Bengali text;
    - `viewer` opens pages of the `viewer` project for layout and accessibility checks;
    - `bengali` (reads Bengali, no language or time zone chosen yet) labels the `bengali` project's Bengali items.
    """
    engine = make_engine(db_url, pool_size=2)
    upgrade(engine)
    world = BrowserWorld(db_url)
    # Everyone signs in with PASSWORD: hash it once (argon2 takes most of a second per hash on a busy machine).
    password_hash = hash_password(PASSWORD)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        admin = create_user(session, SYSTEM, "admin", Role.ADMIN)
        users = [admin]
        world.staff[Role.ADMIN.value] = admin.username
        for role, name in (
            (Role.OPS_MANAGER, "ops"),
            (Role.QA_REVIEWER, "qa"),
            (Role.POLICY_EXPERT, "policy"),
            (Role.REQUESTER, "requester"),
        ):
            users.append(create_user(session, SYSTEM, name, role))
            world.staff[role.value] = name
        vendor = create_vendor(session, SYSTEM, "Browser BPO", ["EU"])
        world.vendor = vendor.name
        users.append(create_user(session, SYSTEM, "vendor.lead", Role.VENDOR_MANAGER, vendor_id=vendor.id))
        world.staff[Role.VENDOR_MANAGER.value] = "vendor.lead"
        for purpose, languages in (
            ("keys", ["en"]),
            ("escape", []),
            ("scripts", ["zh", "bn"]),
            ("viewer", []),
            ("bengali", ["bn"]),
        ):
            labeler = create_labeler(session, SYSTEM, vendor.id, purpose, languages=languages, name=purpose)
            users.append(session.get_one(User, labeler.user_id))
            world.labelers[purpose] = purpose
        for user in users:
            user.password_hash = password_hash
        for purpose in ("keyboard", "escaping", "scripts", "viewer", "bengali"):  # made-up items: no data credit
            spec = ProjectSpec(
                name=f"Browser {purpose}",
                description=f"Items for the {purpose} browser tests.",
                taxonomy=DEMO_TAXONOMY,
                overlap=1,
                vendors=[vendor.name],
            )
            world.projects[purpose] = create_project(session, SYSTEM, spec).id
    rows = {
        "keyboard": [
            {"external_id": f"k{i:03d}", "text": f"Keyboard item number {i}: you are useless", "language": "en"}
            for i in range(keyboard_items)
        ],
        "escaping": [
            {
                "external_id": f"evil{i}",
                "text": evil,
                "language": "en",
                "context": [{"speaker": "<b>agent</b>", "text": EVIL_TEXTS[(i + 1) % len(EVIL_TEXTS)]}],
                "priority": len(EVIL_TEXTS) - i,
            }
            for i, evil in enumerate(EVIL_TEXTS)
        ],
        "scripts": [
            {
                "external_id": "zh1",
                "text": CHINESE_TEXT,
                "language": "zh",
                "context": [{"speaker": "user", "text": BENGALI_TEXT}],
                "priority": 2,
            },
            {"external_id": "bn1", "text": BENGALI_TEXT, "language": "bn", "priority": 1},
        ],
        "bengali": [
            {"external_id": f"bn{i}", "text": f"{BENGALI_TEXT} ({i + 1})", "language": "bn", "market": "BD"}
            for i in range(6)
        ],
        "viewer": [
            {
                "external_id": f"v{i}",
                "text": "A longer item, so that the page wraps it as a person would see it. " * 3,
                "language": "en",
                "context": [{"speaker": "agent", "text": "How can I help?"}],
            }
            for i in range(10)
        ],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for purpose, items in rows.items():
            import_items(engine, world.projects[purpose], _items_file(Path(tmp), purpose, items))
    engine.dispose()
    return world


@contextmanager
def running_server(db_url: str, log_path: str, *, workers: int = 1) -> Iterator[ServerProcess]:
    """`safetyops serve` on a free port against `db_url`, stopped (SIGTERM, then SIGKILL) afterwards."""
    server = start_server(db_url, workers=workers, log_path=log_path, timeout=SERVER_TIMEOUT)
    try:
        yield server
    finally:
        server.kill(signal.SIGTERM)


def login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login page of the server the page's context points at (its `base_url`), typing and
    pressing Enter as a person would; returns on the home page."""
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#password").press("Enter")
    page.wait_for_url(lambda url: urlsplit(url).path == "/")


def labels_of(engine: Engine, username: str) -> dict[str, dict[str, Any]]:
    """The answers a labeler's labels hold, by the item's external id (read from the database)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT i.external_id, l.answer FROM labels l JOIN items i ON i.id = l.item_id "
                "JOIN labelers w ON w.id = l.labeler_id JOIN users u ON u.id = w.user_id WHERE u.username = :u"
            ),
            {"u": username},
        )
        return {str(r[0]): r[1] if isinstance(r[1], dict) else json.loads(r[1]) for r in rows}
