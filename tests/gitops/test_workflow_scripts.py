"""The workflow step scripts, executed as GitHub executes them: ``bash -e FILE`` (the default shell, which has
no pipefail), against a fake ``gh``, stand-ins for ``python``/``git``/``cspsync`` where the real ones would reach
the network, and the real cspsync, git and jq everywhere else.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import cmarkgfm
import pytest

from cspsync.declarations import check
from cspsync.invitations.ledger import load_ledger
from cspsync.render.drift import MARKER as DRIFT_MARKER
from cspsync.render.markdown import MARKER as PLAN_MARKER
from cspsync.workspace import Workspace

from .conftest import git
from .workflows import FILES, Runner, load, runner, script, steps

REPOSITORY = "fabrikam/declarations"
COMMIT = "3f2c9a1b7d4e5f60718293a4b5c6d7e8f9012345"
LEDGER = '{"formatVersion": "1", "invitations": {"litware": {"to": "it.admin@litware.ie", "sentAt": "2026-11-20"}}}\n'


@pytest.fixture
def gh(tmp_path: Path) -> Runner:
    return runner(tmp_path)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The job's working folder (the checkout)."""
    folder = tmp_path / "checkout"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_script_is_valid_bash(path: Path, tmp_path: Path) -> None:
    for item in (s for s in steps(load(path.name)) if "run" in s):
        file = tmp_path / "step.sh"
        file.write_text(item["run"], encoding="utf-8")
        done = subprocess.run(["bash", "-n", str(file)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, (item["name"], done.stderr)


# -------------------------------------------------------------------------------------------- install

STAND_IN_PYTHON = """printf '%s | %s\\n' "$PWD" "$*" >> "$CALLS"
if [ "$1 $2 $3" = "-I -m venv" ]; then
  mkdir -p "$4/bin" && cp "$0" "$4/bin/python"
fi
"""
STAND_IN_GIT = """printf '%s | git %s\\n' "$PWD" "$*" >> "$CALLS"
if [ "${*: -2}" = "rev-parse HEAD" ]; then echo "${FETCHED:-$CSPSYNC_COMMIT}"; fi
if [ "$1" = "init" ]; then mkdir -p "${@: -1}"; fi
"""


def _install(gh: Runner, work: Path, commit: str, fetched: str | None = None) -> tuple[Any, list[str]]:
    calls = gh.root / "calls.txt"
    gh.command("python", STAND_IN_PYTHON)
    gh.command("git", STAND_IN_GIT)
    env = {"CSPSYNC_REPOSITORY": "fabrikam/cspsync", "CSPSYNC_COMMIT": commit, "CALLS": str(calls)}
    if fetched:
        env["FETCHED"] = fetched
    done = gh.run(script("cspsync-apply.yml", "Install cspsync"), work, env)
    return done, calls.read_text().splitlines() if calls.exists() else []


def test_install_runs_pip_outside_the_checkout_from_the_pinned_commit_and_its_hashed_lock(
    gh: Runner, work: Path
) -> None:
    done, calls = _install(gh, work, COMMIT)

    assert done.returncode == 0, done.stderr
    temp = str(gh.temp)
    assert calls == [
        f"{temp} | git init --quiet cspsync-source",
        f"{temp} | git -C cspsync-source fetch --quiet --depth 1 https://github.com/fabrikam/cspsync {COMMIT}",
        f"{temp} | git -C cspsync-source checkout --quiet --detach FETCH_HEAD",
        f"{temp} | git -C cspsync-source rev-parse HEAD",
        f"{temp} | -I -m venv cspsync-venv",
        f"{temp} | -I -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes "
        "-r cspsync-source/requirements.lock",
        f"{temp} | -I -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation "
        "./cspsync-source",
        f"{temp} | -I -m pip check",
    ]
    assert Path(gh.env["GITHUB_PATH"]).read_text() == f"{temp}/cspsync-venv/bin\n"
    assert Path(gh.env["GITHUB_ENV"]).read_text() == f"CSPSYNC_STATE_DIR={temp}/cspsync-state\n"


@pytest.mark.parametrize("commit", ["0" * 40, "main", "v0.1.0", COMMIT[:12], COMMIT.upper()])
def test_install_refuses_anything_but_a_full_commit_id(gh: Runner, work: Path, commit: str) -> None:
    done, calls = _install(gh, work, commit)

    assert done.returncode == 1
    assert "::error title=cspsync install::set CSPSYNC_COMMIT in this workflow" in done.stdout
    assert calls == []


def test_install_refuses_a_fetch_that_is_not_the_pinned_commit(gh: Runner, work: Path) -> None:
    done, calls = _install(gh, work, COMMIT, fetched="1" * 40)

    assert done.returncode == 1
    assert f"the fetched cspsync is not commit {COMMIT}" in done.stdout
    assert not [c for c in calls if "pip" in c]


def test_python_isolated_mode_keeps_a_pip_folder_of_the_checkout_out(work: Path, tmp_path: Path) -> None:
    """Why every interpreter starts with -I: `python -m pip` in a folder with a pip/ package runs that package."""
    (work / "pip").mkdir()
    (work / "pip" / "__init__.py").write_text("")
    marker = tmp_path / "ran"
    (work / "pip" / "__main__.py").write_text(f"open({str(marker)!r}, 'w').write('pwned')\n")

    subprocess.run([sys.executable, "-I", "-m", "pip", "--version"], cwd=work, capture_output=True, check=True)
    assert not marker.exists()
    subprocess.run([sys.executable, "-m", "pip", "--version"], cwd=work, capture_output=True, check=False)
    assert marker.read_text() == "pwned"


# ------------------------------------------------------------------------------------ apply and remind


FAILING_CSPSYNC = """echo "contoso-bikes/create-customer: failed"
echo "::warning::Contoso%0A::error::injected"
exit 1
"""


@pytest.mark.parametrize(
    ("workflow", "name", "log"),
    [
        ("cspsync-apply.yml", "Apply", "apply.log"),
        ("cspsync-drift.yml", "Send the reminders that are due", "remind.log"),
    ],
)
def test_a_failing_cspsync_fails_the_step_through_tee_under_githubs_default_shell(
    gh: Runner, work: Path, workflow: str, name: str, log: str
) -> None:
    gh.command("cspsync", FAILING_CSPSYNC)
    state = gh.temp / "cspsync-state"
    (state / "applies").mkdir(parents=True)
    (state / "applies" / "r1.json").write_text("{}")  # handed over by the previous apply

    done = gh.run(script(workflow, name), work, {"CSPSYNC_STATE_DIR": str(state)})

    assert done.returncode == 1
    assert (gh.temp / log).read_text().startswith("contoso-bikes/create-customer: failed\n")
    # GitHub reads no workflow command in cspsync's output: it sits between stop-commands and the resume token
    lines = done.stdout.splitlines()
    token = lines[0].removeprefix("::stop-commands::")
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert lines[1:] == [
        "contoso-bikes/create-customer: failed",
        "::warning::Contoso%0A::error::injected",
        f"::{token}::",
    ]


RECORDING_CSPSYNC = """echo "cspsync $*" >> "$CALLS"
echo "Apply complete: 1 done."
"""


def _apply_step(gh: Runner, work: Path, records: bool, full_apply: str | None) -> tuple[Any, list[str]]:
    calls = gh.root / "cspsync-calls.txt"
    gh.command("cspsync", RECORDING_CSPSYNC)
    state = gh.temp / "cspsync-state"
    state.mkdir(parents=True, exist_ok=True)
    if records:
        (state / "applies").mkdir()
        (state / "applies" / "20261126T020008Z-fe424aa4.json").write_text("{}")
    env = {"CSPSYNC_STATE_DIR": str(state), "CALLS": str(calls)}
    if full_apply is not None:
        env["FULL_APPLY"] = full_apply  # ${{ inputs.full-apply }}: empty on a push
    done = gh.run(script("cspsync-apply.yml", "Apply"), work, env)
    return done, calls.read_text().splitlines() if calls.exists() else []


@pytest.mark.parametrize("full_apply", [None, "", "false"])
def test_a_merge_applies_only_what_changed_since_the_last_successful_apply(
    gh: Runner, work: Path, full_apply: str | None
) -> None:
    """Version 0.1 ran `cspsync apply customers --yes`: every customer reconciled, portal changes reverted."""
    done, calls = _apply_step(gh, work, records=True, full_apply=full_apply)

    assert done.returncode == 0, done.stdout + done.stderr
    assert calls == ["cspsync apply customers --yes --since-last-apply"]


def test_full_apply_by_hand_reconciles_every_customer(gh: Runner, work: Path) -> None:
    done, calls = _apply_step(gh, work, records=False, full_apply="true")

    assert done.returncode == 0, done.stdout + done.stderr
    assert calls == ["cspsync apply customers --yes"]
    assert "full-apply: every customer is reconciled with its declaration" in done.stdout


def test_the_first_apply_without_any_record_applies_nothing_and_says_what_to_do(gh: Runner, work: Path) -> None:
    done, calls = _apply_step(gh, work, records=False, full_apply=None)

    assert done.returncode == 1
    assert calls == []  # cspsync never ran: nothing reached Partner Center
    assert done.stdout.startswith(
        "::error title=cspsync apply::no apply record was handed over, so nothing says which changes are applied "
        "already and nothing is applied. Review a full plan (cspsync plan customers), then run this workflow by "
        "hand with full-apply"
    )


def test_githubs_default_shell_alone_would_hide_the_failure(gh: Runner, work: Path) -> None:
    """The step of version 0.1, under `bash -e {0}`: green although cspsync apply failed."""
    gh.command("cspsync", FAILING_CSPSYNC)

    done = gh.run("cspsync apply customers --yes 2>&1 | tee apply.log\n", work)

    assert done.returncode == 0


def test_the_apply_summary_fence_is_longer_than_any_backtick_run_in_the_log(gh: Runner, work: Path) -> None:
    hostile = "Contoso ```` Bikes\n````\n</details>\n<img src=x onerror=alert(1)> @everyone [x](https://evil.example)\n"
    (gh.temp / "apply.log").write_text("✓ done\n" + hostile)

    gh.ok(script("cspsync-apply.yml", "Write the apply to the job summary"), work)

    summary = gh.summary()
    assert summary.startswith("### cspsync apply\n\n`````\n✓ done\n")
    assert summary.endswith("\n`````\n")
    html = cmarkgfm.github_flavored_markdown_to_html(summary)
    assert html.count("<pre") == 1 and "<img" not in html and "<a " not in html and "</details>\n" not in html


def test_the_apply_summary_says_when_apply_did_not_run(gh: Runner, work: Path) -> None:
    gh.ok(script("cspsync-apply.yml", "Write the apply to the job summary"), work)

    assert gh.summary() == "### cspsync apply\n\n```\ncspsync apply did not run\n```\n"


def test_a_dispatch_on_another_branch_is_refused(gh: Runner, work: Path) -> None:
    done = gh.run(script("cspsync-apply.yml", "Refuse"), work, {"REF": "refs/heads/unreviewed"})

    assert done.returncode == 1
    assert done.stdout.startswith("::error title=cspsync apply::refs/heads/unreviewed is not the default branch")


# ---------------------------------------------------------------------------- the state between runs

RESTORE = "Restore the state of the previous apply"
RUNS = f"repos/{REPOSITORY}/actions/workflows/{{}}/runs"


def _run(run_id: int, created: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": run_id,
        "created_at": f"2026-11-{created}Z",
        "event": fields.get("event", "push"),
        "head_branch": fields.get("branch", "main"),
        "head_repository": {"full_name": fields.get("repository", REPOSITORY)},
        "status": fields.get("status", "completed"),
        "conclusion": fields.get("conclusion", "success"),
    }


def _state_runs(gh: Runner, apply: list[dict[str, Any]], drift: list[dict[str, Any]]) -> None:
    api = gh.fixtures.setdefault("api", {})
    api[RUNS.format("cspsync-apply.yml")] = {"workflow_runs": apply}
    api[RUNS.format("cspsync-drift.yml")] = {"workflow_runs": drift}
    for run in apply + drift:
        api.setdefault(f"repos/{REPOSITORY}/actions/runs/{run['id']}/artifacts", {"artifacts": []})


def _state_artifact(gh: Runner, run: int, name: str, files: dict[str, str], expired: bool = False) -> None:
    listed = gh.fixtures["api"].setdefault(f"repos/{REPOSITORY}/actions/runs/{run}/artifacts", {"artifacts": []})
    listed["artifacts"].append({"name": name, "expired": expired, "created_at": f"2026-11-01T00:00:0{len(listed)}Z"})
    gh.artifact(run, name, files)


def _restore(gh: Runner, work: Path, **env: str) -> Any:
    state = gh.temp / "cspsync-state"
    return gh.run(
        script("cspsync-apply.yml", RESTORE),
        work,
        {"BRANCH": "main", "RUN_ID": "31", "CSPSYNC_STATE_DIR": str(state), **env},
    )


def test_state_comes_only_from_default_branch_runs_past_cancelled_and_failed_ones(gh: Runner, work: Path) -> None:
    poisoned = '{"formatVersion": "1", "invitations": {}}\n::error::from a pull request\n'
    _state_runs(
        gh,
        apply=[
            _run(31, "26T10:00:00", status="in_progress", conclusion=None),  # this run
            _run(40, "26T09:00:00", event="pull_request", repository="mallory/declarations"),  # a fork's `main`
            _run(41, "26T08:00:00", event="workflow_dispatch", branch="unreviewed"),
            _run(30, "26T07:00:00", conclusion="cancelled"),  # replaced while pending: no artifact
            _run(29, "26T06:00:00", conclusion="failure"),  # failed before it kept anything
            _run(28, "25T06:00:00", conclusion="failure"),  # failed applying: its state counts
        ],
        drift=[_run(42, "26T05:00:00", event="schedule"), _run(27, "24T06:00:00", event="schedule")],
    )
    for run in (40, 41):
        _state_artifact(gh, run, f"cspsync-state-{run}-1", {"invitations.json": poisoned})
    _state_artifact(gh, 29, "cspsync-state-29-1", {"invitations.json": poisoned}, expired=True)
    _state_artifact(gh, 42, "cspsync-state-28-1", {"invitations.json": poisoned})  # another run's name
    _state_artifact(gh, 28, "cspsync-state-28-1", {"invitations.json": "{}"})
    kept = {"invitations.json": LEDGER, "applies/r1.json": "{}", "observed-partner-center-plan.json": '{"format": 1}'}
    _state_artifact(gh, 28, "cspsync-state-28-2", kept)
    _state_artifact(gh, 27, "cspsync-state-27-1", {"invitations.json": "{}"})

    done = _restore(gh, work)

    assert done.returncode == 0, done.stderr
    assert "Restored the invitations ledger and the apply records of run 28" in done.stdout
    assert gh.outputs() == {"ledger": "restored"}
    state = gh.temp / "cspsync-state"
    assert (state / "invitations.json").read_text() == LEDGER
    assert (state / "applies" / "r1.json").read_text() == "{}"
    # the memory of the last full plan goes along, so the next full plan re-reads only what changed
    assert (state / "observed-partner-center-plan.json").read_text() == '{"format": 1}'
    downloads = [c for c in gh.calls() if c.startswith("run download")]
    assert downloads == [
        f"run download 28 --repo {REPOSITORY} --name cspsync-state-28-2 --dir {gh.temp}/cspsync-previous-state"
    ]
    assert "from a pull request" not in done.stdout + done.stderr  # no poisoned artifact was read


def test_a_newer_reminders_run_hands_its_state_to_the_apply(gh: Runner, work: Path) -> None:
    _state_runs(gh, apply=[_run(28, "25T06:00:00")], drift=[_run(35, "26T06:17:00", event="schedule")])
    _state_artifact(gh, 28, "cspsync-state-28-1", {"invitations.json": "{}"})
    _state_artifact(gh, 35, "cspsync-state-35-1", {"invitations.json": LEDGER})

    done = _restore(gh, work)

    assert done.returncode == 0, done.stderr
    assert (gh.temp / "cspsync-state" / "invitations.json").read_text() == LEDGER


def test_without_a_ledger_the_run_says_so_and_sends_nothing(gh: Runner, work: Path) -> None:
    _state_runs(gh, apply=[_run(30, "26T07:00:00", conclusion="cancelled")], drift=[])

    done = _restore(gh, work)

    assert done.returncode == 0, done.stderr
    assert gh.outputs() == {"ledger": "missing"}
    assert "::warning title=cspsync state::no invitations ledger of an earlier run on main was found" in done.stdout
    assert not (gh.temp / "cspsync-state" / "invitations.json").exists()


def test_new_ledger_starts_an_empty_ledger_cspsync_reads(gh: Runner, work: Path) -> None:
    _state_runs(gh, apply=[], drift=[])

    done = _restore(gh, work, NEW_LEDGER="true")

    assert done.returncode == 0, done.stderr
    assert gh.outputs() == {"ledger": "new"}
    assert load_ledger(Workspace(gh.temp / "cspsync-state")) == {}


def test_new_ledger_never_replaces_one_that_was_restored(gh: Runner, work: Path) -> None:
    _state_runs(gh, apply=[_run(28, "25T06:00:00")], drift=[])
    _state_artifact(gh, 28, "cspsync-state-28-1", {"invitations.json": LEDGER})

    done = _restore(gh, work, NEW_LEDGER="true")

    assert gh.outputs() == {"ledger": "restored"}, done.stderr
    assert (gh.temp / "cspsync-state" / "invitations.json").read_text() == LEDGER


def test_a_failing_github_api_fails_the_restore_instead_of_starting_without_state(gh: Runner, work: Path) -> None:
    _state_runs(gh, apply=[_run(28, "25T06:00:00")], drift=[])
    del gh.fixtures["api"][RUNS.format("cspsync-drift.yml")]
    _state_artifact(gh, 28, "cspsync-state-28-1", {"invitations.json": LEDGER})

    done = _restore(gh, work)

    assert done.returncode != 0
    assert gh.outputs() == {}


@pytest.mark.parametrize(("latest", "dispatched"), [("cancelled", True), ("success", False), ("failure", False)])
def test_reminders_start_the_apply_again_when_they_replaced_a_pending_one(
    gh: Runner, work: Path, latest: str, dispatched: bool
) -> None:
    gh.fixtures["api"] = {RUNS.format("cspsync-apply.yml"): {"workflow_runs": [_run(30, "26", conclusion=latest)]}}

    restart = script("cspsync-drift.yml", "Start the apply again if this run replaced a pending one")
    gh.ok(restart, work, {"BRANCH": "main"})

    started = [c for c in gh.calls() if c.startswith("workflow run")]
    assert started == ([f"workflow run cspsync-apply.yml --repo {REPOSITORY} --ref main"] if dispatched else [])


# -------------------------------------------------------------------- the pull request's plan, in two halves


def _pull_request(root: Path) -> tuple[Path, str]:
    """A repository with main and a pull request branch; the branch's head checked out (as part 1 does)."""
    origin = root / "origin"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    (origin / "customers").mkdir()
    (origin / "customers" / "a.yaml").write_text("a: 1\n")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "main")
    git(origin, "checkout", "-q", "-b", "more-seats")
    (origin / "customers" / "a.yaml").write_text("a: 2\n")
    git(origin, "commit", "-q", "-am", "more seats")
    head = git(origin, "rev-parse", "HEAD").strip()
    git(origin, "checkout", "-q", "--detach", head)
    return origin, head


@pytest.fixture
def handed_over(gh: Runner, tmp_path: Path, declarations: Path) -> tuple[Path, str]:
    """Part 1 ran on the pull request: its artifact is run 77's; part 2's checkout of main is ``trusted``."""
    origin, head = _pull_request(tmp_path)
    gh.ok(script("cspsync-plan.yml", "Hand the declarations over as data"), origin, {"PR_NUMBER": "5"})
    (gh.artifacts / "77" / "cspsync-pr").mkdir(parents=True)
    for file in (gh.temp / "cspsync-pr").iterdir():
        (gh.artifacts / "77" / "cspsync-pr" / file.name).write_bytes(file.read_bytes())
    trusted = tmp_path / "trusted"
    subprocess.run(["git", "clone", "-q", "--single-branch", "-b", "main", str(origin), str(trusted)], check=True)
    gh.fixtures["api"] = {
        f"repos/{REPOSITORY}/actions/runs/77/artifacts": {"artifacts": [{"name": "cspsync-pr"}]},
        f"repos/{REPOSITORY}/pulls/5": {
            "state": "open",
            "head": {"sha": head, "repo": {"full_name": REPOSITORY}},
            "base": {"ref": "main"},
        },
    }
    return trusted, head


CHECK_OUT = "Check out the pull request's declarations, after checking where they come from"


def _check_out(gh: Runner, trusted: Path, head: str) -> Any:
    return gh.run(script("cspsync-plan-comment.yml", CHECK_OUT), trusted, {"RUN_ID": "77", "HEAD_SHA": head})


def test_the_trusted_half_checks_out_exactly_the_pull_requests_head(gh: Runner, handed_over: tuple[Path, str]) -> None:
    trusted, head = handed_over
    assert json.loads((gh.temp / "cspsync-pr" / "pr.json").read_text()) == {"number": 5}

    done = _check_out(gh, trusted, head)

    assert done.returncode == 0, done.stdout + done.stderr
    assert gh.outputs() == {"number": "5", "base": "main"}
    assert git(trusted, "rev-parse", "HEAD").strip() == head
    assert (trusted / "customers" / "a.yaml").read_text() == "a: 2\n"


def _refused(done: Any, reason: str) -> None:
    assert done.returncode == 1
    assert f"::error title=cspsync plan::{reason}: no plan is made for run 77" in done.stdout


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"state": "closed"}, "pull request #5 is not open"),
        ({"head": {"sha": "HEAD", "repo": {"full_name": "mallory/declarations"}}}, "comes from another repository"),
        ({"head": {"sha": "1" * 40, "repo": {"full_name": REPOSITORY}}}, "pull request #5 has moved on from"),
    ],
)
def test_the_trusted_half_refuses_a_pull_request_that_does_not_match(
    gh: Runner, handed_over: tuple[Path, str], change: dict[str, Any], reason: str
) -> None:
    trusted, head = handed_over
    pull = gh.fixtures["api"][f"repos/{REPOSITORY}/pulls/5"]
    pull.update(json.loads(json.dumps(change).replace('"HEAD"', json.dumps(head))))

    done = _check_out(gh, trusted, head)

    assert done.returncode == 1 and reason in done.stdout
    assert git(trusted, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


def test_the_trusted_half_refuses_other_artifacts(gh: Runner, handed_over: tuple[Path, str]) -> None:
    trusted, head = handed_over
    gh.fixtures["api"][f"repos/{REPOSITORY}/actions/runs/77/artifacts"]["artifacts"].append({"name": "cspsync-pr-2"})

    _refused(_check_out(gh, trusted, head), "the pull request's run has other artifacts than cspsync-pr")


@pytest.mark.parametrize("number", ['"5; touch /tmp/pwned"', "-1", "null", '"5\\nbase=evil"'])
def test_the_trusted_half_refuses_a_pr_json_without_a_plain_number(
    gh: Runner, handed_over: tuple[Path, str], number: str
) -> None:
    trusted, head = handed_over
    (gh.artifacts / "77" / "cspsync-pr" / "pr.json").write_text(f'{{"number": {number}}}')

    _refused(_check_out(gh, trusted, head), "pr.json names no pull request number")
    assert gh.outputs() == {}


def test_the_trusted_half_refuses_a_bundle_of_another_commit(gh: Runner, handed_over: tuple[Path, str]) -> None:
    trusted, _ = handed_over
    other = "2" * 40
    gh.fixtures["api"][f"repos/{REPOSITORY}/pulls/5"]["head"]["sha"] = other

    _refused(_check_out(gh, trusted, other), f"the bundle does not hold {other}")


def test_the_trusted_half_refuses_symbolic_links(gh: Runner, tmp_path: Path, handed_over: tuple[Path, str]) -> None:
    trusted, _ = handed_over
    origin = tmp_path / "origin"
    (origin / "customers" / "runner.yaml").symlink_to("/proc/self/environ")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "read the runner's environment")
    head = git(origin, "rev-parse", "HEAD").strip()
    gh.ok(script("cspsync-plan.yml", "Hand the declarations over as data"), origin, {"PR_NUMBER": "5"})
    bundle = gh.temp / "cspsync-pr" / "pr.bundle"
    (gh.artifacts / "77" / "cspsync-pr" / "pr.bundle").write_bytes(bundle.read_bytes())
    gh.fixtures["api"][f"repos/{REPOSITORY}/pulls/5"]["head"]["sha"] = head

    _refused(_check_out(gh, trusted, head), "the pull request's files include symbolic links")


