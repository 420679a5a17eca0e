"""Files the user names for output (``--out``, ``--markdown-out``, ``--job-summary``, ``--db``, the state
folder) that cannot be written: exit 1 with the path and the reason, before any work, never "Internal
error ... this is a bug" (they used to crash, after the whole plan had been read)."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from tests.cli import Run

HINT = "  hint: name a file in a folder you can write to\n"


@pytest.fixture
def a_file(workdir: Path) -> Path:
    """A regular file where the output's folder would be: unwritable for every user, root included."""
    path = workdir / "notes.txt"
    path.write_text("not a folder\n", encoding="utf-8")
    return path


def test_plan_out_in_a_folder_that_cannot_be_made_is_refused_before_reading_partner_center(
    cspsync: Run, a_file: Path
) -> None:
    result = cspsync("plan", "examples/customers", "--out", "notes.txt/plan.json")
    assert result.code == 1
    assert result.err == (
        "Error: cannot write the plan to notes.txt/plan.json: notes.txt is a file, not a folder\n" + HINT
    )
    assert result.out == ""  # refused first: nothing was planned, nothing was printed


def test_merge_plans_outputs_that_cannot_be_written_are_refused_before_merging(
    cspsync: Run, workdir: Path, a_file: Path
) -> None:
    shard = cspsync("plan", "examples/customers", "--shard", "1/1", "--out", "plan-1.json")
    assert shard.code in (0, 1), shard.err
    for option, what in (
        ("--out", "the merged plan"),
        ("--markdown-out", "the merged plan's Markdown"),
        ("--job-summary", "the job summary"),
    ):
        result = cspsync("merge-plans", "plan-1.json", option, "notes.txt/out")
        assert result.code == 1, option
        assert result.err == f"Error: cannot write {what} to notes.txt/out: notes.txt is a file, not a folder\n" + HINT
        assert result.out == ""


def test_an_unusable_state_folder_is_said_so(cspsync: Run, a_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSPSYNC_STATE_DIR", str(a_file / "state"))
    result = cspsync("plan", "examples/customers")
    assert result.code == 1
    assert result.err == (
        f"Error: cannot use the state folder {a_file / 'state'}: {a_file} is a file, not a folder\n"
        "  hint: set CSPSYNC_STATE_DIR to a folder you can write to\n"
    )


def test_an_emulator_database_that_cannot_be_opened_is_said_so(cspsync: Run, a_file: Path) -> None:
    result = cspsync("emulator", "seed", "examples/emulator-seed.yaml", "--db", "notes.txt/emulator.db")
    assert result.code == 1
    assert result.err == (
        "Error: cannot open the emulator's database notes.txt/emulator.db: notes.txt is a file, not a folder\n"
        "  hint: name a file in a folder you can write to (--db, or CSPSYNC_STATE_DIR for the state folder)\n"
    )


def test_login_says_before_the_sign_in_that_its_files_cannot_be_written(
    cspsync: Run, a_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refresh-token file and the sign-in cache are checked before the device code is asked for: a user
    who has signed in with MFA must not then meet a crash (both were 'Internal error')."""
    monkeypatch.setenv("CSPSYNC_TENANT_ID", "6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b")
    monkeypatch.setenv("CSPSYNC_CLIENT_ID", "11111111-2222-3333-4444-555555555555")
    monkeypatch.setenv("CSPSYNC_TOKEN_CACHE", str(a_file / "token-cache.bin"))
    token_file = cspsync("login", "--refresh-token-file", "notes.txt/refresh-token")
    assert token_file.code == 1
    assert token_file.err == (
        "Error: cannot write the refresh token to notes.txt/refresh-token: notes.txt is a file, not a folder\n" + HINT
    )
    cache = cspsync("login", "--allow-plaintext-cache")
    assert cache.code == 1
    assert cache.err == (
        f"Error: cannot keep the sign-in cache at {a_file / 'token-cache.bin'}: {a_file} is a file, not a folder\n"
        "  hint: set CSPSYNC_TOKEN_CACHE to a file in a folder you can write to\n"
    )
    assert cache.out == token_file.out == ""


def test_plan_out_to_a_symlink_replaces_its_file_and_keeps_the_link(cspsync: Run, workdir: Path) -> None:
    """The atomic rename replaced the symlink itself with a regular file, so the file it pointed to kept the
    old plan."""
    (workdir / "plans").mkdir()
    target = workdir / "plans" / "latest.json"
    target.write_text("{}\n")
    (workdir / "plan.json").symlink_to(target)

    result = cspsync("plan", "examples/customers/contoso-bikes.yaml", "--out", "plan.json")

    assert result.code == 0, result.err
    assert (workdir / "plan.json").is_symlink()
    assert '"actions_digest"' in target.read_text()
    assert sorted(p.name for p in target.parent.iterdir()) == ["latest.json"]  # no temporary file left


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_plan_out_to_a_pipe_or_device_writes_into_it(cspsync: Run, workdir: Path) -> None:
    """`--out /dev/stdout` or a FIFO is written straight: the rename over it replaced the device node or the
    pipe with a regular file (as root, `--out /dev/full` turned /dev/full into a file; not tried here, so a
    regression cannot break the machine's /dev)."""
    fifo = workdir / "plan.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()

    result = cspsync("plan", "examples/customers/contoso-bikes.yaml", "--out", str(fifo))
    reader.join(timeout=30)

    assert result.code == 0, result.err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert b'"actions_digest"' in received[0]
    assert [p.name for p in workdir.iterdir() if p.name.startswith(".tmp-")] == []


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "examples/customers", "--full-read-every", "nan"),
        ("plan", "examples/customers", "--full-read-every", "inf"),
        ("drift", "examples/customers", "--full-read-every", "nan"),
        ("emulator", "serve", "--order-delay-seconds", "nan"),
        ("emulator", "serve", "--order-delay-seconds", "inf"),
        ("emulator", "serve", "--latency-ms", "nan"),
        ("emulator", "serve", "--latency-ms", "5-inf"),
        ("emulator", "serve", "--throttle-rate", "nan"),
        ("emulator", "serve", "--throttle-rate", "inf"),
    ],
    ids=lambda a: "-".join(a[0:1] + a[2:]),
)
def test_a_number_that_is_not_one_is_refused(cspsync: Run, args: tuple[str, ...]) -> None:
    """'nan' and 'inf' passed click's ranges and crashed as bugs where a time span was made of them, or served
    an emulator throttled at NaN requests a second."""
    result = cspsync(*args)

    assert result.code in (1, 2), result.err
    assert "Internal error" not in result.err
    assert args[-1] in result.err
    assert "listening" not in result.out


