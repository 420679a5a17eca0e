"""Suite-wide fixtures: an unpaced emulator, and secret hygiene.

**Pacing.** The client paces itself at 10 requests per second against any target (cspsync/target.py).
Every test runs with ``CSPSYNC_EMULATOR_UNPACED=1`` (autouse fixture ``unpaced_emulator``), so the
emulator target, in process or served, answers as fast as it works and child processes inherit it. A
test about pacing marks itself ``@pytest.mark.paced`` and gets the default limits; unit tests of the
limiter build their own clients with explicit ``Limits`` and a fake clock (tests/partnercenter/).

**Durability.** ``os.fsync`` is a no-op in tests (autouse fixture ``no_fsync``, and in the children of
tests/faults/launcher.py): it guards files against a power cut, which no test can cause, while a killed
process's writes survive in the page cache anyway. At ~5 ms a call it was a tenth of the suite's time. A
test about fsync marks itself ``@pytest.mark.fsync`` and gets the real one.

**Golden files.** The ``golden`` fixture compares renderings with ``golden/`` next to the test module
(tests/golden.py); ``python -m pytest --update-golden`` rewrites them. ``fixed_ids`` replaces
``uuid.uuid4`` by :class:`tests.golden.FixedIds` for the test.

**Secrets.** A test fails if a secret it handled shows up where a person could read it.

One autouse fixture, ``secret_registry``, records the secrets of each test:

- every tenant admin password the emulator generates (its one generator,
  ``cspsync.emulator.handlers.customers._strong_password``, is wrapped for the test);
- values a test registers itself: ``secret_registry.add("client-secret-value")``.

When the test's call phase ends, :func:`pytest_runtest_makereport` looks for them in everything the test
let out: pytest's captured stdout, stderr and log text, what ``capsys``/``capfd.readouterr()`` handed the
test, what click's ``CliRunner`` captured, every log record emitted (any level that was enabled), and
every file under the test's ``tmp_path`` (except ``*.age`` credential files and the emulator's SQLite
files; only files under 5 MiB). A hit turns the test into a failure that names where the secret was,
never the secret itself.

A test of a command that shows a secret by design (``cspsync credentials show``) marks itself
``@pytest.mark.reveals_secrets("why")``: its output streams are then not checked (logs and files still
are).
"""

from __future__ import annotations

import email
import email.policy
import html
import json
import logging
import os
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.golden import UPDATE_OPTION, FixedIds, Golden

MAX_SCANNED_BYTES = 5 * 1024 * 1024
#: files never scanned: encrypted credentials, and the emulator's database (its own business)
SKIPPED_SUFFIXES = (".age", ".db", ".db-wal", ".db-shm", ".db-journal")
#: shorter values would match by accident (and are not secrets worth the name)
MIN_SECRET_LENGTH = 6

pytest_plugins = ["pytester"]

_GUARD_KEY = pytest.StashKey["SecretRegistry"]()


def _variants(secret: str) -> set[str]:
    """The forms a secret takes in the places we look: as is, HTML-, JSON- and URL-escaped."""
    return {secret, html.escape(secret, quote=True), json.dumps(secret)[1:-1], quote(secret, safe="")}


def mask(secret: str) -> str:
    """How a leak is named in a failure: never the value, only its first two characters and length."""
    return f"{secret[:2]}…({len(secret)} chars)"


