"""Roster import: all-or-nothing, every problem located by file, line and field; vendor isolation over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from safetyops.api import create_app
from safetyops.auth.enums import Role
from safetyops.auth.models import User
from safetyops.auth.principal import SYSTEM
from safetyops.auth.service import create_token, create_user
from safetyops.errors import InvalidInput
from safetyops.workforce import service
from safetyops.workforce.models import Labeler, Vendor

API = "/api/v1"
HEADER = "username,name,status,languages,markets,skills,certifications,start_date,site\n"


def vendor_with_site(engine: Engine, name: str = "Acme") -> int:
    with Session(engine) as session, session.begin():
        vendor = service.create_vendor(session, SYSTEM, f"{name} {uuid.uuid4().hex[:6]}")
        service.create_site(session, SYSTEM, vendor.id, "Dhaka", "BD", "Asia/Dhaka")
        return int(vendor.id)


def run_import(engine: Engine, vendor_id: int, text: str, dry_run: bool = False) -> service.RosterResult:
    with Session(engine) as session, session.begin():
        vendor = session.get_one(Vendor, vendor_id)
        return service.import_roster(session, SYSTEM, vendor.id, text.encode(), "roster.csv", dry_run=dry_run)


def labelers_of(engine: Engine, vendor_id: int) -> dict[str, Labeler]:
    with Session(engine) as session:
        return {lab.external_id: lab for lab in session.scalars(select(Labeler).where(Labeler.vendor_id == vendor_id))}


def problems_of(engine: Engine, vendor_id: int, text: str) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(InvalidInput) as caught:
        run_import(engine, vendor_id, text)
    assert "nothing was stored" in caught.value.message
    assert all(p.file == "roster.csv" for p in caught.value.problems)
    return [(p.line, p.field, p.message) for p in caught.value.problems]


def test_import_creates_then_updates(engine: Engine) -> None:
    vid = vendor_with_site(engine)
    dry = run_import(engine, vid, HEADER + "rahim,,,en,GB,,,,\n", dry_run=True)
    assert dry.created == ["rahim"] and dry.dry_run and labelers_of(engine, vid) == {}
    result = run_import(
        engine,
        vid,
        HEADER + "rahim,Rahim U,training,bn;en,BD,hate;text,minors,2026-11-02,Dhaka\n" + 'sara,,,"en,fr",GB|FR,,,,\n',
    )
    assert result.created == ["rahim", "sara"] and result.updated == []
    labs = labelers_of(engine, vid)
    rahim, sara = labs["rahim"], labs["sara"]
    assert rahim.name == "Rahim U" and rahim.status == "training" and rahim.languages == ["bn", "en"]
    assert rahim.markets == ["BD"] and rahim.skills == ["hate", "text"] and rahim.certifications == ["minors"]
    assert rahim.start_date == date(2026, 11, 2) and rahim.site_id is not None and rahim.user_id is not None
    assert sara.status == "recruiting" and sara.languages == ["en", "fr"] and sara.markets == ["GB", "FR"]
    # second import: one change, one unchanged row, one new labeler; empty cells keep values
    again = run_import(engine, vid, HEADER + "rahim,,production,,,,,,\nsara,,,,,,,,\nnew1,,,en,GB,,,,\n")
    assert again.updated == ["rahim"] and again.unchanged == ["sara"] and again.created == ["new1"]
    labs = labelers_of(engine, vid)
    assert labs["rahim"].status == "production" and labs["rahim"].languages == ["bn", "en"]
    with Session(engine) as session:
        assert session.scalar(select(User.role).where(User.username == "new1")) == "labeler"


def test_every_bad_row_kind_is_located_and_nothing_is_stored(engine: Engine) -> None:
    vid = vendor_with_site(engine)
    rows = [
        "good,,training,en,GB,,,,\n",  # line 2: fine, but must not be stored
        "bad1,,retired,en,GB,,,,\n",  # 3: bad status
        "bad2,,,englsh,GB,,,,\n",  # 4: bad language (a name such as "english" is read as en)
        "bad3,,,en,XX,,,,\n",  # 5: bad market (a name or "uk" is read as GB)
        "bad4,,,en,GB,,,31/12/2026,\n",  # 6: bad date
        "bad5,,,en,GB,,,,Chittagong\n",  # 7: unknown site
        "good,,,en,GB,,,,\n",  # 8: duplicate username
        ",,,en,GB,,,,\n",  # 9: missing username
        "bad6,,,en,GB,,project:1:v1,,\n",  # 10: reserved certification
        "bad7,,,en\n",  # 11: wrong number of fields
    ]
    found = problems_of(engine, vid, HEADER + "".join(rows))
    where = {(line, f) for line, f, _ in found}
    assert where == {
        (3, "status"),
        (4, "languages"),
        (5, "markets"),
        (6, "start_date"),
        (7, "site"),
        (8, "username"),
        (9, "username"),
        (10, "certifications"),
        (11, None),
    }
    assert any("first on line 2" in m for _, _, m in found)
    assert labelers_of(engine, vid) == {}
    # a bad header, an empty file and bytes that are not UTF-8
    assert problems_of(engine, vid, "name,colour\nx,y\n")[0][0] == 1
    assert problems_of(engine, vid, "")[0][2].startswith("the file is empty")
    with pytest.raises(InvalidInput) as caught, Session(engine) as session:
        service.import_roster(session, SYSTEM, vid, b"username\n\xff\xfe\n", "r.csv")
    assert caught.value.problems[0].line == 2


def test_username_of_another_vendor_is_refused_without_naming_it(engine: Engine) -> None:
    a, b = vendor_with_site(engine, "A"), vendor_with_site(engine, "B")
    run_import(engine, a, HEADER + "shared,,,en,GB,,,,\n")
    found = problems_of(engine, b, HEADER + "shared,,,en,GB,,,,\n")
    assert found == [(2, "username", "username 'shared' is already taken by another account")]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Labeler).where(Labeler.vendor_id == b)) == 0


# --- over HTTP ----------------------------------------------------------------------------------------------------


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine)) as c:
        yield c


def token_for(engine: Engine, role: Role, vendor_id: int | None = None) -> dict[str, str]:
    with Session(engine) as session, session.begin():
        user = create_user(session, SYSTEM, f"u-{uuid.uuid4().hex[:8]}", role, vendor_id=vendor_id)
        return {"Authorization": f"Bearer {create_token(session, user, 't')[0]}"}


def test_roster_upload_and_vendor_isolation(client: TestClient, engine: Engine) -> None:
    a, b = vendor_with_site(engine, "A"), vendor_with_site(engine, "B")
    manager_a = token_for(engine, Role.VENDOR_MANAGER, a)
    ops = token_for(engine, Role.OPS_MANAGER)
    body = (HEADER + "ana,,training,en,GB,,,,Dhaka\n").encode()
    ok = client.post(f"{API}/vendors/{a}/roster", headers=manager_a, files={"file": ("roster.csv", body, "text/csv")})
    assert ok.status_code == 200, ok.text
    assert ok.json()["created"] == ["ana"]
    # B's roster via ops; then A's manager can neither import into B nor read B's labelers
    r = client.post(
        f"{API}/vendors/{b}/roster", headers=ops, files={"file": ("b.csv", HEADER + "bob,,,en,GB,,,,\n", "text/csv")}
    )
    assert r.status_code == 200
    denied = client.post(f"{API}/vendors/{b}/roster", headers=manager_a, files={"file": ("x.csv", body, "text/csv")})
    assert denied.status_code == 403 and denied.json()["error"] == "Forbidden"
    bob_id = labelers_of(engine, b)["bob"].id
    assert client.get(f"{API}/labelers/{bob_id}", headers=manager_a).status_code == 404
    names = {lab["external_id"] for lab in client.get(f"{API}/labelers", headers=manager_a).json()}
    assert names == {"ana"}
    assert client.get(f"{API}/vendors/{b}/roster", headers=manager_a).status_code == 403
    own = client.get(f"{API}/vendors/{a}/roster", headers=manager_a)
    assert own.status_code == 200 and [r["external_id"] for r in own.json()] == ["ana"]
    # a bad file answers 422 with located problems
    bad = client.post(
        f"{API}/vendors/{a}/roster",
        headers=manager_a,
        files={"file": ("bad.csv", HEADER + "zed,,sleeping,en,GB,,,,\n", "text/csv")},
    )
    assert bad.status_code == 422
    assert bad.json()["problems"] == [
        {
            "file": "bad.csv",
            "line": 2,
            "field": "status",
            "message": "'sleeping' is not a status; use one of recruiting, training, production, offboarded",
        }
    ]
    labeler = token_for(engine, Role.LABELER, a)
    assert client.post(f"{API}/vendors/{a}/roster", headers=labeler, files={"file": ("r.csv", body)}).status_code == 403


def test_language_and_market_names_are_read_as_codes_with_a_note(engine: Engine) -> None:
    vid = vendor_with_site(engine)
    result = run_import(engine, vid, HEADER + "rahim,,,Bengali;EN,Bangladesh|uk,,,,\n")
    lab = labelers_of(engine, vid)["rahim"]
    assert lab.languages == ["bn", "en"] and lab.markets == ["BD", "GB"]
    assert any("'Bengali' read as bn" in n for n in result.notes)
    assert any("'Bangladesh' read as BD" in n for n in result.notes)
    found = problems_of(engine, vid, HEADER + "sara,,,Bengalli,BD,,,,\n")
    assert [(line, f) for line, f, _ in found] == [(2, "languages")]
    assert "did you mean bn (Bengali)" in found[0][2]