def test_invalid_declarations_get_the_summary_in_the_comment_not_an_annotation(gh: Runner, declarations: Path) -> None:
    gh.cspsync()
    contoso = declarations / "customers" / "contoso-bikes.yaml"
    contoso.write_text(contoso.read_text().replace("country: GB", "country: XX\n      # ::error::x"))
    env = {"GITHUB_ACTIONS": "true", "CSPSYNC_STATE_DIR": str(gh.temp / "state")}

    done = gh.ok(script("cspsync-plan-comment.yml", "Validate the declarations"), declarations, env)
    assert gh.outputs() == {"exit-code": "1"}
    assert "::error" not in done.stdout + done.stderr  # part 1 annotates the pull request's lines
    gh.ok(script("cspsync-plan-comment.yml", "Say in the comment that the declarations are invalid"), declarations)

    comment = (gh.temp / "plan.md").read_text()
    summary = check([Path("customers")]).summary()
    assert summary == "2 problems in 1 file"  # cspsync's own words, from numbers only
    assert comment.startswith(f"{PLAN_MARKER}\n### cspsync plan\n")
    assert f"**No plan: the declarations are invalid** ({summary})." in comment
    assert "::" not in comment and "XX" not in comment


def test_the_plan_step_plans_the_pull_request_against_its_base(gh: Runner, declarations: Path) -> None:
    gh.cspsync()
    git(declarations, "remote", "add", "origin", str(declarations))
    git(declarations, "fetch", "-q", "origin")
    git(declarations, "checkout", "-q", "-b", "more-seats")
    contoso = declarations / "customers/contoso-bikes.yaml"
    contoso.write_text(contoso.read_text().replace("quantity: 12", "quantity: 15"))
    git(declarations, "commit", "-q", "-am", "Contoso Bikes: 15 seats")

    gh.ok(
        script("cspsync-plan-comment.yml", "Plan what the pull request changed"),
        declarations,
        {"BASE_REF": "main", "CSPSYNC_STATE_DIR": str(gh.temp / "cspsync-state")},
    )

    assert gh.outputs() == {"exit-code": "0"}
    comment = (gh.temp / "plan.md").read_text()
    assert comment.startswith(f"{PLAN_MARKER}\n### cspsync plan\n")
    assert "· 1 customer file(s) ·" in comment
    assert json.loads((gh.temp / "plan.json").read_text())["scope"] == ["customers/contoso-bikes.yaml"]
    assert git(declarations, "status", "--porcelain") == ""  # nothing written into the pull request's files


