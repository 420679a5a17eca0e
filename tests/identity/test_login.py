"""``cspsync login`` through msal against the served emulator's sign-in."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.cli import runner

from .conftest import control


def test_login_keeps_the_refresh_token_in_the_cache_and_never_prints_it(
    sandbox: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "rt.txt"
    result = runner(capsys)("login", "--target", "partner-center-sandbox", "--refresh-token-file", str(out_file))
    assert result.code == 0, result.err
    assert "/_emulator/devicelogin and enter the code" in result.err
    assert result.out.splitlines()[0] == (
        "Signed in to partner-center-sandbox as admin.agent@contoso-partner.onmicrosoft.com "
        "(tenant 6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b), with MFA."
    )
    assert f"  gh secret set CSPSYNC_SANDBOX_REFRESH_TOKEN < {out_file} && rm {out_file}" in result.out
    token = out_file.read_text()
    assert token and token not in result.out + result.err
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    cache = Path(str(tmp_path / "token-cache.bin"))
    assert cache.exists()


def test_login_without_mfa_fails_and_says_what_to_do(
    sandbox: Path, served: str, capsys: pytest.CaptureFixture[str]
) -> None:
    control(served, mfa=False)
    result = runner(capsys)("login", "--target", "partner-center-sandbox")
    assert result.code == 1
    assert "signed in without multifactor authentication" in result.err
    assert "401, error 900421" in result.err
    assert "hint: require MFA for this user" in result.err
    assert runner(capsys)("auth", "status", str(sandbox / "customers")).out.count("no App+User identity") == 1


def test_login_needs_the_app_and_tenant(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CSPSYNC_SANDBOX_CLIENT_ID")
    result = runner(capsys)("login", "--target", "partner-center-sandbox")
    assert result.code == 1
    assert "cspsync login needs CSPSYNC_SANDBOX_CLIENT_ID" in result.err
