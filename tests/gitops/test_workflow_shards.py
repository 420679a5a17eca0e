"""cspsync-plan-shards.yml: the plan comment of a large portfolio, made by a matrix of shard jobs and merged by a
job that holds no credential. Its steps are read from the YAML and its scripts run as GitHub runs them
(``bash -e FILE``, tests/gitops/workflows.py), with the real cspsync, git and jq."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cspsync.render.markdown import MARKER as PLAN_MARKER

from .conftest import git
from .test_workflows import holds_credentials
from .workflows import Runner, load, runner, script, step

SHARDED = "cspsync-plan-shards.yml"
MERGE = "Merge the shard plans into one comment"


@pytest.fixture
def gh(tmp_path: Path) -> Runner:
    return runner(tmp_path)


def test_a_matrix_of_shards_with_the_read_credentials_and_a_comment_job_without_any() -> None:
    workflow = load(SHARDED)
    plan, comment = workflow["jobs"]["plan"], workflow["jobs"]["comment"]
    shards = int(workflow["env"]["SHARDS"])

    assert shards == 20 and plan["strategy"]["matrix"]["index"] == list(range(1, shards + 1))
    assert plan["strategy"]["fail-fast"] is False  # every shard reports, so the comment says which failed
    assert plan["environment"] == "cspsync-plan"
    assert plan["permissions"] == {"contents": "read", "actions": "read"}  # the shards write nothing to the PR
    shard = step(workflow, "Plan this shard of what the pull request changed", "plan")
    assert shard["env"]["SHARD"] == "${{ matrix.index }}"
    assert '--changed-since "origin/$BASE_REF" --shard "$SHARD/$SHARDS"' in shard["run"]
    keep = step(workflow, "Keep this shard's plan for the comment", "plan")
    assert keep["with"]["name"] == "cspsync-shard-${{ matrix.index }}"
    # the comment job: after every shard, no environment, no secret, no checkout of anything
    assert comment["needs"] == "plan" and comment["if"].startswith("always() &&")
    assert "github.event.workflow_run.head_repository.full_name == github.repository" in comment["if"]
    assert not holds_credentials(comment) and "secrets." not in json.dumps(comment)
    assert comment["permissions"] == {"actions": "read", "pull-requests": "write"}
    assert not [s for s in comment["steps"] if s.get("uses", "").startswith("actions/checkout@")]
    fetch = step(workflow, "Fetch the shard plans of this run", "comment")
    assert fetch["with"]["pattern"] == "cspsync-shard-*"
    merge = re.sub(r" *\\\n *", " ", step(workflow, MERGE, "comment")["run"])  # continued lines joined
    assert (
        'cspsync merge-plans "${plans[@]}" --format markdown --out "$out/plan.json" --markdown-out "$out/plan.md" '
        '--job-summary "$GITHUB_STEP_SUMMARY" --artifact "$ARTIFACT" > "$RUNNER_TEMP/plan.md"'
    ) in merge
    whole = step(workflow, "Keep the whole merged plan", "comment")
    assert whole["with"]["name"] == step(workflow, MERGE, "comment")["env"]["ARTIFACT"]
    assert whole["with"]["path"] == "${{ runner.temp }}/cspsync-plan/"


def test_the_shard_jobs_keep_every_rule_of_the_plan_comment_job() -> None:
    """The same install, state restore, pull-request checks, validation and credential check, step for step."""
    sharded, single = load(SHARDED), load("cspsync-plan-comment.yml")
    for name in (
        "Install cspsync",
        "Restore the state of the previous apply",
        "Check out the pull request's declarations, after checking where they come from",
        "Validate the declarations",
        "Mask Partner Center identifiers",
        "Check the Partner Center credentials",
    ):
        assert step(sharded, name, "plan") == step(single, name, "plan"), name
    assert step(sharded, "Install cspsync", "comment") == step(single, "Install cspsync", "plan")
    assert (
        step(sharded, "Update the sticky plan comment", "comment")["run"]
        == (step(single, "Update the sticky plan comment", "plan")["run"])
    )
    names = [s.get("name", s.get("uses", "")) for s in sharded["jobs"]["plan"]["steps"]]
    assert names.index("Install cspsync") < names.index(
        "Check out the pull request's declarations, after checking where they come from"
    )


def test_every_shard_job_validates_every_file_unsharded_before_its_plan_is_trusted() -> None:
    """A shard reads and validates only its own files, so the rules across files (two files for one customer)
    hold for the portfolio only because each job validates all of them first, and plans only when that passed."""
    workflow = load(SHARDED)
    validate = step(workflow, "Validate the declarations", "plan")
    assert "cspsync validate customers --format json" in validate["run"] and "--shard" not in validate["run"]
    names = [s.get("name", s.get("uses", "")) for s in workflow["jobs"]["plan"]["steps"]]
    shard = "Plan this shard of what the pull request changed"
    assert names.index("Validate the declarations") < names.index(shard)
    assert step(workflow, shard, "plan")["if"] == "steps.validate.outputs.exit-code == '0'"


def _shards(gh: Runner, declarations: Path, count: int, *, skip: int | None = None) -> Path:
    """What the comment job downloads: each shard's plan and status, as the shard jobs' scripts make them (a
    pull request that changes cspsync.yaml, so every customer is planned)."""
    git(declarations, "remote", "add", "origin", str(declarations))
    git(declarations, "fetch", "-q", "origin")
    (declarations / "cspsync.yaml").write_text((declarations / "cspsync.yaml").read_text() + "\n# all of them\n")
    git(declarations, "commit", "-q", "-am", "Plan every customer")
    downloaded = gh.temp / "cspsync-shards"
    for index in range(1, count + 1):
        if index == skip:
            continue
        env = {"BASE_REF": "main", "SHARD": str(index), "SHARDS": str(count),
               "CSPSYNC_STATE_DIR": str(gh.temp / "cspsync-state")}  # fmt: skip
        gh.ok(script(SHARDED, "Plan this shard of what the pull request changed", "plan"), declarations, env)
        status = {"VALIDATE": "0", "PLAN": gh.outputs()["exit-code"], "SHARD": str(index)}
        gh.ok(script(SHARDED, "Record what this shard did", "plan"), declarations, status)
        Path(gh.env["GITHUB_OUTPUT"]).unlink()
        for made in (gh.temp / "cspsync-shard").iterdir():
            downloaded.mkdir(exist_ok=True)
            made.rename(downloaded / made.name)
    return downloaded


def test_the_comment_job_merges_every_shard_into_one_comment_summary_and_artifact(
    gh: Runner, declarations: Path
) -> None:
    gh.cspsync()
    _shards(gh, declarations, 3)
    work = gh.root / "empty"  # the comment job checks nothing out
    work.mkdir()
    env = {"ARTIFACT": "cspsync-plan-5", "GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "fabrikam/declarations"}

    gh.ok(script(SHARDED, MERGE, "comment"), work, env)

    assert gh.outputs() == {"exit-code": "0"}
    comment = (gh.temp / "plan.md").read_text(encoding="utf-8")
    whole = (gh.temp / "cspsync-plan" / "plan.md").read_text(encoding="utf-8")
    assert comment.startswith(f"{PLAN_MARKER}\n### cspsync plan\n") and len(comment) <= 65_536
    assert "· 7 customer file(s) ·" in comment and comment == whole  # seven customers fit whole
    assert gh.summary() == whole and len(gh.summary().encode()) <= 1024 * 1024
    merged = json.loads((gh.temp / "cspsync-plan" / "plan.json").read_text(encoding="utf-8"))
    assert len(merged["customers"]) == 7 and merged["observed_fingerprint"].startswith("merged:")
    assert git(declarations, "status", "--porcelain") == ""


def test_a_missing_shard_is_refused_and_the_comment_says_the_plans_could_not_be_merged(
    gh: Runner, declarations: Path
) -> None:
    gh.cspsync()
    _shards(gh, declarations, 3, skip=2)  # shard 2's job never uploaded anything
    work = gh.root / "empty"
    work.mkdir()

    done = gh.ok(script(SHARDED, MERGE, "comment"), work, {"ARTIFACT": "cspsync-plan-5"})

    assert gh.outputs() == {"exit-code": "1"}
    assert "shard 2/3 is missing: the merged plan would leave out their customers" in done.stderr
    comment = (gh.temp / "plan.md").read_text(encoding="utf-8")
    assert comment == (
        f"{PLAN_MARKER}\n### cspsync plan\n\n**The shard plans could not be merged**: see the log of run 99.\n"
    )
    summary = Path(gh.env["GITHUB_STEP_SUMMARY"])
    assert not summary.exists() or summary.read_text(encoding="utf-8") == ""  # no summary of part of the plan


def test_a_shard_that_failed_is_named_in_the_comment(gh: Runner, tmp_path: Path) -> None:
    downloaded = gh.temp / "cspsync-shards"
    downloaded.mkdir()
    for index, plan in ((1, 0), (2, -1), (3, 0)):  # shard 2: validated, then its credential check failed
        (downloaded / f"status-{index}.json").write_text(json.dumps({"shard": index, "validate": 0, "plan": plan}))
    work = tmp_path / "empty"
    work.mkdir()

    gh.ok(script(SHARDED, MERGE, "comment"), work, {"ARTIFACT": "cspsync-plan-5"})

    assert gh.outputs() == {"exit-code": "1"}
    comment = (gh.temp / "plan.md").read_text(encoding="utf-8")
    assert re.search(r"\*\*The plan could not be made\*\*: shard\(s\) 2 failed; see the log of run 99\.", comment)


def test_invalid_declarations_in_the_shards_get_the_summary_in_the_comment(gh: Runner, tmp_path: Path) -> None:
    downloaded = gh.temp / "cspsync-shards"
    downloaded.mkdir()
    for index in (1, 2):
        (downloaded / f"status-{index}.json").write_text(json.dumps({"shard": index, "validate": 1, "plan": -1}))
    report = {"problems": [{"file": "customers/contoso-bikes.yaml"}, {"file": "customers/contoso-bikes.yaml"}]}
    (downloaded / "validate.json").write_text(json.dumps(report))
    work = tmp_path / "empty"
    work.mkdir()

    gh.ok(script(SHARDED, MERGE, "comment"), work, {"ARTIFACT": "cspsync-plan-5"})
    assert gh.outputs() == {"exit-code": "invalid"}
    gh.ok(script(SHARDED, "Say in the comment that the declarations are invalid", "comment"), work)

    comment = (gh.temp / "plan.md").read_text(encoding="utf-8")
    assert "**No plan: the declarations are invalid** (2 problems in 1 file)." in comment