def _comment(comment_id: int, login: str, body: str) -> dict[str, Any]:
    return {"id": comment_id, "user": {"login": login, "type": "Bot"}, "body": body}


def _sticky(gh: Runner, work: Path, comments: list[dict[str, Any]]) -> list[str]:
    gh.fixtures["api"] = {f"repos/{REPOSITORY}/issues/5/comments": comments}
    (gh.temp / "plan.md").write_text(f"{PLAN_MARKER}\n### cspsync plan\nnew plan\n")
    gh.ok(script("cspsync-plan-comment.yml", "Update the sticky plan comment"), work, {"PR_NUMBER": "5"})
    return gh.calls()


def test_the_plan_comment_is_updated_in_place(gh: Runner, work: Path) -> None:
    calls = _sticky(
        gh,
        work,
        [
            _comment(7, "mallory", f"{PLAN_MARKER}\nnot the bot's comment"),
            _comment(42, "github-actions[bot]", f"{PLAN_MARKER}\n### cspsync plan\nold plan"),
            _comment(43, "github-actions[bot]", "an unrelated bot comment"),
            _comment(44, "github-actions[bot]", f"{PLAN_MARKER}\n### cspsync plan\nan older duplicate"),
        ],
    )

    assert calls == [
        f"api --paginate repos/{REPOSITORY}/issues/5/comments --jq .[] | select(.user.login == "
        f'"github-actions[bot]" and (.body | startswith("{PLAN_MARKER}"))) | .id',
        f"api --method PATCH repos/{REPOSITORY}/issues/comments/42 -F body=@{gh.temp}/plan.md",
    ]


