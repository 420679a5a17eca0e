"""The state folder: one per repository, next to cspsync.yaml; never read from git; one lock per partner tenant.

(Two applies from different folders sharing the lock and the ledger run as real processes in
tests/faults/test_concurrent_apply.py.)
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from cspsync.errors import OutputError
from cspsync.workspace import LockedError, Workspace
from tests.cli import Run

from .conftest import FABRIKAM, git


@pytest.fixture
def beside_config(declarations: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No CSPSYNC_STATE_DIR: the state folder is the repository's own .cspsync/."""
    monkeypatch.delenv("CSPSYNC_STATE_DIR")
    return declarations / ".cspsync"


def test_the_state_folder_is_next_to_cspsync_yaml_whatever_the_working_folder(
    declarations: Path, beside_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(declarations / "customers")

    assert Workspace.from_environment().root == beside_config
    assert Workspace.from_environment(repository=declarations).root == beside_config


def test_a_committed_price_sheet_cache_is_refused(cspsync: Run, declarations: Path, beside_config: Path) -> None:
    """Version 0.1 read it: 300 seats (the SKU's most) at a forged GBP 0.01 cost GBP 3 a month and passed the
    budget."""
    contoso = declarations / "customers" / "contoso-bikes.yaml"
    contoso.write_text(contoso.read_text().replace("quantity: 12", "quantity: 300"))
    honest = cspsync("plan", "customers/contoso-bikes.yaml")
    assert "cost GBP 5,430.00" in honest.out and "OVER BUDGET" in honest.out
    cached = next((beside_config / "pricesheets" / "emulator").glob("GB-*.zip"))
    sheet = zipfile.ZipFile(cached).read("sheets.csv").decode()
    forged = sheet.replace('"P1Y","Monthly","GB","GBP","18.10"', '"P1Y","Monthly","GB","GBP","0.01"')
    assert forged != sheet
    cached.unlink()
    cached.with_suffix(".csv").write_text(forged)
    git(declarations, "add", "-f", ".cspsync/pricesheets")
    git(declarations, "commit", "-q", "-m", "a cheaper price sheet")

    result = cspsync("plan", "customers/contoso-bikes.yaml")

    assert result.code == 1
    assert "GBP 3.00" not in result.out
    assert result.err.startswith("Error: the state folder .cspsync holds files committed to git (")
    assert "(.cspsync/pricesheets/emulator/GB-updatedlicensebased-" in result.err
    assert "hint: remove them from git (git rm -r --cached" in result.err
    assert "Traceback" not in result.err


def test_a_committed_ledger_is_refused_by_apply(cspsync: Run, declarations: Path, beside_config: Path) -> None:
    beside_config.mkdir()
    (beside_config / "invitations.json").write_text('{"formatVersion": "1", "invitations": {}}\n')
    git(declarations, "add", "-f", ".cspsync/invitations.json")
    git(declarations, "commit", "-q", "-m", "nothing was ever sent")

    result = cspsync("apply", "customers", "--yes")

    assert result.code == 1
    assert "holds files committed to git (.cspsync/invitations.json)" in result.err
    assert "✓" not in result.out


def test_one_partner_center_lock_per_partner_tenant_across_state_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first, second = Workspace(tmp_path / "clone-1" / ".cspsync"), Workspace(tmp_path / "clone-2" / ".cspsync")

    with first.apply_lock("partner-center", partner_tenant=FABRIKAM):
        refused = pytest.raises(LockedError, match=r"apply against the partner-center is running \(pid ")
        with refused, second.apply_lock("partner-center", partner_tenant=FABRIKAM.upper()):
            pass  # pragma: no cover
        with second.apply_lock("partner-center", partner_tenant="9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"):
            pass  # another partner tenant applies meanwhile
    assert first.lock_path("partner-center", FABRIKAM) == (
        tmp_path / "cache" / "cspsync" / "locks" / f"apply-partner-center-{FABRIKAM}.lock"
    )


def test_a_partner_center_lock_that_cannot_be_made_is_the_users_to_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock of applies against Partner Center lives in the user's cache folder; one that cannot be made
    is said with its path and what to set, never a crash (it was an 'Internal error')."""
    (tmp_path / "cache").write_text("a file where the cache folder would be\n")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    lock = tmp_path / "cache" / "cspsync" / "locks" / f"apply-partner-center-{FABRIKAM}.lock"
    with (
        pytest.raises(OutputError) as caught,
        Workspace(tmp_path / ".cspsync").apply_lock("partner-center", partner_tenant=FABRIKAM),
    ):
        pass  # pragma: no cover
    assert caught.value.message.startswith(f"cannot open the apply lock {lock}: ")
    assert caught.value.hint == (
        "set XDG_CACHE_HOME to a folder you can write to (the lock is one per partner tenant there)"
    )


def test_renewals_and_history_read_the_state_apply_wrote_from_above_the_repository(
    cspsync: Run, declarations: Path, beside_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both used the working folder's .cspsync/: from above the repository (the README's layout, with
    cspsync.yaml in examples/), renewals read a new, empty emulator and said "nothing renews", and history
    found none of the apply records."""
    monkeypatch.chdir(declarations.parent)
    assert cspsync("apply", "declarations/customers", "--yes").code == 0

    renewals = cspsync("renewals", "declarations/customers", "--days", "400")
    history = cspsync("history", "contoso-bikes", "declarations/customers")

    assert renewals.code == 0, renewals.err
    assert "contoso-bikes/fabrikam-contosobikes-m365bp: renews; 12 × " in renewals.out
    assert "nothing renews" not in renewals.out
    assert history.code == 0, history.err
    assert "apply  contoso-bikes/create-customer: done" in history.out
    assert "(nothing recorded yet)" not in history.out
    assert not (declarations.parent / ".cspsync").exists()


def test_history_with_no_paths_from_above_the_repository_reads_the_records_of_the_file_it_found(
    cspsync: Run, declarations: Path, beside_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With PATHS ``.`` there is no cspsync.yaml in or above it: history read ./.cspsync/applies and said
    "(nothing recorded yet)", exit 0, after an apply had created the customer."""
    monkeypatch.chdir(declarations.parent)
    assert cspsync("apply", "declarations/customers", "--yes").code == 0

    history = cspsync("history", "contoso-bikes")

    assert history.code == 0, history.err
    assert history.out.startswith("History of contoso-bikes (declarations/customers/contoso-bikes.yaml)\n")
    assert "apply  contoso-bikes/create-customer: done" in history.out
    assert "(nothing recorded yet)" not in history.out


def test_history_refuses_to_choose_between_repositories_declaring_one_customer(
    cspsync: Run, declarations: Path, beside_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(declarations, declarations.parent / "fork", ignore=shutil.ignore_patterns(".git", ".cspsync"))
    monkeypatch.chdir(declarations.parent)

    result = cspsync("history", "contoso-bikes")

    assert result.code == 1
    assert result.out == ""
    assert result.err == (
        "Error: 2 customer files declare contoso-bikes:\n"
        "  declarations/customers/contoso-bikes.yaml\n"
        "  fork/customers/contoso-bikes.yaml\n"
        "  hint: name the folder of the one you mean: cspsync history contoso-bikes declarations/customers\n"
    )
    assert cspsync("history", "contoso-bikes", "fork/customers").code == 0


def test_history_with_no_cspsync_yaml_to_find_its_records_is_an_error(
    cspsync: Run, declarations: Path, beside_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A customer no file declares, searched where no cspsync.yaml is: there is no state folder to read."""
    monkeypatch.chdir(declarations.parent)

    result = cspsync("history", "nobody")

    assert result.code == 1
    assert result.err == (
        "Error: no cspsync.yaml in . or any folder above it\n"
        "  hint: name the repository's customer files in PATHS, its cspsync.yaml with --config, or the records' "
        "folder with --applies\n"
    )


def test_history_takes_the_repositorys_cspsync_yaml_as_every_other_command_does(
    cspsync: Run, declarations: Path, beside_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--config` was refused ("No such option"), so a customer whose file is gone could only be traced from
    inside the repository or by naming the records' folder."""
    monkeypatch.chdir(declarations.parent)
    assert cspsync("apply", "declarations/customers", "--yes").code == 0
    (declarations / "customers/contoso-bikes.yaml").unlink()

    history = cspsync("history", "contoso-bikes", "--config", "declarations/cspsync.yaml")
    missing = cspsync("history", "contoso-bikes", "--config", "elsewhere/cspsync.yaml")

    assert history.code == 0, history.err
    assert history.out.splitlines()[1] == (
        "note: no customer file declares contoso-bikes now; only apply records are shown"
    )
    assert "apply  contoso-bikes/create-customer: done" in history.out
    assert missing.code == 1
    assert missing.err == (
        "Error: config file elsewhere/cspsync.yaml does not exist\n  hint: pass --config FILE or leave it out\n"
    )
