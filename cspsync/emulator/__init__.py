"""A Partner Center emulator: the real wire format over SQLite state, with faults on demand.

One implementation served two ways: :func:`transport` wraps an :class:`EmulatorApp` in
``httpx.MockTransport`` for in-process use, :func:`serve` puts it on loopback HTTP. See
``examples/emulator-seed.yaml`` for the world it starts with.
"""

from __future__ import annotations

import httpx

from cspsync.emulator.app import EmulatorApp
from cspsync.emulator.injection import Faults, faults_from_environment
from cspsync.emulator.server import EmulatorServer, serve
from cspsync.emulator.store import DuplicateError, Store
from cspsync.emulator.world import DEFAULT_WORLD, load_seed

__all__ = [
    "DEFAULT_WORLD",
    "DuplicateError",
    "EmulatorApp",
    "EmulatorServer",
    "Faults",
    "Store",
    "faults_from_environment",
    "load_seed",
    "serve",
    "transport",
]


def transport(app: EmulatorApp) -> httpx.MockTransport:
    """An httpx transport that hands every request to ``app`` in process."""
    return httpx.MockTransport(app)