class _Recorder(logging.Handler):
    """Keeps the text of every log record emitted while the test runs."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a broken format string is not our concern here
            text = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + repr(record.exc_info[1])
        self.texts.append(text)


@dataclass
class SecretRegistry:
    """The secrets of one test and the places they must not appear."""

    secrets: set[str] = field(default_factory=set)
    passwords: list[str] = field(default_factory=list)
    #: (where, text) seen by the test: CliRunner results, readouterr() results
    streams: list[tuple[str, str]] = field(default_factory=list)
    tmp_path: Path | None = None
    log: _Recorder = field(default_factory=_Recorder)

    def add(self, value: str) -> None:
        """Register a secret (an env-like value the test uses); short values are refused as too weak."""
        if len(value) < MIN_SECRET_LENGTH:
            raise ValueError(f"a registered secret must have at least {MIN_SECRET_LENGTH} characters")
        self.secrets.add(value)

    def record_password(self, password: str) -> None:
        self.passwords.append(password)
        self.secrets.add(password)

    # ----------------------------------------------------------------------------------- checking

    def leaks_in(self, text: str) -> list[str]:
        """The registered secrets found in ``text`` (raw or escaped)."""
        return sorted(s for s in self.secrets if any(v in text for v in _variants(s)))

    def leaks_in_bytes(self, data: bytes) -> list[str]:
        found = {s for s in self.secrets if any(v.encode() in data for v in _variants(s))}
        if data[:4096].lstrip().lower().startswith((b"from:", b"to:", b"subject:", b"content-type:", b"mime-")) or (
            b"\nContent-Transfer-Encoding:" in data
        ):
            found.update(self.leaks_in(_decoded_mail(data)))
        return sorted(found)

    def files(self) -> Iterator[Path]:
        if self.tmp_path is None or not self.tmp_path.is_dir():
            return
        for directory, _subdirs, names in os.walk(self.tmp_path):
            for name in names:
                if name.endswith(SKIPPED_SUFFIXES):
                    continue
                path = Path(directory) / name
                try:
                    if path.is_file() and not path.is_symlink() and path.stat().st_size < MAX_SCANNED_BYTES:
                        yield path
                except OSError:
                    continue

    def findings(self, *, streams: dict[str, str], check_streams: bool = True) -> list[str]:
        """Where each registered secret was found: ``"<place>: <masked secret>"``."""
        if not self.secrets:
            return []
        found: list[str] = []
        if check_streams:
            for where, text in [*streams.items(), *self.streams]:
                found += [f"{where}: {mask(s)}" for s in self.leaks_in(text)]
        for text in self.log.texts:
            found += [f"log record: {mask(s)}" for s in self.leaks_in(text)]
        for path in self.files():
            try:
                data = path.read_bytes()
            except OSError:
                continue
            shown = path.relative_to(self.tmp_path) if self.tmp_path else path
            found += [f"file {shown}: {mask(s)}" for s in self.leaks_in_bytes(data)]
        return sorted(set(found))


def _decoded_mail(data: bytes) -> str:
    """The decoded text parts of an e-mail (base64 or quoted-printable bodies hide a plain search)."""
    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
        parts = []
        for part in message.walk():
            if part.get_content_maintype() == "text":
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    parts.append(payload.decode(part.get_content_charset() or "utf-8", errors="replace"))
        return "\n".join(parts)
    except Exception:
        return ""


def _wrap_password_generator(monkeypatch: pytest.MonkeyPatch, registry: SecretRegistry) -> None:
    from cspsync.emulator.handlers import customers

    generate: Callable[[], str] = customers._strong_password

    def recorded() -> str:
        password = generate()
        registry.record_password(password)
        return password

    monkeypatch.setattr(customers, "_strong_password", recorded)


def _watch_click_runner(monkeypatch: pytest.MonkeyPatch, registry: SecretRegistry) -> None:
    from click.testing import CliRunner

    invoke = CliRunner.invoke

    def watched(self: CliRunner, *args: Any, **kwargs: Any) -> Any:
        result = invoke(self, *args, **kwargs)
        registry.streams.append(("CliRunner output", result.stdout_bytes.decode("utf-8", "replace")))
        if result.stderr_bytes:
            registry.streams.append(("CliRunner stderr", result.stderr_bytes.decode("utf-8", "replace")))
        return result

    monkeypatch.setattr(CliRunner, "invoke", watched)


def _watch_readouterr(monkeypatch: pytest.MonkeyPatch, registry: SecretRegistry) -> None:
    readouterr = pytest.CaptureFixture.readouterr

    def watched(self: pytest.CaptureFixture[Any]) -> Any:
        captured = readouterr(self)
        for where, text in (("stdout (readouterr)", captured.out), ("stderr (readouterr)", captured.err)):
            if text:
                registry.streams.append((where, text if isinstance(text, str) else text.decode("utf-8", "replace")))
        return captured

    monkeypatch.setattr(pytest.CaptureFixture, "readouterr", watched)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        UPDATE_OPTION,
        action="store_true",
        default=False,
        help="rewrite the golden files the selected tests check (tests/**/golden/) instead of comparing",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """The golden files next to the test module: ``golden.check("name.txt", rendered)``."""
    path = Path(request.path)
    update = bool(request.config.getoption(UPDATE_OPTION))
    return Golden(
        path.parent / "golden", update=update, test_path=path, invoked_from=request.config.invocation_params.dir
    )


@pytest.fixture
def fixed_ids(monkeypatch: pytest.MonkeyPatch) -> FixedIds:
    """``uuid.uuid4`` gives the same ids in every run of the test (see :class:`tests.golden.FixedIds`)."""
    ids = FixedIds()
    monkeypatch.setattr(uuid, "uuid4", ids.uuid4)
    return ids


@pytest.fixture(autouse=True)
def unpaced_emulator(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """``CSPSYNC_EMULATOR_UNPACED=1`` for the test, unless it is marked ``paced``."""
    from cspsync.target import UNPACED_ENV

    if request.node.get_closest_marker("paced") is None:
        monkeypatch.setenv(UNPACED_ENV, "1")
    else:
        monkeypatch.delenv(UNPACED_ENV, raising=False)


@pytest.fixture(autouse=True)
def no_fsync(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """``os.fsync`` does nothing for the test, unless it is marked ``fsync``."""
    if request.node.get_closest_marker("fsync") is None:
        monkeypatch.setattr(os, "fsync", skip_fsync)


def skip_fsync(fd: int) -> None:
    """Stands in for ``os.fsync``: checks ``fd`` is open, does not wait for the disk."""
    os.fstat(fd)


@pytest.fixture(autouse=True)
def _instant_gdap(monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulator target makes Graph's GDAP steps take seconds (so the README's job shows an access
    assignment pending); tests that run commands against it do not wait, unless they set the delay again."""
    monkeypatch.setenv("CSPSYNC_EMULATOR_GDAP_SECONDS", "0")


