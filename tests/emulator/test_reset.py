"""``cspsync emulator reset`` starts a new world: its invitations ledger starts empty too (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import examples_workdir, runner


def test_reset_moves_the_old_worlds_invitations_ledger_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    examples_workdir(tmp_path, monkeypatch)
    cspsync = runner(capsys)
    litware = "examples/customers/litware.yaml"
    assert cspsync("apply", litware, "--yes").code == 0
    assert "invitation sent to it.admin@litware.ie" in cspsync("plan", litware).out

    reset = cspsync("emulator", "reset")

    assert reset.code == 0, reset.err
    assert "Moved the invitations ledger of the old world to" in reset.out
    assert not (tmp_path / ".cspsync" / "invitations.json").exists()
    assert len(list((tmp_path / ".cspsync").glob("invitations.before-reset-*.json"))) == 1
    plan = cspsync("plan", litware)
    assert "! request a reseller relationship: invitation to it.admin@litware.ie for litware.ie" in plan.out