def test_the_first_plan_comment_is_created(gh: Runner, work: Path) -> None:
    calls = _sticky(gh, work, [_comment(7, "mallory", f"{PLAN_MARKER}\nspoofed")])

    assert calls[-1] == f"api --method POST repos/{REPOSITORY}/issues/5/comments -F body=@{gh.temp}/plan.md"


# ----------------------------------------------------------------------------------------------- drift


def _issue(number: int, body: str) -> dict[str, Any]:
    return {"number": number, "body": body}


def test_drift_updates_the_open_issue(gh: Runner, work: Path) -> None:
    gh.fixtures["issues"] = [_issue(3, "someone else's"), _issue(12, f"{DRIFT_MARKER}\nold")]
    (work / "drift.md").write_text(f"{DRIFT_MARKER}\nnew\n")

    gh.ok(script("cspsync-drift.yml", "Open or update the drift issue"), work)

    calls = gh.calls()
    assert calls[0].startswith(f"label create cspsync-drift --repo {REPOSITORY}")
    assert calls[-1] == f"issue edit 12 --repo {REPOSITORY} --body-file drift.md"


def test_drift_opens_an_issue_when_there_is_none(gh: Runner, work: Path) -> None:
    gh.fixtures["issues"] = []
    (work / "drift.md").write_text(f"{DRIFT_MARKER}\nnew\n")

    gh.ok(script("cspsync-drift.yml", "Open or update the drift issue"), work)

    assert gh.calls()[-1] == (
        f"issue create --repo {REPOSITORY} --label cspsync-drift --title cspsync drift: "
        "Partner Center differs from the declarations --body-file drift.md"
    )