@pytest.fixture(autouse=True)
def secret_registry(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretRegistry]:
    """Every test's secrets; ``secret_registry.add(value)`` registers one more."""
    registry = SecretRegistry()
    if "tmp_path" in request.fixturenames:
        registry.tmp_path = request.getfixturevalue("tmp_path")
    _wrap_password_generator(monkeypatch, registry)
    _watch_click_runner(monkeypatch, registry)
    _watch_readouterr(monkeypatch, registry)
    request.node.stash[_GUARD_KEY] = registry
    root = logging.getLogger()
    root.addHandler(registry.log)
    try:
        yield registry
    finally:
        root.removeHandler(registry.log)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fsync: the test is about fsync; os.fsync is the real one")
    config.addinivalue_line(
        "markers", "paced: the test is about the client's pacing against the emulator; it runs with the default limits"
    )
    config.addinivalue_line(
        "markers", "reveals_secrets(reason): the command under test shows a secret by design; streams are not checked"
    )
    _import_every_module()


def _import_every_module() -> None:
    """Import all of cspsync before any test freezes the clock.

    cspsync imports its models lazily (start-up time of ``cspsync validate``), and a pydantic model whose
    module is first imported under ``freezegun.freeze_time`` is built with freezegun's ``FakeDate`` and
    fails. Whether a test passes must not depend on which test imported a module first.
    """
    import importlib
    import pkgutil

    import cspsync

    for module in pkgutil.walk_packages(cspsync.__path__, "cspsync."):
        if not module.name.endswith(".__main__"):  # running the command is not importing it
            importlib.import_module(module.name)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    registry = item.stash.get(_GUARD_KEY, None)
    if registry is None or call.when != "call" or report.outcome == "skipped":
        return report
    streams = {"captured stdout": report.capstdout, "captured stderr": report.capstderr, "captured log": report.caplog}
    reveals = item.get_closest_marker("reveals_secrets") is not None
    leaks = registry.findings(streams=streams, check_streams=not reveals)
    if leaks:
        report.outcome = "failed"
        report.longrepr = "secret leaked (value masked):\n  " + "\n  ".join(leaks)
    return report
