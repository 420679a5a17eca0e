"""validate checks the integration sandbox's limits when cspsync.yaml targets it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import examples_workdir, runner


def _sandbox(work: Path) -> Path:
    config = work / "examples" / "cspsync.yaml"
    config.write_text(config.read_text().replace("target: emulator", "target: partner-center-sandbox"))
    return work / "examples" / "customers"


def test_the_sandbox_refuses_invitations_of_existing_tenants(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    customers = _sandbox(examples_workdir(tmp_path, monkeypatch))
    result = runner(capsys)("validate", str(customers))
    assert result.code == 1
    assert "litware.yaml" in result.out + result.err
    assert "the integration sandbox cannot invite a customer's existing tenant" in result.out + result.err


def test_the_sandbox_limits_licences_per_subscription(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    customers = _sandbox(examples_workdir(tmp_path, monkeypatch))
    for name in ("litware.yaml", "woodgrove-bank.yaml"):
        (customers / name).unlink()
    result = runner(capsys)("validate", str(customers))
    assert result.code == 1
    problem = [line for line in result.out.splitlines() if "licences" in line]
    assert len(problem) == 1
    assert problem[0].endswith(
        "spec.subscriptions[1].quantity: the integration sandbox allows 25 licences per subscription, not 40"
    )
    assert "adatum.yaml" in problem[0]


def test_the_emulator_target_has_no_sandbox_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    work = examples_workdir(tmp_path, monkeypatch)
    assert runner(capsys)("validate", str(work / "examples" / "customers")).code == 0
