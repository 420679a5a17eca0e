"""What the apply job relies on from cspsync: no invitation without the handed-over ledger, and the new
tenants' credentials in a folder the workflow can find (and git ignores)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import Run

from .conftest import git
from .workflows import runner, script


@pytest.fixture
def in_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")


def test_without_the_ledger_a_ci_apply_sends_no_invitation(
    cspsync: Run, in_github_actions: None, tmp_path: Path
) -> None:
    """Version 0.1 planned every waiting invitation as not sent and sent it again."""
    result = cspsync("apply", "customers", "--yes")

    assert result.code == 1
    assert (
        "✗ litware/request-invitation: failed — not sending litware's invitation: the invitations ledger "
        f"{tmp_path / 'state' / 'invitations.json'} is missing, so every waiting invitation may have been sent already"
    ) in result.out
    assert "✓ contoso-bikes/create-customer: done" in result.out  # everything else is applied
    assert "Error: 2 action(s) failed: litware/request-invitation, woodgrove-bank/request-invitation" in result.err
    assert not (tmp_path / "state" / "outbox").exists()
    assert not (tmp_path / "state" / "invitations.json").exists()


def test_with_a_new_ledger_a_ci_apply_sends_the_invitations(
    cspsync: Run, in_github_actions: None, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "invitations.json").write_text('{"formatVersion": "1", "invitations": {}}\n')  # new-ledger writes it

    result = cspsync("apply", "customers", "--yes")

    assert result.code == 0, result.err
    assert "✓ litware/request-invitation: done" in result.out
    assert set(json.loads((state / "invitations.json").read_text())["invitations"]) == {"litware", "woodgrove-bank"}


def test_a_custom_credentials_folder_is_ignored_by_git_and_found_by_the_workflow(
    cspsync: Run, declarations: Path, tmp_path: Path
) -> None:
    """Version 0.1 wrote it unignored (it showed in `git status`) and the workflow never uploaded it."""
    config = declarations / "cspsync.yaml"
    config.write_text(config.read_text().replace("directory: .cspsync/credentials", "directory: secrets/tenants"))
    git(declarations, "commit", "-q", "-am", "credentials in secrets/tenants")

    assert cspsync("apply", "customers", "--yes").code == 0
    folder = declarations / "secrets" / "tenants"
    assert len(list(folder.glob("*.age"))) == 3
    assert git(declarations, "status", "--porcelain") == ""
    assert cspsync("credentials", "directory").out == f"{folder.resolve()}\n"

    gh = runner(tmp_path)
    gh.cspsync()
    gh.ok(script("cspsync-apply.yml", "Find where the new tenants' credentials go"), declarations)
    assert gh.outputs() == {"folder": str(folder.resolve())}


@pytest.mark.parametrize("command", [("apply", "customers", "--yes"), ("invitations", "remind", "customers")])
def test_a_job_serialised_on_another_partner_tenant_writes_nothing(
    cspsync: Run, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("CSPSYNC_PARTNER_TENANT_ID", "PARTNER_TENANT_ID")  # the workflow's placeholder

    result = cspsync(*command)

    assert result.code == 1
    assert result.err.startswith(
        "Error: CSPSYNC_PARTNER_TENANT_ID is 'PARTNER_TENANT_ID', but cspsync.yaml's partner.tenantId is "
        "6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b\n  hint: set CSPSYNC_PARTNER_TENANT_ID and the concurrency group"
    )
    assert "✓" not in result.out


def test_the_apply_step_applies_the_merge_and_leaves_a_portal_change_to_drift(
    cspsync: Run, declarations: Path, tmp_path: Path
) -> None:
    """The Apply step itself, run with the real cspsync as GitHub runs it: the first run applies nothing and says
    why; full-apply (by hand) reconciles everything; a merge then applies its own change and nothing else."""
    gh = runner(tmp_path)
    gh.cspsync()
    env = {"CSPSYNC_STATE_DIR": str(tmp_path / "state")}
    apply = script("cspsync-apply.yml", "Apply")

    first = gh.run(apply, declarations, env)
    assert first.returncode == 1
    assert "::error title=cspsync apply::no apply record was handed over" in first.stdout
    full = gh.run(apply, declarations, {**env, "FULL_APPLY": "true"})
    assert full.returncode == 0, full.stdout + full.stderr
    assert "✓ contoso-bikes/create-customer: done" in full.stdout

    from cspsync.emulator import Store

    store = Store(tmp_path / "state" / "emulator.db")
    contoso = store.tenant_by_domain("contosobikes.onmicrosoft.com")
    assert contoso is not None
    store.set_subscription_fields(contoso.id, "fabrikam-contosobikes-m365bp", quantity=10)  # in the portal
    store.close()
    alpine = declarations / "customers" / "alpine-ski-house.yaml"
    alpine.write_text(alpine.read_text().replace("quantity: 15", "quantity: 16"))
    git(declarations, "commit", "-q", "-am", "Alpine Ski House: 16 seats (#2)")

    merged = gh.run(apply, declarations, env)

    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "✓ alpine-ski-house/update-subscription/northwind-alpineski-m365e3/quantity: done" in merged.stdout
    assert "contoso-bikes" not in merged.stdout  # the portal's seat reduction is not bought back
    drift = cspsync("drift", "customers")
    assert drift.code == 2 and "quantity: 10 → 12" in drift.out
