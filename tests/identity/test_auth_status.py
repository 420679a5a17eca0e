"""``cspsync auth status``: identities, the MFA claim, refresh-token age, what the declarations need."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import runner

from .conftest import control


def _login(capsys: pytest.CaptureFixture[str], out_file: Path | None = None) -> None:
    args = ["login", "--target", "partner-center-sandbox"]
    if out_file is not None:
        args += ["--refresh-token-file", str(out_file)]
    assert runner(capsys)(*args).code == 0


def test_after_login_every_needed_operation_has_an_identity_and_the_plan_runs(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _login(capsys)
    run = runner(capsys)
    status = run("auth", "status", str(sandbox / "customers"))
    assert status.code == 0, status.out + status.err
    lines = status.out.splitlines()
    assert lines[0].startswith("target: partner-center-sandbox (integration sandbox, not production)")
    assert lines[1] == "app-only   ok    app-only token (app) for https://api.partnercenter.microsoft.com"
    assert lines[2] == (
        "App+User   ok    App+User from the token cache as admin.agent@contoso-partner.onmicrosoft.com; "
        "MFA claim: yes; signed in 0 day(s) ago"
    )
    assert (
        "  ok    customer_agreement                     App+User (MFA)  for agreement (Microsoft Customer Agreement)"
        in lines
    )
    assert lines[-1] == "every operation the declarations need has an identity that can do it."
    plan = run("plan", str(sandbox / "customers"))
    assert plan.code in (0, 2), plan.err
    assert plan.out.startswith("target: partner-center-sandbox (integration sandbox, not production)")


def test_an_mfa_less_refresh_token_in_ci_fails_the_first_step_with_what_to_do(
    sandbox: Path, served: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    control(served, mfa=False)
    # a refresh token got without MFA (say, before enforcement), stored as the CI secret
    import httpx
    import msal

    from cspsync.partnercenter.msalhttp import LoopbackTransport, MsalHttpClient

    from .conftest import CLIENT, TENANT

    public = msal.PublicClientApplication(
        CLIENT,
        authority=f"https://login.microsoftonline.com/{TENANT}",
        http_client=MsalHttpClient(LoopbackTransport(served)),
    )
    flow = public.initiate_device_flow(scopes=["https://api.partnercenter.microsoft.com/user_impersonation"])
    refresh = public.acquire_token_by_device_flow(flow)["refresh_token"]
    assert httpx.get(served + "/_emulator/requests", timeout=5).status_code == 200
    monkeypatch.setenv("CSPSYNC_TOKEN_CACHE", str(tmp_path / "no-cache-in-ci.bin"))
    monkeypatch.setenv("CSPSYNC_SANDBOX_REFRESH_TOKEN", refresh)
    monkeypatch.setenv("CSPSYNC_SANDBOX_REFRESH_TOKEN_ISSUED", "2026-11-01")
    status = runner(capsys)("auth", "status", str(sandbox / "customers"))
    assert status.code == 1
    assert (
        "App+User   FAIL  App+User from the environment as admin.agent@contoso-partner.onmicrosoft.com; MFA claim: no"
        in status.out
    )
    assert "  FAIL  customer_agreement" in status.out
    assert "  ok    read_customers" in status.out
    assert "Partner Center refuses App+User calls with 401, error 900421" in status.out
    assert "fix: require MFA for this user in Entra ID, run `cspsync login` again and replace the " in status.out
    assert refresh not in status.out + status.err
    assert "Replace the stored secret" in status.err  # it rotated: CI is told, not given the new one


def test_an_expired_refresh_token_says_sign_in_again(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CSPSYNC_TOKEN_CACHE", str(tmp_path / "no-cache-in-ci.bin"))
    monkeypatch.setenv("CSPSYNC_SANDBOX_REFRESH_TOKEN", "0.emu.revoked-or-expired")
    status = runner(capsys)("auth", "status", str(sandbox / "customers"))
    assert status.code == 1
    assert "invalid_grant" in status.out
    assert "run `cspsync login` and replace CSPSYNC_SANDBOX_REFRESH_TOKEN" in status.out


def test_no_app_user_identity_at_all(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = runner(capsys)("auth", "status", str(sandbox / "customers"))
    assert status.code == 1
    assert "App+User   FAIL  no App+User identity" in status.out
    assert "fix: run `cspsync login` here, or set CSPSYNC_SANDBOX_REFRESH_TOKEN in CI" in status.out
