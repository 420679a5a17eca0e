"""``merge-plans`` joins the shard plans of one CI matrix, and only a whole set: every shard 1..N of one N
once, planned from one commit, the same declarations and one CI run. Version 0.1 merged whatever it was
given, so a missing shard made a comment that read as the whole plan with customers left out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli import Result, Run

from .conftest import git


def _shard(cspsync: Run, shard: str, out: str) -> dict[str, object]:
    result = cspsync("plan", "customers", "--shard", shard, "--out", out)
    assert result.code == 0, result.err
    document: dict[str, object] = json.loads(Path(out).read_text())
    return document


def _refused(result: Result, *lines: str) -> None:
    err = result.err
    assert result.code == 1, err
    assert err.startswith("Error: merge-plans refuses this set of shard plans:\n"), err
    for line in lines:
        assert line in err, err
    assert "Traceback" not in err
    assert "hint: plan every shard again from one commit in one run" in err


def test_each_shard_plan_records_which_shard_of_which_set_it_is(cspsync: Run, declarations: Path) -> None:
    one, two = _shard(cspsync, "1/2", "plan-1.json"), _shard(cspsync, "2/2", "plan-2.json")
    head = git(declarations, "rev-parse", "HEAD").strip()

    assert isinstance(one["shard"], dict) and isinstance(two["shard"], dict)
    assert {k: one["shard"][k] for k in ("index", "count", "commit", "run")} == {
        "index": 1,
        "count": 2,
        "commit": head,
        "run": None,
    }
    assert two["shard"]["index"] == 2 and two["shard"]["portfolio"] == one["shard"]["portfolio"]
    assert str(one["shard"]["portfolio"]).startswith("sha256:")
    assert cspsync("plan", "customers", "--out", "full.json").code == 0
    assert json.loads(Path("full.json").read_text())["shard"] is None
    assert cspsync("merge-plans", "plan-1.json", "plan-2.json").code == 0


def test_a_missing_shard_is_refused(cspsync: Run, declarations: Path) -> None:
    _shard(cspsync, "1/3", "plan-1.json")
    _shard(cspsync, "3/3", "plan-3.json")

    result = cspsync("merge-plans", "plan-1.json", "plan-3.json", "--format", "markdown")

    _refused(result, "shard 2/3 is missing: the merged plan would leave out their customers; add the plan of "
             "`cspsync plan PATHS --shard 2/3 --out FILE`")  # fmt: skip
    assert result.out == ""  # no comment that reads as the whole plan


def test_a_shard_given_twice_is_refused(cspsync: Run, declarations: Path) -> None:
    _shard(cspsync, "1/2", "plan-1.json")
    _shard(cspsync, "2/2", "plan-2.json")
    shutil.copy("plan-1.json", "copy-of-1.json")

    _refused(
        cspsync("merge-plans", "plan-1.json", "plan-2.json", "copy-of-1.json"),
        "plan-1.json and copy-of-1.json are the same shard 1/2: give each shard once",
    )


def test_shards_of_different_n_are_refused(cspsync: Run, declarations: Path) -> None:
    _shard(cspsync, "1/2", "a.json")
    _shard(cspsync, "2/3", "b.json")

    result = cspsync("merge-plans", "a.json", "b.json")

    assert result.code == 1
    assert result.err.startswith(
        "Error: the shard plans split the customers in different ways (a.json is shard 1/2, b.json is shard 2/3)\n"
    )


def test_shards_of_different_commits_are_refused(cspsync: Run, declarations: Path) -> None:
    _shard(cspsync, "1/2", "plan-1.json")
    before = git(declarations, "rev-parse", "HEAD").strip()
    contoso = declarations / "customers" / "contoso-bikes.yaml"
    contoso.write_text(contoso.read_text().replace("quantity: 12", "quantity: 14"))
    git(declarations, "commit", "-q", "-am", "Contoso Bikes: 14 seats")
    after = git(declarations, "rev-parse", "HEAD").strip()
    _shard(cspsync, "2/2", "plan-2.json")

    _refused(
        cspsync("merge-plans", "plan-1.json", "plan-2.json"),
        "plan-2.json and plan-1.json are not shards of one plan: the declarations (cspsync.yaml and customer files) "
        "differ",
        f"plan-2.json and plan-1.json are not shards of one plan: they were planned from different commits "
        f"({after} and {before})",
    )


def test_shards_of_different_declarations_at_one_commit_are_refused(cspsync: Run, declarations: Path) -> None:
    _shard(cspsync, "1/2", "plan-1.json")
    config = declarations / "cspsync.yaml"
    config.write_text(config.read_text() + "\n# uncommitted\n")
    adatum = declarations / "customers" / "adatum.yaml"
    adatum.write_text(adatum.read_text().replace("quantity: 40", "quantity: 41"))
    _shard(cspsync, "2/2", "plan-2.json")

    _refused(cspsync("merge-plans", "plan-1.json", "plan-2.json"), "the declarations (cspsync.yaml and customer files)")


def test_shards_of_different_ci_runs_are_refused(
    cspsync: Run, declarations: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_REPOSITORY", "fabrikam/declarations")
    monkeypatch.setenv("GITHUB_RUN_ID", "101")
    _shard(cspsync, "1/2", "plan-1.json")
    monkeypatch.setenv("GITHUB_RUN_ID", "102")
    _shard(cspsync, "2/2", "plan-2.json")

    _refused(
        cspsync("merge-plans", "plan-1.json", "plan-2.json"),
        "plan-2.json and plan-1.json are not shards of one plan: they come from different CI runs "
        "(fabrikam/declarations/actions/runs/102 and fabrikam/declarations/actions/runs/101)",
    )
    monkeypatch.setenv("GITHUB_RUN_ID", "101")
    _shard(cspsync, "2/2", "plan-2.json")
    assert cspsync("merge-plans", "plan-1.json", "plan-2.json").code == 0


def test_a_plan_made_without_shard_is_refused(cspsync: Run, declarations: Path) -> None:
    _shard(cspsync, "1/2", "plan-1.json")
    assert cspsync("plan", "customers", "--out", "full.json").code == 0

    result = cspsync("merge-plans", "plan-1.json", "full.json")

    assert result.code == 1
    assert result.err.startswith(
        "Error: full.json: not a shard plan (made without --shard I/N); merge-plans merges the shard plans of one "
        "CI matrix\n  hint: make each with `cspsync plan PATHS --shard I/N --out plan-I.json`"
    )


def test_a_shard_record_edited_to_pass_still_cannot_overlap(cspsync: Run, declarations: Path) -> None:
    _shard(cspsync, "1/2", "a.json")
    document = json.loads(Path("a.json").read_text())
    document["shard"]["index"] = 2
    Path("b.json").write_text(json.dumps(document))

    result = cspsync("merge-plans", "a.json", "b.json")

    assert result.code == 1
    assert "is in both a.json and b.json: the shards overlap" in result.err


def test_the_merge_job_writes_one_comment_the_job_summary_and_the_whole_plan(
    cspsync: Run, declarations: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the workflow's merge job runs it: the comment on stdout within --comment-limit, the job summary
    appended to $GITHUB_STEP_SUMMARY, the whole plan in Markdown and JSON for the artifact."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "fabrikam/declarations")
    monkeypatch.setenv("GITHUB_RUN_ID", "101")
    for index in (1, 2, 3):
        _shard(cspsync, f"{index}/3", f"plan-{index}.json")
    summary = Path("step-summary.md")
    summary.write_text("## an earlier step's summary\n", encoding="utf-8")

    result = cspsync(
        "merge-plans", "plan-1.json", "plan-2.json", "plan-3.json", "--format", "markdown",
        "--out", "merged/plan.json", "--markdown-out", "merged/plan.md", "--job-summary", str(summary),
        "--artifact", "cspsync-plan-merged", "--comment-limit", "4096",
    )  # fmt: skip

    assert result.code == 0, result.err
    comment, whole = result.out, Path("merged/plan.md").read_text(encoding="utf-8")
    assert len(comment) <= 4096 < len(whole)
    assert comment.startswith("<!-- cspsync-plan -->\n### cspsync plan\n")
    assert "_Merged from the shard plans of one CI matrix: for review; apply the shard plans, not this._" in comment
    last = comment.rstrip("\n").splitlines()[-1]
    assert last.endswith(
        "More of it is in the job summary of [run 101](https://github.com/fabrikam/declarations/actions/runs/101), "
        "and all of it in its artifact `cspsync-plan-merged` (plan.md and plan.json)._"
    )
    assert "Not in this" not in whole and whole.count("<details><summary>") == 7  # the seven examples
    written = summary.read_text(encoding="utf-8")
    assert written == "## an earlier step's summary\n" + whole  # appended; the whole plan fits in 1 MiB
    merged = json.loads(Path("merged/plan.json").read_text())
    assert len(merged["customers"]) == 7 and merged["observed_fingerprint"].startswith("merged:")


def test_an_artifact_name_that_could_carry_markdown_is_refused(cspsync: Run, declarations: Path) -> None:
    _shard(cspsync, "1/1", "plan-1.json")

    result = cspsync("merge-plans", "plan-1.json", "--format", "markdown", "--artifact", "x`](https://evil.example)")

    assert result.code == 1 and result.out == ""
    assert result.err.startswith("Error: --artifact 'x`](https://evil.example)': an artifact name of letters, digits")
    assert "Traceback" not in result.err
