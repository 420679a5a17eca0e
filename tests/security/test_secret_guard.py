"""The suite-wide secret guard (tests/conftest.py) catches leaks, and only leaks.

The first tests run small test files through pytest itself (pytester) with the real conftest, so a leak
must turn a passing test into a failure; the others call the guard's checker directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CONFTEST = (Path(__file__).resolve().parents[1] / "conftest.py").read_text(encoding="utf-8")


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    return pytester


def outcomes(suite: pytest.Pytester, source: str) -> tuple[dict[str, int], str]:
    suite.makepyfile(test_leaks=source)
    result = suite.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    return result.parseoutcomes(), result.stdout.str()


def test_a_registered_secret_printed_to_stdout_fails_the_test(suite: pytest.Pytester) -> None:
    counts, output = outcomes(
        suite,
        """
def test_prints(secret_registry):
    secret_registry.add("client-secret-value")
    print("token is client-secret-value")

def test_clean(secret_registry):
    secret_registry.add("client-secret-value")
    print("nothing to see")
""",
    )
    assert counts == {"failed": 1, "passed": 1}
    assert "secret leaked (value masked):" in output
    assert "captured stdout: cl…(19 chars)" in output
    assert "token is client-secret-value" not in output.split("Captured stdout call")[0]


def test_leaks_through_logs_files_clirunner_and_readouterr_are_caught(suite: pytest.Pytester) -> None:
    counts, output = outcomes(
        suite,
        """
import logging
import click
from click.testing import CliRunner

def test_log(secret_registry):
    secret_registry.add("s3cr3t-token")
    logging.getLogger("cspsync.partnercenter").warning("sending s3cr3t-token")

def test_file(secret_registry, tmp_path):
    secret_registry.add("s3cr3t-token")
    (tmp_path / ".cspsync" / "applies").mkdir(parents=True)
    (tmp_path / ".cspsync" / "applies" / "record.json").write_text('{"message": "s3cr3t-token"}')

def test_encrypted_and_database_files_are_not_scanned(secret_registry, tmp_path):
    secret_registry.add("s3cr3t-token")
    (tmp_path / "x.age").write_text("s3cr3t-token")
    (tmp_path / "emulator.db").write_text("s3cr3t-token")

def test_cli_runner(secret_registry):
    secret_registry.add("s3cr3t-token")
    @click.command()
    def show():
        click.echo("password: s3cr3t-token")
    assert CliRunner().invoke(show).exit_code == 0

def test_readouterr(secret_registry, capsys):
    secret_registry.add("s3cr3t-token")
    print("s3cr3t-token")
    assert "s3cr3t-token" in capsys.readouterr().out
""",
    )
    assert counts == {"failed": 4, "passed": 1}
    for where in (
        "log record: s3…",
        "file .cspsync/applies/record.json: s3…",
        "CliRunner output: s3…",
        "stdout (readouterr): s3…",
    ):
        assert where in output


@pytest.mark.reveals_secrets("the inner run's report shows the password its leaking test printed")
def test_emulator_passwords_are_registered_and_caught(suite: pytest.Pytester) -> None:
    counts, output = outcomes(
        suite,
        """
import httpx
from cspsync.emulator import EmulatorApp, Store, transport

BODY = {
    "CompanyProfile": {"Domain": "leaky.onmicrosoft.com"},
    "BillingProfile": {
        "Email": "a@leaky.co.uk", "Culture": "en-GB", "Language": "en", "CompanyName": "Leaky Ltd",
        "DefaultAddress": {"AddressLine1": "1 Wheel Street", "City": "Bristol", "PostalCode": "BS1 4DJ",
                           "Country": "GB", "FirstName": "A", "LastName": "B"},
    },
}

def create(secret_registry):
    with httpx.Client(transport=transport(EmulatorApp(Store())), base_url="https://pc.example",
                      headers={"Authorization": "Bearer t"}) as http:
        created = http.post("/v1/customers", json=BODY).json()
    assert secret_registry.passwords == [created["userCredentials"]["password"]]
    return created["userCredentials"]["password"]

def test_kept_secret(secret_registry):
    create(secret_registry)

def test_printed(secret_registry):
    print(create(secret_registry))
""",
    )
    assert counts == {"failed": 1, "passed": 1}
    assert "test_printed" in output and "captured stdout:" in output


def test_a_command_that_reveals_by_design_is_marked_and_its_files_still_checked(suite: pytest.Pytester) -> None:
    counts, output = outcomes(
        suite,
        """
import pytest

@pytest.mark.reveals_secrets("shows the password to its holder")
def test_show(secret_registry):
    secret_registry.add("s3cr3t-token")
    print("password: s3cr3t-token")

@pytest.mark.reveals_secrets("shows the password to its holder")
def test_show_and_save(secret_registry, tmp_path):
    secret_registry.add("s3cr3t-token")
    (tmp_path / "saved.txt").write_text("s3cr3t-token")
""",
    )
    assert counts == {"passed": 1, "failed": 1}
    assert "file saved.txt: s3…" in output


def test_the_checker_finds_escaped_and_mailed_forms(secret_registry: Any, tmp_path: Path) -> None:
    secret = "Ab&c<d>\"e'f-123"
    secret_registry.add(secret)
    import email.message
    import html
    import json

    mail = email.message.EmailMessage()
    mail.set_content(f"your password is {secret}\n" + "é" * 200, cte="base64")
    (tmp_path / "outbox.eml").write_bytes(bytes(mail))
    assert secret_registry.leaks_in(html.escape(secret)) == [secret]
    assert secret_registry.leaks_in(json.dumps({"p": secret})) == [secret]
    assert secret_registry.leaks_in("nothing") == []
    found = secret_registry.findings(streams={})
    assert found == ["file outbox.eml: Ab…(15 chars)"]
    (tmp_path / "outbox.eml").unlink()  # this test's own leak, planted on purpose


def test_short_values_are_refused_as_secrets(secret_registry: Any) -> None:
    with pytest.raises(ValueError, match="at least 6 characters"):
        secret_registry.add("abc")
