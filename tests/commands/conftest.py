"""Fixtures of tests/declarations/conftest.py for the commands over declarations (``cspsync validate``)."""

from __future__ import annotations

from tests.declarations.conftest import _imported_before_clocks_freeze, repo

__all__ = ["_imported_before_clocks_freeze", "repo"]
