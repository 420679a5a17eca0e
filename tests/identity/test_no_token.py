"""No token, no reading: when Partner Center's sign-in cannot give cspsync a token, plan, drift and apply stop
with that one error and what to check, instead of calling every declared customer "unknown" (twice each, in
a plan: 20,000 lines of one message for 10,000 customers). Apply plans first, through the same reading."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.cli import runner


def _closed_port() -> str:
    """A loopback address nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.mark.parametrize(
    ("command", "paths"),
    [
        ("plan", "customers"),  # the customer list
        ("plan", "customers/adatum.yaml"),  # one lookup per file
        ("drift", "customers"),
    ],
)
def test_a_sign_in_that_cannot_be_reached_is_one_error_not_every_customer_unknown(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str, paths: str
) -> None:
    monkeypatch.setenv("CSPSYNC_REHEARSAL_URL", _closed_port())

    result = runner(capsys)(command, str(sandbox / paths))

    assert result.code == 1
    assert result.err.startswith("Error: Could not get a Partner Center app token: ConnectError: "), result.err
    assert "  hint: check the network to login.microsoftonline.com and the app's credentials\n" in result.err
    assert "unknown" not in result.out + result.err
    assert "emulator-only-secret" not in result.out + result.err
    assert "Traceback" not in result.err
