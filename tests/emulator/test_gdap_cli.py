"""``cspsync emulator approve-gdap`` and ``age-gdap``: the customer's side of GDAP, and time, on the CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cspsync.emulator import Store
from cspsync.emulator.handlers import gdap
from cspsync.emulator.handlers.common import timestamp
from tests.cli import Run, runner

LITWARE = "2b7c9d1e-3f4a-4b5c-8d6e-7f8a9b0c1d2e"


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Run:
    return runner(capsys)


def _locked(db: Path, name: str = "fabrikam-litware-support") -> str:
    """A relationship with Litware locked for approval, as cspsync's apply leaves it."""
    with Store(db) as store:
        store.seed()
        now = dt.datetime.now(dt.UTC)
        roles = [{"roleDefinitionId": gdap.DEFAULT_ROLES[0]}]
        doc = gdap._new_relationship(name, "P730D", {"tenantId": LITWARE}, roles, "PT0S", now)
        doc["_lockedAt"] = timestamp(now)
        gdap._tables(store)
        gdap._save(store, doc)
        return str(doc["id"])


def test_approve_by_id_then_age_it(cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CSPSYNC_EMULATOR_GDAP_SECONDS")
    db = tmp_path / "e.db"
    relationship = _locked(db)
    approved = cli("emulator", "approve-gdap", relationship, "--db", str(db))
    assert approved.code == 0, approved.err
    assert approved.out == (
        f"approved admin relationship fabrikam-litware-support ({relationship}) for tenant {LITWARE}: active in 2 s.\n"
    )
    again = cli("emulator", "approve-gdap", relationship, "--db", str(db))
    assert again.code == 1
    assert again.err.startswith(f"Error: admin relationship {relationship} is ")  # approved or activating now
    ends = (dt.datetime.now(dt.UTC) + dt.timedelta(days=20)).date().isoformat()
    aged = cli("emulator", "age-gdap", "litware.ie", "--ends-in", "20", "--auto-extend", "off", "--db", str(db))
    assert aged.out == f"admin relationship fabrikam-litware-support ({relationship}) now ends on {ends}.\n"
    with Store(db) as store:
        (view,) = gdap.relationships_of(store, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5))
    assert (view["status"], view["autoExtendDuration"], view["endDateTime"][:10]) == ("active", "PT0S", ends)


def test_age_needs_an_approved_relationship_and_a_valid_delay(
    cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "e.db"
    _locked(db)
    refused = cli("emulator", "age-gdap", "fabrikam-litware-support", "--ends-in", "5", "--db", str(db))
    assert (refused.code, refused.err) == (
        1,
        "Error: No approved admin relationship matches fabrikam-litware-support.\n",
    )
    monkeypatch.setenv("CSPSYNC_EMULATOR_GDAP_SECONDS", "soon")
    bad = cli("emulator", "approve-gdap", "litware.ie", "--db", str(db))
    assert (bad.code, bad.err) == (1, "Error: CSPSYNC_EMULATOR_GDAP_SECONDS must be a number of seconds, not 'soon'\n")