def test_drift_closes_the_issue_when_in_sync_again(gh: Runner, work: Path) -> None:
    gh.fixtures["issues"] = [_issue(12, f"{DRIFT_MARKER}\nold")]

    gh.ok(script("cspsync-drift.yml", "Close the drift issue when in sync again"), work)

    assert gh.calls()[-1] == f"issue close 12 --repo {REPOSITORY} --comment In sync again (run 99)."


# ------------------------------------------------------------------------------------------ drift memory

MEMORY_RESTORE = "Restore the memory of the previous drift"
DRIFT_MEMORY = '{"format": 1, "observed_at": "2026-11-25T06:17:00Z"}'


def _restore_memory(gh: Runner, work: Path) -> Any:
    return gh.run(
        script("cspsync-drift.yml", MEMORY_RESTORE, "drift"),
        work,
        {"BRANCH": "main", "RUN_ID": "50", "CSPSYNC_STATE_DIR": str(gh.temp / "cspsync-state")},
    )


def test_a_drift_starts_from_the_memory_of_the_last_scheduled_drift_and_nothing_else(gh: Runner, work: Path) -> None:
    """Only drift's own memory of a default-branch run that a pull request cannot start: never the plan memory, the
    ledger or the apply records (the drift job is not a writer of the apply's state)."""
    _state_runs(
        gh,
        apply=[],
        drift=[
            _run(50, "26T06:17:00", event="schedule", status="in_progress", conclusion=None),  # this run
            _run(49, "26T05:00:00", event="workflow_dispatch", branch="unreviewed"),
            _run(48, "26T04:00:00", event="schedule", repository="mallory/declarations"),
            _run(47, "26T03:00:00", event="schedule", conclusion="failure"),  # failed before it kept any
            _run(46, "25T06:17:00", event="workflow_dispatch"),
            _run(45, "24T06:17:00", event="schedule"),
        ],
    )
    poisoned = {"observed-partner-center.json": '{"poisoned": true}'}
    for run in (49, 48):
        _state_artifact(gh, run, f"cspsync-drift-memory-{run}-1", poisoned)
    _state_artifact(gh, 47, "cspsync-drift-memory-47-1", poisoned, expired=True)
    _state_artifact(gh, 46, "cspsync-drift-memory-45-1", poisoned)  # another run's name
    _state_artifact(
        gh,
        46,
        "cspsync-drift-memory-46-1",
        {
            "observed-partner-center.json": DRIFT_MEMORY,
            "observed-partner-center-plan.json": '{"plan": true}',
            "invitations.json": "{}",
        },
    )
    _state_artifact(gh, 45, "cspsync-drift-memory-45-1", poisoned)

    done = _restore_memory(gh, work)

    assert done.returncode == 0, done.stderr
    assert "Restored the drift memory of run 46: observed-partner-center.json" in done.stdout
    state = gh.temp / "cspsync-state"
    assert sorted(p.name for p in state.iterdir()) == ["observed-partner-center.json"]
    assert (state / "observed-partner-center.json").read_text() == DRIFT_MEMORY
    downloads = [c for c in gh.calls() if c.startswith("run download")]
    assert downloads == [
        f"run download 46 --repo {REPOSITORY} --name cspsync-drift-memory-46-1 --dir {gh.temp}/cspsync-previous-drift"
    ]


