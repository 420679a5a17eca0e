"""Fixtures: a repository in tmp_path holding the example cspsync.yaml (see support.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cspsync.declarations import check

from .support import EXAMPLES, TODAY, Repo


@pytest.fixture(scope="session", autouse=True)
def _imported_before_clocks_freeze() -> None:
    """Run one check first, so every module it imports lazily is imported before a test freezes the clock
    (a pydantic model defined under freezegun would see its fake date class)."""
    check([EXAMPLES / "customers"], today=TODAY)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    monkeypatch.chdir(tmp_path)
    return Repo(tmp_path)


@pytest.fixture
def customer_problems(repo: Repo) -> Callable[[str], list[str]]:
    """Problems of one customer file customers/c.yaml with the given text."""

    def run(text: str) -> list[str]:
        repo.write("customers/c.yaml", text)
        return repo.problems()

    return run
