"""Fixtures for renderings made from a real run: the git repository of declarations and the emulator of
tests/gitops/conftest.py, shared rather than copied."""

from __future__ import annotations

from tests.gitops.conftest import applied, cspsync, declarations, emulator, store

__all__ = ["applied", "cspsync", "declarations", "emulator", "store"]
