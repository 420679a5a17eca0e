"""Reading the workflow files, and running their step scripts as GitHub would.

GitHub runs a ``run:`` script with no ``shell:`` as ``bash -e {0}`` (the script in a file, errexit but no
pipefail) and with ``shell: bash`` as ``bash --noprofile --norc -eo pipefail {0}``. The scripts here run under
the weaker of the two, so a script is only right when it sets what it needs itself. ``gh`` is a fake that
answers from JSON fixtures (``--jq`` through the real ``jq``) and logs every call.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml_rs

from .conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
#: GitHub's shell for a run step without ``shell:`` (docs: "bash -e {0}")
DEFAULT_SHELL = ("bash", "-e")


def load(name: str) -> dict[str, Any]:
    """A workflow read as YAML 1.2 (so ``on`` stays a key, not ``True``)."""
    document = yaml_rs.loads((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def step(workflow: dict[str, Any], name: str, job: str | None = None) -> dict[str, Any]:
    found = [s for s in (workflow["jobs"][job]["steps"] if job else steps(workflow)) if s.get("name") == name]
    assert found, name
    return found[0]


def script(workflow: str, name: str, job: str | None = None) -> str:
    text = step(load(workflow), name, job)["run"]
    assert isinstance(text, str)
    return text


FAKE_GH = '''#!{python}
"""gh as the workflow scripts use it: log the call, answer from $GH_FIXTURES, --jq through the real jq."""
import json, os, shutil, subprocess, sys

args = sys.argv[1:]
with open(os.environ["GH_LOG"], "a", encoding="utf-8") as log:
    log.write(" ".join(args) + "\\n")
fixtures = json.load(open(os.environ["GH_FIXTURES"], encoding="utf-8"))
TAKES_VALUE = {{"--method", "-X", "-f", "-F", "--field", "--raw-field", "--jq", "-q", "-H", "--repo", "-R",
               "--name", "-n", "--dir", "-D", "--ref", "--label", "--state", "--limit", "--json", "--title",
               "--body-file", "--comment", "--color", "--description"}}


def option(name):
    return args[args.index(name) + 1] if name in args else None


def positionals():
    found, skip = [], False
    for argument in args[1:]:
        if skip:
            skip = False
        elif argument in TAKES_VALUE:
            skip = True
        elif not argument.startswith("-"):
            found.append(argument)
    return found


def answer(document):
    text = json.dumps(document)
    expression = option("--jq")
    if expression is None:
        sys.stdout.write(text + "\\n")
        return
    done = subprocess.run(["jq", "-r", expression], input=text, capture_output=True, text=True)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    sys.exit(done.returncode)


command = " ".join(args[:2])
if args[0] == "api":
    path = positionals()[0]
    method = option("--method") or "GET"
    if method != "GET":
        sys.stdout.write("{{}}\\n")
    elif path in fixtures.get("api", {{}}):
        answer(fixtures["api"][path])
    else:
        sys.stderr.write("gh: Not Found (HTTP 404)\\n")
        sys.exit(1)
elif command == "issue list":
    answer(fixtures.get("issues", []))
elif command == "run download":
    source = os.path.join(os.environ["GH_ARTIFACTS"], positionals()[1], option("--name"))
    if not os.path.isdir(source):
        sys.stderr.write("no artifact matches\\n")
        sys.exit(1)
    shutil.copytree(source, option("--dir"), dirs_exist_ok=True)
'''


@dataclass
class Runner:
    """A place to run step scripts: a fake gh, GitHub's files ($GITHUB_OUTPUT, ...), $RUNNER_TEMP."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)
    fixtures: dict[str, Any] = field(default_factory=dict)

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def temp(self) -> Path:
        return Path(self.env["RUNNER_TEMP"])

    @property
    def artifacts(self) -> Path:
        return Path(self.env["GH_ARTIFACTS"])

    def artifact(self, run: int | str, name: str, files: dict[str, str]) -> None:
        """An artifact of run ``run`` that ``gh run download`` hands out."""
        for relative, text in files.items():
            path = self.artifacts / str(run) / name / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    def command(self, name: str, body: str) -> Path:
        """A stand-in for ``name`` on PATH (a bash script)."""
        path = self.bin / name
        path.write_text("#!/usr/bin/env bash\n" + body, encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
        return path

    def cspsync(self) -> None:
        """The cspsync of this checkout on PATH."""
        self.command("cspsync", f'exec {sys.executable} -m cspsync "$@"\n')
        self.env["PYTHONPATH"] = str(REPO)

    def calls(self) -> list[str]:
        log = Path(self.env["GH_LOG"])
        return log.read_text(encoding="utf-8").splitlines() if log.exists() else []

    def outputs(self) -> dict[str, str]:
        path = Path(self.env["GITHUB_OUTPUT"])
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        return dict(line.split("=", 1) for line in lines)

    def summary(self) -> str:
        return Path(self.env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")

    def run(
        self, text: str, cwd: Path, env: dict[str, str] | None = None, shell: tuple[str, ...] = DEFAULT_SHELL
    ) -> subprocess.CompletedProcess[str]:
        """``text`` as GitHub runs a step: written to a file, then ``bash -e FILE``."""
        Path(self.env["GH_FIXTURES"]).write_text(json.dumps(self.fixtures), encoding="utf-8")
        file = self.root / "step.sh"
        file.write_text(text, encoding="utf-8")
        return subprocess.run(
            [*shell, str(file)],
            cwd=cwd,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def ok(self, text: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        done = self.run(text, cwd, env)
        assert done.returncode == 0, done.stdout + done.stderr
        return done


def runner(tmp_path: Path) -> Runner:
    if shutil.which("jq") is None or shutil.which("bash") is None:
        pytest.skip("bash and jq are needed to run the workflow scripts")
    root = tmp_path / "runner"
    (root / "bin").mkdir(parents=True)
    (root / "temp").mkdir()
    (root / "artifacts").mkdir()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CSPSYNC_", "RUNNER_"))}
    made = Runner(
        root,
        env={
            **inherited,
            "PATH": f"{root / 'bin'}{os.pathsep}{os.environ['PATH']}",
            "RUNNER_TEMP": str(root / "temp"),
            "GITHUB_OUTPUT": str(root / "github_output"),
            "GITHUB_ENV": str(root / "github_env"),
            "GITHUB_PATH": str(root / "github_path"),
            "GITHUB_STEP_SUMMARY": str(root / "step_summary.md"),
            "GITHUB_RUN_ID": "99",
            "GH_LOG": str(root / "gh.log"),
            "GH_FIXTURES": str(root / "gh.json"),
            "GH_ARTIFACTS": str(root / "artifacts"),
            "GH_TOKEN": "fake",
            "REPOSITORY": "fabrikam/declarations",
        },
    )
    made.command("gh", "")  # replaced below by the Python fake
    gh = made.bin / "gh"
    gh.write_text(FAKE_GH.format(python=sys.executable), encoding="utf-8")
    return made
