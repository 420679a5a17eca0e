"""Which client a target gets: paced like Partner Center unless the emulator is asked to run unpaced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cspsync.declarations import Repository, load_repository
from cspsync.errors import ConfigError
from cspsync.partnercenter import Limits
from cspsync.partnercenter.retry import UNPACED
from cspsync.target import UNPACED_ENV, connect, emulator_limits
from cspsync.workspace import Workspace

from .cli import examples_workdir

PARTNER_CENTER_ENV = {"CSPSYNC_TENANT_ID": "t", "CSPSYNC_CLIENT_ID": "c", "CSPSYNC_CLIENT_SECRET": "s3cr3t-value"}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repository:
    root = examples_workdir(tmp_path, monkeypatch) / "examples"
    return load_repository([root / "customers"], config_path=root / "cspsync.yaml")


def limits_of(repo: Repository, target: str, env: dict[str, str]) -> Limits:
    connection = connect(repo, target, Workspace(repo.root / ".cspsync"), correlation_id="c", env=env)  # type: ignore[arg-type]
    try:
        return connection.client.limits
    finally:
        connection.close()


@pytest.mark.parametrize(("flag", "expected"), [(None, Limits()), ("0", Limits()), ("1", UNPACED), (" 1 ", UNPACED)])
def test_the_emulator_is_paced_unless_asked_not_to_be(flag: str | None, expected: Limits) -> None:
    assert emulator_limits({} if flag is None else {UNPACED_ENV: flag}) == expected


def test_a_flag_that_is_neither_1_nor_0_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"CSPSYNC_EMULATOR_UNPACED must be 1 .* not 'yes'"):
        emulator_limits({UNPACED_ENV: "yes"})


def test_the_in_process_and_the_served_emulator_honour_the_flag(repo: Repository) -> None:
    served = {"CSPSYNC_EMULATOR_URL": "http://127.0.0.1:9"}
    assert limits_of(repo, "emulator", {}) == Limits()
    assert limits_of(repo, "emulator", {UNPACED_ENV: "1"}) == UNPACED
    assert limits_of(repo, "emulator", served) == Limits()
    assert limits_of(repo, "emulator", {**served, UNPACED_ENV: "1"}) == UNPACED


def test_partner_center_is_always_paced(repo: Repository) -> None:
    assert limits_of(repo, "partner-center", {**PARTNER_CENTER_ENV, UNPACED_ENV: "1"}) == Limits()


def test_every_test_runs_unpaced_unless_it_is_marked_paced() -> None:
    assert os.environ[UNPACED_ENV] == "1"


@pytest.mark.paced
def test_a_paced_test_gets_the_default_limits(repo: Repository) -> None:
    assert UNPACED_ENV not in os.environ
    assert limits_of(repo, "emulator", dict(os.environ)) == Limits()