def test_without_a_drift_memory_the_drift_reads_everything(gh: Runner, work: Path) -> None:
    _state_runs(gh, apply=[], drift=[_run(47, "26T03:00:00", event="schedule", conclusion="cancelled")])

    done = _restore_memory(gh, work)

    assert done.returncode == 0, done.stderr
    assert "No drift memory of an earlier run on main: this drift reads every customer" in done.stdout
    assert list((gh.temp / "cspsync-state").iterdir()) == []


def test_a_failing_github_api_fails_the_drift_memory_restore(gh: Runner, work: Path) -> None:
    _state_runs(gh, apply=[], drift=[])
    del gh.fixtures["api"][RUNS.format("cspsync-drift.yml")]

    done = _restore_memory(gh, work)

    assert done.returncode != 0


@pytest.mark.parametrize(
    ("full_read", "expected"),
    [("", "--full-read-every 168"), ("false", "--full-read-every 168"), ("true", "--full-read")],
)
def test_the_scheduled_drift_reads_in_full_once_a_week_or_when_asked(
    gh: Runner, work: Path, full_read: str, expected: str
) -> None:
    gh.command("cspsync", 'echo "$@" > "$RUNNER_TEMP/args"; echo "<!-- cspsync-drift -->"\n')
    workflow = load("cspsync-drift.yml")

    gh.ok(
        script("cspsync-drift.yml", "Detect drift", "drift"),
        work,
        {
            "FULL_READ": full_read,
            "CSPSYNC_DRIFT_FULL_READ_EVERY": workflow["env"]["CSPSYNC_DRIFT_FULL_READ_EVERY"],
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_RUN_ID": "50",
        },
    )

    assert (gh.temp / "args").read_text().strip() == f"drift customers --format markdown {expected}"
