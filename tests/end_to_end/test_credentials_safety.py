"""Credentials are never lost silently: a failed write stops the apply after the one create at risk, the
record keeps every action done so far, a lost password fails the apply and is listed, and
``cspsync credentials reset`` recovers it through Partner Center's customer users API (the emulator's too).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import cspsync.emulator as emulator_module
from cspsync import secrets
from cspsync.apply import handlers
from cspsync.emulator import Store
from cspsync.plan.model import Kind
from tests.cli import Run

from .test_identity import LoseCreateAnswer

CUSTOMERS = "examples/customers"
CONFIG = "examples/cspsync.yaml"
CREDENTIALS = Path("examples/.cspsync/credentials")
CREATED = ("alpineskihouse.onmicrosoft.com", "contosobikes.onmicrosoft.com", "fourthcoffeefr.onmicrosoft.com")


def tenants(workdir: Path) -> list[str]:
    store = Store(workdir / ".cspsync" / "emulator.db")
    try:
        return [d for d in CREATED if store.tenant_by_domain(d) is not None]
    finally:
        store.close()


def record(workdir: Path) -> dict[str, Any]:
    records = sorted((workdir / ".cspsync" / "applies").glob("*.json"))
    assert records, "no apply record"
    document: dict[str, Any] = json.loads(records[-1].read_text())
    return document


def test_a_credentials_path_that_is_a_file_stops_the_apply_before_any_create(cspsync: Run, workdir: Path) -> None:
    (workdir / CREDENTIALS).parent.mkdir(parents=True, exist_ok=True)
    (workdir / CREDENTIALS).write_text("not a folder\n")

    result = cspsync("apply", CUSTOMERS, "--yes")

    assert result.code == 1, result.out + result.err
    assert "Traceback" not in result.err
    assert "the apply stopped before its other actions: the credentials folder" in result.err
    assert "cannot be written" in result.err and "no tenant is created" in result.err
    assert "make credentials.directory of cspsync.yaml a writable folder" in result.err
    assert tenants(workdir) == []
    document = record(workdir)
    assert document["finished_at"] and document["stopped"]
    assert {a["status"] for a in document["actions"]} <= {"skipped", "waiting"}
    assert "✓" not in result.out


def _fail_store_writes(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """The credentials file of a new tenant cannot be written; the probe before the create still can."""
    if how == "mkstemp":
        real = tempfile.mkstemp

        def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
            if kwargs.get("suffix") == ".age":
                raise OSError(errno.EACCES, "Permission denied")
            return real(*args, **kwargs)

        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    else:
        real_fsync = os.fsync

        def fsync(fd: int) -> None:
            if os.readlink(f"/proc/self/fd/{fd}").endswith(".age"):
                raise OSError(errno.ENOSPC, "No space left on device")
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", fsync)


@pytest.mark.parametrize("how", ["mkstemp", "disk-full-at-fsync"])
def test_a_failed_credentials_write_stops_the_apply_after_the_one_create_at_risk(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    with monkeypatch.context() as patch:
        _fail_store_writes(patch, how)
        result = cspsync("apply", CUSTOMERS, "--yes")

    assert result.code == 1, result.out + result.err
    assert "Traceback" not in result.err
    assert len(tenants(workdir)) == 1  # the one whose password was at risk; no other create ran after it
    document = record(workdir)
    creates = {a["id"]: a for a in document["actions"] if a["kind"] == "create-customer"}
    failed = [a for a in creates.values() if a["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["details"]["passwordLost"] is True
    assert {a["status"] for a in creates.values()} == {"failed", "skipped"}
    name = failed[0]["customer"]
    assert f"{name}: the admin password of" in result.err
    assert f"cspsync credentials reset {name}" in result.err
    assert "the apply stops so no other tenant's password is lost" in result.out
    assert document["finished_at"] is not None and document["stopped"]
    done = [a["id"] for a in document["actions"] if a["status"] == "done"]
    assert all(f"✓ {action_id}: done" in result.out for action_id in done)  # the record has all that ran

    listed = cspsync("credentials", "list", "--config", CONFIG)
    assert f"LOST {name}" in listed.out and f"cspsync credentials reset {name}" in listed.out


def test_an_internal_error_keeps_the_record_of_everything_done_and_exits_3(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("a bug in an order")

    monkeypatch.setitem(handlers.HANDLERS, Kind.ORDER_SUBSCRIPTION, broken)
    result = cspsync("apply", CUSTOMERS, "--yes", "--workers", "1")

    assert result.code == 3, result.out + result.err
    assert "the apply stopped: internal error in" in result.err
    assert "every action done so far is in the apply record" in result.err
    document = record(workdir)
    statuses = {a["id"]: a["status"] for a in document["actions"]}
    assert document["finished_at"] is not None
    assert "done" in statuses.values()
    assert [s for s in statuses.values() if s == "failed"] == ["failed"]
    assert not any(s == "started" for s in statuses.values())


@pytest.fixture
def lost_password(cspsync: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """Contoso's create answer is lost: its tenant exists, its password was never stored."""
    with monkeypatch.context() as patch:
        patch.setattr(
            emulator_module, "transport", lambda app: httpx.MockTransport(LoseCreateAnswer(app, httpx.ReadTimeout))
        )
        assert cspsync("apply", "examples/customers/contoso-bikes.yaml", "--yes").code == 1


