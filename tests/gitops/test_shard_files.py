"""``--shard I/N`` chooses files by path, so a shard reads only its own; ``merge-plans`` checks across the shards
what each could check only within its files (two files claiming one customer). Until 0.1 the shard of a file
was the hash of its metadata.name, so every shard parsed all 100,000 files to find its 5,000."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from cspsync.declarations import load_repository
from cspsync.gitops.portfolio import Portfolio, _relative_names, relative_name, shard_of
from cspsync.gitops.scope import Shard, select
from tests.cli import Run

from .conftest import git


def _other_name(stem: str, count: int, avoid: int) -> str:
    """A file name in customers/ whose shard of ``count`` is not ``avoid``."""
    return next(
        f"{stem}-{n}.yaml" for n in range(100) if shard_of(f"customers/{stem}-{n}.yaml", count) != avoid
    )  # fmt: skip


def _plan(cspsync: Run, shard: str, out: str, *more: str) -> dict[str, Any]:
    result = cspsync("plan", "customers", "--shard", shard, "--out", out, *more)
    assert result.code in (0, 1), result.err  # 1: blocked actions, the plan is saved all the same
    assert "Traceback" not in result.err
    document: dict[str, Any] = json.loads(Path(out).read_text())
    return document


def test_every_customer_file_lands_in_exactly_one_shard(declarations: Path) -> None:
    portfolio = Portfolio.find([Path("customers")], None)
    every = sorted(f"customers/{p.name}" for p in (declarations / "customers").glob("*.yaml"))
    assert sorted(portfolio.names) == every
    for count in (1, 2, 3, 7):
        parts = [portfolio.shard(index, count) for index in range(1, count + 1)]
        assert sorted(str(f) for part in parts for f in part.files) == every, count  # no gap, no overlap
        assert len({part.portfolio for part in parts}) == 1  # one fingerprint of the whole portfolio


def test_names_are_relative_to_the_folder_of_cspsync_yaml_however_the_files_were_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    monkeypatch.chdir(tmp_path)
    files = [Path("repo/customers/a.yaml"), Path("repo/customers/eu/b.yaml"), root / "c.yaml",
             Path("repo/customers/../d.yaml"), tmp_path / "outside" / "e.yaml", Path("f.yaml"),
             Path("/g.yaml")]  # fmt: skip

    names = _relative_names(files, str(root))

    assert names == tuple(relative_name(path, str(root)) for path in files)
    assert names[:5] == ("customers/a.yaml", "customers/eu/b.yaml", "c.yaml", "d.yaml", "../outside/e.yaml")


def test_shards_partition_many_paths_evenly() -> None:
    paths = [f"customers/customer-{number:04d}.yaml" for number in range(500)]
    for count in (2, 3, 7):
        shards = [Shard(index, count) for index in range(1, count + 1)]
        owners = {path: [s.index for s in shards if s.holds(path)] for path in paths}
        assert all(len(owner) == 1 for owner in owners.values()), count
        sizes = [sum(1 for o in owners.values() if o == [s.index]) for s in shards]
        assert min(sizes) > len(paths) / count * 0.7


def test_the_shard_of_a_file_does_not_depend_on_the_checkout_folder_or_the_working_folder(
    declarations: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def seen(portfolio: Portfolio) -> tuple[tuple[str, ...], str, list[list[str]]]:
        shards = [[p.name for p in portfolio.shard(index, 3).files] for index in (1, 2, 3)]
        return portfolio.names, portfolio.fingerprint(), shards

    here = seen(Portfolio.find([Path("customers")], None))
    elsewhere = tmp_path / "runner" / "work" / "checkout"
    shutil.copytree(declarations, elsewhere, ignore=shutil.ignore_patterns(".git"))
    monkeypatch.chdir(tmp_path)
    there = seen(Portfolio.find([elsewhere / "customers"], None))
    monkeypatch.chdir(elsewhere / "customers")
    inside = seen(Portfolio.find([Path(".")], None))

    assert here == there == inside
    assert here[0][0] == "customers/adatum.yaml"  # relative to cspsync.yaml's folder, '/' separators


def test_a_shard_never_opens_the_files_of_other_shards(cspsync: Run, declarations: Path) -> None:
    """A broken file fails only the shard that holds it; every other shard plans without reading it, although
    the file still counts in the fingerprint of the portfolio that all the shards share."""
    before = _plan(cspsync, "1/2", "before.json")["shard"]
    broken = _other_name("broken", 2, avoid=0)  # any name: its shard is where it lands
    holder = shard_of(f"customers/{broken}", 2)
    other = 3 - holder
    (declarations / "customers" / broken).write_text("apiVersion: cspsync.io/v1\nspec: [unclosed\n")

    planned = cspsync("plan", "customers", "--shard", f"{other}/2", "--out", "other.json")
    assert planned.code == 0, planned.err
    assert broken not in planned.out + planned.err
    failed = cspsync("plan", "customers", "--shard", f"{holder}/2")
    assert failed.code == 1 and "Traceback" not in failed.err
    assert f"customers/{broken}:2:" in failed.err and "invalid YAML" in failed.err
    unsharded = cspsync("validate", "customers")
    assert unsharded.code == 1 and f"customers/{broken}:2:" in unsharded.out + unsharded.err

    after = json.loads(Path("other.json").read_text())["shard"]
    assert isinstance(before, dict) and isinstance(after, dict)
    assert after["portfolio"] != before["portfolio"]  # a file was added to the portfolio
    assert [c["file"] for c in after["claims"]] == sorted(
        f"customers/{p.name}" for p in (declarations / "customers").glob("*.yaml")
        if shard_of(f"customers/{p.name}", 2) == other and p.name != broken
    )  # fmt: skip


def test_merge_plans_refuses_two_shards_whose_files_claim_one_customer(cspsync: Run, declarations: Path) -> None:
    """Each shard validates only its own files, so two files for one tenant in two shards pass both shards:
    merge-plans refuses the set, naming both files (and the unsharded validate names them too)."""
    contoso = declarations / "customers" / "contoso-bikes.yaml"
    again = _other_name("contoso-again", 2, avoid=shard_of("customers/contoso-bikes.yaml", 2))
    text = contoso.read_text().replace("name: contoso-bikes", "name: contoso-again")
    (declarations / "customers" / again).write_text(text.replace("Contoso Bikes Ltd", "Contoso Again Ltd"))
    for index in (1, 2):
        _plan(cspsync, f"{index}/2", f"plan-{index}.json")
    mine = shard_of(f"customers/{again}", 2)
    theirs = 3 - mine

    result = cspsync("merge-plans", "plan-1.json", "plan-2.json", "--format", "markdown")

    assert result.code == 1 and result.out == ""
    assert result.err.startswith(
        "Error: merge-plans refuses these shard plans: two customer files claim one customer (each customer, and "
        "tenant, has exactly one file):\n"
    ), result.err
    first, second = sorted([("customers/contoso-bikes.yaml", theirs), (f"customers/{again}", mine)], key=lambda x: x[1])
    assert (
        f"  tenant domain 'contosobikes.onmicrosoft.com' is declared in {first[0]} (plan-{first[1]}.json) and in "
        f"{second[0]} (plan-{second[1]}.json)\n"
    ) in result.err
    assert "Traceback" not in result.err
    validated = cspsync("validate", "customers")
    assert validated.code == 1
    assert (
        f"customers/contoso-bikes.yaml:24:19: spec.tenant.domainPrefix: domain contosobikes.onmicrosoft.com is "
        f"already declared in customers/{again}:24:19"
    ) in validated.out


def test_apply_of_a_shard_validates_every_file_before_it_acts(cspsync: Run, declarations: Path) -> None:
    """An apply acts, so ``apply --shard`` still reads every file: a second file for Contoso Bikes' tenant in the
    other shard stops the apply of either shard, and nothing is done."""
    contoso = declarations / "customers" / "contoso-bikes.yaml"
    holder = shard_of("customers/contoso-bikes.yaml", 2)
    again = _other_name("contoso-again", 2, avoid=holder)
    text = contoso.read_text().replace("name: contoso-bikes", "name: contoso-again")
    (declarations / "customers" / again).write_text(text.replace("Contoso Bikes Ltd", "Contoso Again Ltd"))

    for index in (1, 2):
        result = cspsync("apply", "customers", "--shard", f"{index}/2", "--yes")
        assert result.code == 1 and "Traceback" not in result.err
        assert "domain contosobikes.onmicrosoft.com is already declared in" in result.err, result.err
        assert "Applied" not in result.out


def test_merge_plans_refuses_a_shard_plan_without_the_keys_of_its_customers(cspsync: Run, declarations: Path) -> None:
    for index in (1, 2):
        _plan(cspsync, f"{index}/2", f"plan-{index}.json")
    document = json.loads(Path("plan-2.json").read_text())
    document["shard"]["claims"] = []  # as a plan edited, or made by a cspsync that did not list them
    Path("plan-2.json").write_text(json.dumps(document))

    result = cspsync("merge-plans", "plan-1.json", "plan-2.json")

    assert result.code == 1
    assert result.err.startswith("Error: plan-2.json does not list the natural keys of customers/"), result.err
    assert "so merge-plans cannot check that no other shard's file claims the same customer" in result.err


def test_a_deleted_file_is_reported_by_the_one_shard_its_path_was_in(cspsync: Run, declarations: Path) -> None:
    git(declarations, "checkout", "-q", "-b", "offboard")
    git(declarations, "rm", "-q", "customers/woodgrove-bank.yaml")
    git(declarations, "commit", "-q", "-m", "Woodgrove Bank leaves")
    plans = [_plan(cspsync, f"{i}/2", f"plan-{i}.json", "--changed-since", "main") for i in (1, 2)]
    gone = [plan["unmanaged"] for plan in plans]
    holder = shard_of("customers/woodgrove-bank.yaml", 2)

    assert [len(g) for g in gone] == [1 if i == holder else 0 for i in (1, 2)]
    assert gone[holder - 1][0]["name"] == "customers/woodgrove-bank.yaml"
    merged = cspsync("merge-plans", "plan-1.json", "plan-2.json", "--format", "json")
    assert merged.code == 0, merged.err
    assert [u["name"] for u in json.loads(merged.out)["unmanaged"]] == ["customers/woodgrove-bank.yaml"]


def test_a_shard_is_not_the_whole_portfolio_so_it_reports_no_unmanaged_customer(declarations: Path) -> None:
    """A live customer that no file of this shard declares may be declared by another shard's file: a shard
    never calls it unmanaged (the full plan and `cspsync drift` do)."""
    repo = load_repository([Path("customers")])
    for index in (1, 2):
        scope = select(repo, [Path("customers")], shard=Shard(index, 2))
        assert (scope.full_scope, scope.strategy) == (False, "list")
    assert select(repo, [Path("customers")]).full_scope is True


def test_the_portfolio_fingerprint_changes_with_any_file_name_or_byte(tmp_path: Path) -> None:
    """merge-plans trusts one fingerprint for "the shards saw the same declarations": a renamed file, an edited
    byte, or bytes moved from one file to the next (names and contents are length-prefixed) all change it."""
    root = tmp_path / "repo"
    (root / "customers").mkdir(parents=True)
    (root / "cspsync.yaml").write_text("target: emulator\n")

    def fingerprint(files: dict[str, bytes]) -> str:
        for old in (root / "customers").iterdir():
            old.unlink()
        for name, content in files.items():
            (root / "customers" / name).write_bytes(content)
        return Portfolio.find([root / "customers"], None).fingerprint()

    base = fingerprint({"a.yaml": b"name: ab\n", "b.yaml": b"name: c\n"})
    assert fingerprint({"a.yaml": b"name: ab\n", "b.yaml": b"name: c\n"}) == base
    variants = [
        {"a.yaml": b"name: ab\n", "c.yaml": b"name: c\n"},  # renamed
        {"a.yaml": b"name: ab\n", "b.yaml": b"name: d\n"},  # edited
        {"a.yaml": b"name: a", "b.yaml": b"b\nname: c\n"},  # bytes moved across the boundary
        {"a.yaml": b"name: ab\n"},  # removed
    ]
    assert len({base, *(fingerprint(files) for files in variants)}) == 1 + len(variants)


def test_files_found_in_a_folder_are_named_as_the_folder_was_given(declarations: Path) -> None:
    """Found as text (a Path per file was a third of finding 100,000 files), named as ``Path`` names them:
    problems, plans and shards show the same file names as before."""
    from cspsync.declarations.repository import customer_file_names, customer_files

    for given, first in (
        (Path("."), "customers/adatum.yaml"),
        (Path("./customers"), "customers/adatum.yaml"),
        (Path("customers/"), "customers/adatum.yaml"),
        (Path("customers/../customers"), "customers/../customers/adatum.yaml"),
        (declarations / "customers", str(declarations / "customers" / "adatum.yaml")),
    ):
        names = customer_file_names([given])
        assert names[0] == first, given
        assert [str(path) for path in customer_files([given])] == names
        assert names == [str(Path(text)) for text in names]  # no "./" and no doubled separator


def test_the_fingerprint_reads_files_larger_than_one_read(tmp_path: Path) -> None:
    """Files are read 64 KiB at a time: a byte changed beyond the first read, or at its edge, changes it."""
    root = tmp_path / "repo"
    (root / "customers").mkdir(parents=True)
    (root / "cspsync.yaml").write_text("target: emulator\n")
    prints = set()
    for content in (b"#" * 65_536, b"#" * 65_535 + b"!", b"#" * 65_536 + b"!", b"#" * 200_000, b"#" * 199_999 + b"!"):
        (root / "customers" / "big.yaml").write_bytes(content)
        prints.add(Portfolio.find([root / "customers"], None).fingerprint())
    assert len(prints) == 5
