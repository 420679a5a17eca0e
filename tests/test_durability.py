"""What must survive a power cut is fsynced before it takes its final name: apply records, the invitations
ledger (both through ``write_json_atomic``), a saved plan and a new tenant's encrypted credentials. The
observation's memory is not: losing it costs a full read (a cut-off one is refused as no memory:
tests/gitops/test_incremental_plan.py), and a plan waited for its flush on a busy disk (1.5 s for 7 MB at
10,000 customers, a minute and more once).

The rest of the suite runs with ``os.fsync`` a no-op (tests/conftest.py); these tests get the real one
and watch every call.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from cspsync import secrets
from cspsync.observe.memory import Memory, load_memory, memory_path, save_memory
from cspsync.plan.model import Plan
from cspsync.workspace import Workspace, write_json_atomic

GOLDEN = Path(__file__).parent / "render" / "golden"


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every fsync: (what was synced, its size then); real fsync underneath."""
    calls: list[tuple[str, int]] = []
    real = os.fsync

    def watched(fd: int) -> None:
        calls.append((os.readlink(f"/proc/self/fd/{fd}"), os.fstat(fd).st_size))
        real(fd)

    monkeypatch.setattr(os, "fsync", watched)
    return calls


@pytest.mark.fsync
def test_a_json_document_is_fsynced_in_full_before_it_replaces_the_old_one(
    tmp_path: Path, synced: list[tuple[str, int]]
) -> None:
    target = tmp_path / "records" / "apply.json"
    write_json_atomic(target, {"old": True})
    synced.clear()
    write_json_atomic(target, {"actions": ["a" * 100]})
    assert [(Path(name).parent, size) for name, size in synced] == [(target.parent, target.stat().st_size)]
    assert Path(synced[0][0]).name.startswith(".tmp-")
    assert not Path(synced[0][0]).exists()  # renamed onto apply.json


@pytest.mark.fsync
def test_a_saved_plan_is_fsynced_in_full_before_it_replaces_the_one_saved_before(
    tmp_path: Path, synced: list[tuple[str, int]]
) -> None:
    """``plan --out`` / ``merge-plans --out``: the reviewed plan that apply will run is durable, whole."""
    plan = Plan.from_json((GOLDEN / "plan-examples.json").read_text(encoding="utf-8"))
    target = tmp_path / "plan.json"
    target.write_text("the plan saved before\n", encoding="utf-8")
    plan.write_json(target)
    assert [(Path(name).parent, size) for name, size in synced] == [(tmp_path, target.stat().st_size)]
    assert target.read_text(encoding="utf-8") == plan.to_json()


@pytest.mark.fsync
def test_credentials_are_fsynced_then_their_folder_is(tmp_path: Path, synced: list[tuple[str, int]]) -> None:
    credentials = secrets.TenantCredentials(
        customer="contoso-bikes",
        tenant_id="00000000-0000-0000-0000-000000000001",
        domain="contosobikes.onmicrosoft.com",
        user_name="admin@contosobikes.onmicrosoft.com",
        password=SecretStr("Never-Shown-42!"),
        created_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
    )
    path = secrets.store(tmp_path / "credentials", credentials, [secrets.DEMO_RECIPIENT])
    (encrypted, size), (folder, _) = synced
    assert Path(encrypted).parent == path.parent and size == path.stat().st_size
    assert Path(folder) == path.parent


@pytest.mark.fsync
def test_the_observations_memory_is_replaced_whole_but_not_flushed(
    tmp_path: Path, synced: list[tuple[str, int]]
) -> None:
    workspace = Workspace(tmp_path / "state")
    save_memory(workspace, Memory("emulator", observed_at="2026-12-01T10:00:00Z", view="plan"))
    save_memory(workspace, Memory("emulator", observed_at="2026-12-01T11:00:00Z", view="plan"))
    assert synced == []
    assert load_memory(workspace, "emulator", "plan").observed_at == "2026-12-01T11:00:00Z"
    assert not list(memory_path(workspace, "emulator", "plan").parent.glob(".tmp-*"))