def test_credentials_reset_sets_a_new_admin_password_and_stores_it_encrypted(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch, lost_password: None, secret_registry: Any
) -> None:
    generated: list[str] = []
    real = secrets.new_password

    def recorded(length: int = 20) -> Any:
        password = real(length)
        generated.append(password.get_secret_value())
        secret_registry.add(password.get_secret_value())
        return password

    monkeypatch.setattr("cspsync.commands.credentials.new_password", recorded)
    assert "LOST contoso-bikes" in cspsync("credentials", "list", "--config", CONFIG).out

    result = cspsync("credentials", "reset", "contoso-bikes", "--config", CONFIG, "--yes")

    assert result.code == 0, result.out + result.err
    assert "Reset the password of admin@contosobikes.onmicrosoft.com" in result.out
    assert "it must be changed at the next sign-in" in result.out
    files = sorted((workdir / CREDENTIALS).glob("contoso-bikes.*.age"))
    assert len(files) == 1
    stored = secrets.decrypt(files[0], workdir / "examples/keys/demo-identity.agekey")
    assert stored.user_name == "admin@contosobikes.onmicrosoft.com"
    store = Store(workdir / ".cspsync" / "emulator.db")
    try:
        tenant = store.tenant_by_domain("contosobikes.onmicrosoft.com")
        assert tenant is not None and stored.tenant_id == tenant.id
        resets = store.password_resets(tenant.id)
    finally:
        store.close()
    assert [r["sha256"] for r in resets] == [hashlib.sha256(generated[0].encode()).hexdigest()]
    assert hashlib.sha256(stored.password.get_secret_value().encode()).hexdigest() == resets[0]["sha256"]
    listed = cspsync("credentials", "list", "--config", CONFIG)
    assert "LOST" not in listed.out
    assert str(files[0].name) in listed.out


def test_credentials_reset_refuses_a_customer_no_apply_created_or_adopted(cspsync: Run, workdir: Path) -> None:
    result = cspsync("credentials", "reset", "tailspin-toys", "--config", CONFIG, "--yes")
    assert result.code == 1
    assert "no apply of this repository created or adopted tailspin-toys" in result.err
    assert "nothing was reset" in result.err


def test_credentials_reset_that_partner_center_refuses_keeps_no_file(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch, lost_password: None
) -> None:
    def refusing(app: Any) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            if request.method == "PATCH" and "/users/" in request.url.path:
                return httpx.Response(
                    403, json={"code": 900403, "description": "Access to this resource is forbidden."}
                )
            answer: httpx.Response = app(request)
            return answer

        return httpx.MockTransport(handle)

    monkeypatch.setattr(emulator_module, "transport", refusing)
    result = cspsync("credentials", "reset", "contoso-bikes", "--config", CONFIG, "--yes")

    assert result.code == 1, result.out + result.err
    assert "Traceback" not in result.err
    assert list((workdir / CREDENTIALS).glob("contoso-bikes.*.age")) == []
    assert "LOST contoso-bikes" in cspsync("credentials", "list", "--config", CONFIG).out


