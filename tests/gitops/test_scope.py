"""``--changed-since REF`` picks exactly the changed customer files; ``--shard I/N`` partitions them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cspsync.declarations import load_repository
from cspsync.errors import ConfigError
from cspsync.gitops.portfolio import shard_of
from cspsync.gitops.scope import Shard, changed_since, select
from tests.cli import Run

from .conftest import git


def _branch_with_every_kind_of_change(root: Path) -> None:
    """On a branch: modified, added, renamed, deleted; then an uncommitted edit and an untracked file."""
    git(root, "checkout", "-q", "-b", "onboard")
    contoso = root / "customers/contoso-bikes.yaml"
    contoso.write_text(contoso.read_text().replace("quantity: 12", "quantity: 15"))
    added = (root / "customers/fourth-coffee.yaml").read_text()
    added = added.replace("name: fourth-coffee", "name: fifth-coffee")
    added = added.replace("Fourth Coffee SARL", "Fifth Coffee SARL")
    added = added.replace("domainPrefix: fourthcoffeefr", "domainPrefix: fifthcoffeefr")
    added = added.replace("northwind-fourthcoffee-", "northwind-fifthcoffee-")
    (root / "customers/fifth-coffee.yaml").write_text(added)
    git(root, "mv", "customers/litware.yaml", "customers/litware-ireland.yaml")
    git(root, "rm", "-q", "customers/woodgrove-bank.yaml")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Onboard Fifth Coffee, more seats for Contoso Bikes")
    adatum = root / "customers/adatum.yaml"
    adatum.write_text(adatum.read_text().replace("quantity: 40", "quantity: 45"))  # not committed


def test_changed_since_picks_added_modified_renamed_and_uncommitted_files(declarations: Path) -> None:
    _branch_with_every_kind_of_change(declarations)

    changes = changed_since("main")
    repo = load_repository([Path("customers")])
    scope = select(repo, [Path("customers")], changes=changes)

    assert sorted(str(d.path) for d in scope.declared) == [
        "customers/adatum.yaml",  # modified, not committed
        "customers/contoso-bikes.yaml",  # modified
        "customers/fifth-coffee.yaml",  # added
        "customers/litware-ireland.yaml",  # renamed
    ]
    assert [(d.path, d.name) for d in scope.deleted] == [("customers/woodgrove-bank.yaml", "woodgrove-bank")]
    assert (scope.full_scope, scope.strategy) == (False, "lookup")
    assert scope.notes == ("scope: 4 of 7 customer file(s), changed since main",)


def test_plan_changed_since_plans_only_those_files_and_lists_deleted_ones(cspsync: Run, declarations: Path) -> None:
    _branch_with_every_kind_of_change(declarations)

    result = cspsync("plan", "customers", "--changed-since", "main", "--out", "plan.json")

    assert result.code == 0, result.err
    assert "· 4 customer file(s) ·" in result.out
    assert "\ncontoso-bikes  (customers/contoso-bikes.yaml)" in result.out
    assert "tailspin" not in result.out
    assert (
        "unmanaged customer: woodgrove-bank customers/woodgrove-bank.yaml (no longer managed: its file was deleted "
        "since main; nothing is deleted)" in result.out
    )
    assert result.out.endswith(
        "scope: 4 of 7 customer file(s), changed since main\n"
        "Saved the plan to plan.json; apply exactly it with: cspsync apply plan.json\n"
    )
    saved = json.loads((declarations / "plan.json").read_text())
    assert saved["scope"] == [
        "customers/adatum.yaml",
        "customers/contoso-bikes.yaml",
        "customers/fifth-coffee.yaml",
        "customers/litware-ireland.yaml",
    ]
    assert {
        "customer": "woodgrove-bank",
        "kind": "customer",
        "name": "customers/woodgrove-bank.yaml",
        "detail": "no longer managed: its file was deleted since main; nothing is deleted",
    } in saved["unmanaged"]

    markdown = cspsync("plan", "customers", "--changed-since", "main", "--format", "markdown")
    assert markdown.code == 0
    assert markdown.out.startswith("<!-- cspsync-plan -->\n")
    assert markdown.out.endswith(
        "_scope\\: 4 of 7 customer file\\(s\\), changed since main_\n\n"
        "**No longer managed** (customer files deleted; nothing is deleted in Partner Center):\n\n"
        "- customers/woodgrove\\-bank\\.yaml (woodgrove\\-bank)\n"
    )


def test_a_changed_config_plans_every_customer(cspsync: Run, declarations: Path) -> None:
    git(declarations, "checkout", "-q", "-b", "policy")
    config = declarations / "cspsync.yaml"
    config.write_text(config.read_text().replace("allowSuspend: false", "allowSuspend: true"))

    result = cspsync("plan", "customers", "--changed-since", "main")

    assert result.code == 0, result.err
    assert "· 7 customer file(s) ·" in result.out
    assert "scope: cspsync.yaml changed since main, so every customer is planned\n" in result.out


def test_nothing_changed_plans_nothing(cspsync: Run) -> None:
    result = cspsync("plan", "customers", "--changed-since", "main", "--detailed-exitcode")

    assert result.code == 0, result.err
    assert "· 0 customer file(s) ·" in result.out
    # nothing was compared: the plan must not claim that Partner Center matches the declarations
    assert "No changes. No customer file is in scope, so nothing was compared with Partner Center." in result.out
    assert "Partner Center matches the declarations" not in result.out


def test_an_unknown_ref_is_an_error_that_says_what_to_fetch(cspsync: Run) -> None:
    result = cspsync("plan", "customers", "--changed-since", "origin/nope")

    assert result.code == 1
    assert result.err == (
        "Error: git does not know 'origin/nope'\n"
        "  hint: fetch it first (in GitHub Actions: actions/checkout with fetch-depth: 0)\n"
    )


def test_changed_since_outside_git_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    with pytest.raises(ConfigError, match="--changed-since needs a git repository"):
        changed_since("main", tmp_path)


def test_a_saved_plan_refuses_scope_flags(cspsync: Run, declarations: Path) -> None:
    assert cspsync("plan", "customers", "--out", "plan.json").code == 0

    result = cspsync("apply", "plan.json", "--shard", "1/2", "--yes")

    assert result.code == 1
    assert "--changed-since and --shard choose customers for a new plan" in result.err


# ------------------------------------------------------------------------------------------- shards


def test_shards_partition_the_customer_files_with_no_overlap_and_no_gap() -> None:
    paths = [f"customers/customer-{number:04d}.yaml" for number in range(500)]
    for count in (1, 2, 3, 7):
        shards = [Shard(index, count) for index in range(1, count + 1)]
        owners = {path: [str(s) for s in shards if s.holds(path)] for path in paths}
        assert all(len(owner) == 1 for owner in owners.values()), count
        sizes = [sum(1 for o in owners.values() if o == [str(s)]) for s in shards]
        assert min(sizes) > len(paths) / count * 0.7  # roughly even


def test_shard_of_is_a_stable_sha256_partition_of_paths() -> None:
    # pinned: a CI matrix must mean the same shard on every machine, Python version and cspsync release.
    # Re-pinned when the shard became the hash of the file's path (relative to cspsync.yaml's folder) instead of
    # its metadata.name: a shard must be known without reading the file.
    paths = ("customers/contoso-bikes.yaml", "customers/adatum.yaml", "customers/litware.yaml",
             "customers/tailspin-toys.yaml")  # fmt: skip
    assert [shard_of(path, 4) for path in paths] == [3, 2, 1, 3]
    assert [shard_of(path, 3) for path in paths] == [1, 1, 3, 2]


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "3", "1/2/3", ""])
def test_bad_shards_are_refused(text: str) -> None:
    with pytest.raises(ConfigError):
        Shard.parse(text)


def test_shard_plans_cover_every_customer_once_and_merge_into_the_full_plan(cspsync: Run, declarations: Path) -> None:
    scopes: list[list[str]] = []
    for index in (1, 2, 3):
        result = cspsync("plan", "customers", "--shard", f"{index}/3", "--out", f"shard-{index}.json")
        assert result.code == 0, result.err
        assert f"shard {index}/3: " in result.out
        scopes.append(json.loads((declarations / f"shard-{index}.json").read_text())["scope"])
    every = sorted(f"customers/{p.name}" for p in (declarations / "customers").glob("*.yaml"))
    assert sorted(s for scope in scopes for s in scope) == every  # no gap, no overlap

    assert cspsync("plan", "customers", "--out", "full.json").code == 0
    merged = cspsync(
        "merge-plans", "shard-1.json", "shard-2.json", "shard-3.json", "--format", "json", "--out", "merged.json"
    )
    assert merged.code == 0, merged.err
    full = json.loads((declarations / "full.json").read_text())
    together = json.loads(merged.out)
    assert [c["name"] for c in together["customers"]] == [c["name"] for c in full["customers"]]
    assert [a["id"] for a in together["actions"]] == [a["id"] for a in full["actions"]]
    assert together["scope"] == full["scope"]
    assert together["declarations_fingerprint"].startswith("merged:sha256:")
    assert together["money"]["totals"] == full["money"]["totals"]  # sums of the shards' priced actions

    markdown = cspsync("merge-plans", "shard-1.json", "shard-2.json", "shard-3.json", "--format", "markdown")
    assert markdown.out.startswith("<!-- cspsync-plan -->\n### cspsync plan\n")
    assert "**Plan: 2 to adopt, 19 to create, 0 to update, 0 to cancel, 11 waiting.**" in markdown.out


# merge-plans' refusals of incomplete, duplicated, mixed or overlapping sets: tests/gitops/test_shards.py
