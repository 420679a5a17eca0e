"""The first credentialed step of every job, ``cspsync auth status customers/``, run as GitHub runs it (``bash -e``)
against the emulator served as the Partner Center sandbox: a missing credential fails it with its reason, and the
job stops there instead of failing halfway through a plan or apply."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli import runner as cli_runner
from tests.identity.conftest import sandbox, served

from .workflows import FILES, load, runner, steps

__all__ = ["sandbox", "served"]  # the identity tests' fixtures: a served emulator and a sandbox repository

NAME = "Check the Partner Center credentials"


def _check(tmp_path: Path, repository: Path) -> tuple[int, str, str]:
    gh = runner(tmp_path / "gh")
    gh.cspsync()
    credentials = {k: v for k, v in os.environ.items() if k.startswith("CSPSYNC_")}
    scripts = {s["run"] for path in FILES for s in steps(load(path.name)) if s.get("name") == NAME}
    assert len(scripts) == 1  # one step, the same in every job
    done = gh.run(scripts.pop(), repository, credentials)
    return done.returncode, done.stdout, done.stderr


def test_without_the_app_user_refresh_token_the_check_fails_and_says_what_is_missing(
    sandbox: Path, tmp_path: Path
) -> None:
    code, out, err = _check(tmp_path, sandbox)

    assert code == 1, out + err
    lines = out.splitlines()
    assert lines[0].startswith("target: partner-center-sandbox (integration sandbox, not production)")
    assert lines[2] == "App+User   FAIL  no App+User identity"
    assert (
        "  FAIL  customer_agreement                     App+User (MFA)  for agreement (Microsoft Customer Agreement)"
        in lines
    )
    assert lines[-2:] == [
        "  - neither a refresh token nor a `cspsync login` account for this tenant and app",
        "    fix: run `cspsync login` here, or set CSPSYNC_SANDBOX_REFRESH_TOKEN in CI",
    ]
    assert "Traceback" not in err and "emulator-only-secret" not in out + err


def test_with_every_identity_the_check_passes(
    sandbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_runner(capsys)("login", "--target", "partner-center-sandbox").code == 0

    code, out, err = _check(tmp_path, sandbox)

    assert code == 0, out + err
    assert out.splitlines()[-1] == "every operation the declarations need has an identity that can do it."


def test_a_repository_still_on_the_emulator_fails_the_check_with_what_to_change(
    declarations: Path, tmp_path: Path
) -> None:
    """The walkthrough starts on the emulator; workflows holding real credentials must not run against it."""
    code, out, err = _check(tmp_path, declarations)

    assert code == 1
    assert out == ""
    assert err.startswith(
        "Error: the target is the emulator (cspsync.yaml: target: emulator), which needs no sign-in\n"
    )
    assert "hint: set target: partner-center (or partner-center-sandbox) in cspsync.yaml" in err