@pytest.mark.parametrize(
    "args",
    [
        ("plan", "examples/customers", "--out", "-"),
        ("merge-plans", "plan-1.json", "--out", "-"),
        ("merge-plans", "plan-1.json", "--markdown-out", "-"),
        ("merge-plans", "plan-1.json", "--job-summary", "-"),
    ],
)
def test_a_dash_is_not_a_file_named_dash(cspsync: Run, workdir: Path, args: tuple[str, ...]) -> None:
    """``--out -`` wrote a file called "-" in the working folder, where someone who meant stdout never looks."""
    (workdir / "plan-1.json").write_text("{}", encoding="utf-8")
    result = cspsync(*args)
    assert result.code == 1
    assert "'-' is not taken for stdout here" in result.err
    assert "name a file, or ./- for a file called '-'" in result.err
    assert not (workdir / "-").exists()
    assert result.out == ""


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("plan", "examples/customers/contoso-bikes.yaml", "--out", "examples/customers/adatum.yaml"), "plan.json"),
        (("plan", "examples/customers", "--out", "examples/cspsync.yaml"), "plan.json"),
        (("plan", "examples/customers", "--out", "notes.YML"), "plan.json"),
        (("merge-plans", "plan-1.json", "--out", "examples/customers/adatum.yaml"), "merged-plan.json"),
        (("merge-plans", "plan-1.json", "--markdown-out", "examples/cspsync.yaml"), "merged-plan.md"),
        (("merge-plans", "plan-1.json", "--job-summary", "examples/customers/litware.yml"), "summary.md"),
    ],
)
def test_an_output_named_like_a_declaration_is_refused_before_any_work(
    cspsync: Run, workdir: Path, args: tuple[str, ...], named: str
) -> None:
    """``plan --out examples/customers/adatum.yaml`` said "Saved the plan to ..." and the customer file was JSON."""
    (workdir / "plan-1.json").write_text("{}", encoding="utf-8")
    before = {path: path.read_bytes() for path in (workdir / "examples").rglob("*.y*ml")}

    result = cspsync(*args)

    assert result.code == 1
    assert f"{args[-1]} is named like a declaration (customer files and cspsync.yaml are YAML)" in result.err
    assert f"name a {Path(named).suffix} file, such as {named}" in result.err
    assert result.out == ""
    assert {path: path.read_bytes() for path in (workdir / "examples").rglob("*.y*ml")} == before
    assert not (workdir / "notes.YML").exists()


