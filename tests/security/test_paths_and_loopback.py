"""Names cannot escape cspsync's folders, and the emulator (no real authentication) stays on loopback."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from pydantic import SecretStr

from cspsync import secrets
from cspsync.cli import main
from cspsync.declarations import validate
from cspsync.emulator import EmulatorApp, Store, serve
from cspsync.errors import ConfigError, CredentialsError
from cspsync.target import connect
from cspsync.workspace import Workspace

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO = "age1lpkwk9hjx7l8vyfmkepfmmcnrulum6xhskmhqe8q0vnxuzgteqxs0y05cf"
TRAVERSING = ["../../etc", "..", "a/b", "../contoso-bikes", "/etc/passwd", "Contoso", ".hidden", "a\\b", "x" * 64, ""]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "repo", ignore=shutil.ignore_patterns(".cspsync"))
    monkeypatch.chdir(tmp_path / "repo")
    monkeypatch.setenv("CSPSYNC_STATE_DIR", str(tmp_path / "repo" / ".cspsync"))
    monkeypatch.delenv("CSPSYNC_EMULATOR_URL", raising=False)
    return tmp_path / "repo"


@pytest.mark.parametrize("name", TRAVERSING)
def test_validate_rejects_metadata_names_that_are_not_plain_words(repo: Path, name: str) -> None:
    path = repo / "customers" / "contoso-bikes.yaml"
    text = path.read_text(encoding="utf-8").replace("name: contoso-bikes", f"name: {name!r}")
    path.write_text(text, encoding="utf-8")
    repository, problems = validate([Path("customers")], config_path=Path("cspsync.yaml"))
    assert repository is None
    [problem] = [p for p in problems if p.path == "metadata.name"]
    assert problem.file == "customers/contoso-bikes.yaml" and problem.line == 5
    assert "lower-case letters, digits and hyphens" in problem.message


@pytest.mark.parametrize("name", TRAVERSING)
def test_credentials_are_never_written_or_read_outside_their_folder(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "credentials"
    credentials = secrets.TenantCredentials(
        customer=name,
        tenant_id="0b5e7b1c-0000-4000-8000-000000000001",
        domain="x.onmicrosoft.com",
        user_name="admin@x.onmicrosoft.com",
        password=SecretStr("Pw-0123456789ab"),
        created_at=dt.datetime(2026, 11, 26, tzinfo=dt.UTC),
    )
    with pytest.raises(CredentialsError):
        secrets.store(folder, credentials, [DEMO])
    with pytest.raises(CredentialsError):
        secrets.files_for(folder, name)
    assert [p for p in tmp_path.rglob("*") if not p.is_dir()] == []  # no file written anywhere


def test_a_tenant_id_cannot_steer_the_credentials_file_out_either(tmp_path: Path) -> None:
    credentials = secrets.TenantCredentials(
        customer="contoso-bikes",
        tenant_id="../../../escaped",
        domain="x.onmicrosoft.com",
        user_name="admin@x.onmicrosoft.com",
        password=SecretStr("Pw-0123456789ab"),
        created_at=dt.datetime(2026, 11, 26, tzinfo=dt.UTC),
    )
    with pytest.raises(CredentialsError, match="refusing to write credentials outside"):
        secrets.store(tmp_path / "credentials", credentials, [DEMO])
    assert not list(tmp_path.rglob("*.age"))


def test_credentials_show_refuses_a_traversing_name(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["credentials", "show", "../../etc/passwd", "--identity", "keys/demo-identity.agekey"])
    assert exit_.value.code == 1
    assert "Error: '../../etc/passwd' is not a customer name (metadata.name)" in capsys.readouterr().err


def test_an_apply_writes_only_inside_the_working_folder(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Credentials, outbox, records and the emulator's state all land under .cspsync/."""
    before = {p for p in repo.rglob("*") if ".cspsync" not in p.parts}
    with pytest.raises(SystemExit) as exit_:
        main(["apply", "customers", "--yes", "--workers", "1"])
    assert exit_.value.code == 0, capsys.readouterr().err
    after = {p for p in repo.rglob("*") if ".cspsync" not in p.parts}
    assert after == before
    workspace = repo / ".cspsync"
    assert len(list((workspace / "credentials").glob("*.age"))) == 3
    assert all(p.resolve().parent == (workspace / "outbox").resolve() for p in (workspace / "outbox").iterdir())
    assert (workspace / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"


BEYOND_LOOPBACK = ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.com", ""]  # noqa: S104 - refused


@pytest.mark.parametrize("host", BEYOND_LOOPBACK)
def test_the_emulator_refuses_to_listen_beyond_loopback(host: str) -> None:
    app = EmulatorApp(Store())
    with pytest.raises(ConfigError, match="only listens on loopback"):
        serve(app, host=host)


def test_the_emulator_serves_loopback() -> None:
    with serve(EmulatorApp(Store()), host="127.0.0.1") as server:
        assert server.url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize(
    "url", ["http://0.0.0.0:8080", "http://192.168.1.10:8080", "https://api.partnercenter.microsoft.com"]
)
def test_cspsync_refuses_an_emulator_url_beyond_loopback(repo: Path, url: str) -> None:
    from cspsync.declarations import load_repository

    repository = load_repository([Path("customers")], config_path=Path("cspsync.yaml"))
    with pytest.raises(ConfigError, match="must point to loopback"):
        connect(
            repository, "emulator", Workspace(repo / ".cspsync"), correlation_id="c", env={"CSPSYNC_EMULATOR_URL": url}
        )


def test_credentials_go_where_the_config_says_relative_to_the_repository(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo.parent)  # run from the folder above the repository
    with pytest.raises(SystemExit) as exit_:
        main(["apply", "repo/customers", "--yes", "--workers", "1"])
    assert exit_.value.code == 0, capsys.readouterr().err
    assert len(list((repo / ".cspsync" / "credentials").glob("*.age"))) == 3