def test_an_apply_record_that_cannot_be_written_is_printed_and_fails_the_apply(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if "/applies/" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr("cspsync.workspace.os.fsync", fsync)
    result = cspsync("apply", "examples/customers/adatum.yaml", "--yes")

    assert result.code == 1, result.out + result.err
    assert "✓ adatum/create-agreement: done" in result.out
    assert "The apply record could not be written" in result.err
    printed = json.loads(result.err.split("keep it:\n", 1)[1].split("\nError:", 1)[0])
    assert {a["id"]: a["status"] for a in printed["actions"]}["adatum/create-agreement"] == "done"
    assert "the apply record could not be written" in result.err


def test_credentials_show_after_a_reset_shows_the_current_password_and_not_the_replaced_one(
    cspsync: Run, workdir: Path
) -> None:
    """Both passwords were printed, unmarked, though the reset had made the first one useless."""
    assert cspsync("apply", "examples/customers/contoso-bikes.yaml", "--yes").code == 0
    for _ in range(2):
        time.sleep(1.05)  # a reset's file is named to the second
        assert cspsync("credentials", "reset", "contoso-bikes", "--config", CONFIG, "--yes").code == 0
    key = workdir / "examples/keys/demo-identity.agekey"
    files = sorted((workdir / CREDENTIALS).glob("contoso-bikes.*.age"))
    stored = sorted((secrets.decrypt(f, key) for f in files), key=lambda c: c.created_at)
    assert len(stored) == 3
    first, second, current = (c.password.get_secret_value() for c in stored)

    shown = cspsync("credentials", "show", "contoso-bikes", "--identity", str(key), "--config", CONFIG)

    assert shown.code == 0, shown.err
    assert shown.out.count("password:  ") == 1
    assert f"password:  {current}\n" in shown.out
    assert first not in shown.out and second not in shown.out
    for older, newer in ((0, 1), (1, 2)):  # each replaced by the reset after it, not all by the last
        assert (
            f"replaced:  the password stored {stored[older].created_at.isoformat()} no longer works: a reset on "
            f"{stored[newer].created_at.isoformat()} replaced it (not shown)\n"
        ) in shown.out


#: the demo recipient of examples/keys/demo-identity.agekey
DEMO_RECIPIENT = "age1lpkwk9hjx7l8vyfmkepfmmcnrulum6xhskmhqe8q0vnxuzgteqxs0y05cf"


def _store_contoso(
    workdir: Path,
    *,
    domain: str = "contosobikes.onmicrosoft.com",
    user_name: str = "admin@contosobikes.onmicrosoft.com",
) -> None:
    """Contoso's credentials stored as apply stores them (password Hv7!q2Lm#9xRt4Wz), for `credentials show`."""
    import datetime as dt

    from pydantic import SecretStr

    stored = secrets.TenantCredentials(
        customer="contoso-bikes",
        tenant_id="5f2d9a61-8c3b-4e7a-9d1f-2b6c8e0a4d73",
        domain=domain,
        user_name=user_name,
        password=SecretStr("Hv7!q2Lm#9xRt4Wz"),
        created_at=dt.datetime(2026, 12, 3, 11, 0, tzinfo=dt.UTC),
    )
    secrets.store(workdir / CREDENTIALS, stored, [DEMO_RECIPIENT])


def test_credentials_show_prints_partner_centers_names_escaped(cspsync: Run, workdir: Path) -> None:
    """The domain and user name are Partner Center's answer: a control character in them is shown escaped."""
    _store_contoso(
        workdir,
        domain="contosobikes.onmicrosoft.com\x1b]8;;https://evil.example\x07",
        user_name="admin@contosobikes.onmicrosoft.com\n::error::forged",
    )
    key = workdir / "examples/keys/demo-identity.agekey"

    shown = cspsync("credentials", "show", "contoso-bikes", "--identity", str(key), "--config", CONFIG)

    assert shown.code == 0, shown.err
    assert "tenant:    contosobikes.onmicrosoft.com\\x1b]8;;https://evil.example\\x07 (5f2d9a61-" in shown.out
    assert "user name: admin@contosobikes.onmicrosoft.com\\n::error::forged\n" in shown.out
    assert "\x1b" not in shown.out


@pytest.mark.parametrize(
    "plaintext",
    [
        b'{"customer": "contoso-bikes", "password": "Hv7!q2Lm#9xRt4Wz"}',
        b'["Hv7!q2Lm#9xRt4Wz"]',
        b"Hv7!q2Lm#9xRt4Wz not json",
    ],
    ids=["fields-missing", "not-an-object", "not-json"],
)
def test_credentials_show_of_a_file_that_is_not_cspsyncs_says_so_without_its_contents(
    cspsync: Run, workdir: Path, plaintext: bytes
) -> None:
    """A file encrypted to the partner's recipients by hand (or by another tool) decrypts: it is refused with
    what is missing, exit 1, no traceback and nothing of what it holds (it may be a password)."""
    import pyrage

    recipient = pyrage.x25519.Recipient.from_str(DEMO_RECIPIENT)
    folder = workdir / CREDENTIALS
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "contoso-bikes.5f2d9a61-8c3b-4e7a-9d1f-2b6c8e0a4d73.age").write_bytes(
        pyrage.encrypt(plaintext, [recipient])
    )
    key = workdir / "examples/keys/demo-identity.agekey"

    shown = cspsync("credentials", "show", "contoso-bikes", "--identity", str(key), "--config", CONFIG)

    assert shown.code == 1, shown.out + shown.err
    assert "decrypts, but is not a credentials file cspsync wrote" in shown.err
    assert "Traceback" not in shown.err and "Hv7!q2Lm#9xRt4Wz" not in shown.out + shown.err


def test_credentials_show_with_an_identity_file_that_is_not_text_says_so(cspsync: Run, workdir: Path) -> None:
    """--identity pointing at a binary file (a .pfx, a keychain export): a clear refusal, not a traceback."""
    _store_contoso(workdir)
    binary = workdir / "identity.bin"
    binary.write_bytes(bytes(range(128, 256)) * 4)

    shown = cspsync("credentials", "show", "contoso-bikes", "--identity", str(binary), "--config", CONFIG)

    assert shown.code == 1, shown.out + shown.err
    assert "holds no age identity (AGE-SECRET-KEY-…) or SSH private key" in shown.err
    assert "Traceback" not in shown.err and "Hv7!q2Lm#9xRt4Wz" not in shown.out + shown.err