def test_plan_out_over_a_customer_file_it_plans_is_refused_whatever_its_name(cspsync: Run, workdir: Path) -> None:
    """A customer file named on the command line is read whatever its suffix; --out there would replace it."""
    customer = workdir / "examples/customers/adatum.txt"
    customer.write_bytes((workdir / "examples/customers/adatum.yaml").read_bytes())
    before = customer.read_bytes()

    result = cspsync("plan", "examples/customers/adatum.txt", "--out", str(customer))

    assert result.code == 1
    assert result.err == (
        f"Error: --out {customer} is one of the customer files this command reads "
        "(examples/customers/adatum.txt): writing there would replace it\n"
        "  hint: name another file for --out\n"
    )
    assert result.out == ""
    assert customer.read_bytes() == before


def test_merge_plans_output_over_a_plan_it_merges_is_refused(cspsync: Run, workdir: Path) -> None:
    shard = cspsync("plan", "examples/customers", "--shard", "1/1", "--out", "plan-1.json")
    assert shard.code in (0, 1), shard.err
    before = (workdir / "plan-1.json").read_bytes()

    result = cspsync("merge-plans", "plan-1.json", "--markdown-out", "plan-1.json")

    assert result.code == 1
    assert result.err == (
        "Error: --markdown-out plan-1.json is one of the plans this command reads: writing there would replace it\n"
        "  hint: name another file for --markdown-out\n"
    )
    assert (workdir / "plan-1.json").read_bytes() == before


@pytest.mark.parametrize("domain", ["a" * 64 + ".com", "x" * 250 + ".com", "bad_domain", "litware"])
def test_accept_invitation_refuses_what_is_not_a_domain(cspsync: Run, domain: str) -> None:
    """A 300-character label made a tenant, and `import` then wrote a customer file `validate` refuses."""
    result = cspsync("emulator", "accept-invitation", domain, "--config", "examples/cspsync.yaml")
    assert result.code == 1
    assert f"Invalid value for 'DOMAIN': {domain!r} is not a domain name" in result.err


def test_plan_out_never_replaces_what_cspsync_keeps(cspsync: Run, workdir: Path) -> None:
    """`--out` took an encrypted credentials file (the only copy of a one-time password), the age key, an
    apply record, the invitations ledger and the emulator's database, and replaced each with plan JSON."""
    assert cspsync("apply", "examples/customers/contoso-bikes.yaml", "--yes").code == 0
    state = workdir / ".cspsync"
    kept = [
        *sorted((workdir / "examples/.cspsync/credentials").glob("*.age")),
        workdir / "examples/keys/demo-identity.agekey",
        workdir / "examples/templates/invitation/body.txt",
        *sorted((state / "applies").glob("*.json")),
        state / "emulator.db",
    ]
    for path in kept:
        before = path.read_bytes()
        result = cspsync("plan", "examples/customers/contoso-bikes.yaml", "--out", str(path))
        assert result.code == 1, path
        assert result.out == ""
        assert "writing there could replace" in result.err or "writing JSON there would replace it" in result.err
        assert path.read_bytes() == before
    assert cspsync("plan", "examples/customers/contoso-bikes.yaml", "--out", "plan.json").code == 0
    assert cspsync("plan", "examples/customers/contoso-bikes.yaml", "--out", "plan.json").code == 0  # a plan again


def test_an_emulator_database_that_is_not_one_is_said_so_not_a_crash(cspsync: Run, workdir: Path) -> None:
    """A file written over the emulator's database (a plan, a copy gone wrong) was an internal error, exit 3."""
    assert cspsync("plan", "examples/customers/contoso-bikes.yaml").code == 0
    db = workdir / ".cspsync" / "emulator.db"
    for extra in (db.with_name("emulator.db-wal"), db.with_name("emulator.db-shm")):
        extra.unlink(missing_ok=True)
    db.write_text('{"format_version": "1.0"}\n')

    result = cspsync("plan", "examples/customers/contoso-bikes.yaml")

    assert result.code == 1
    assert result.err == (
        f"Error: the emulator's database {db} is not an emulator database (file is not a database)\n"
        "  hint: move it aside and run again, or start a new emulator world from the seed with "
        "`cspsync emulator reset`\n"
    )
