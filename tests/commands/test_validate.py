"""`cspsync validate` as users and CI see it: paths, config, exit codes, where annotations go. What it
prints is pinned by the golden files of tests/render/test_golden.py (text, JSON, GitHub annotations)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from cspsync.cli import cli, main
from cspsync.declarations import Problem
from cspsync.render.validation import github_annotation
from tests.declarations.support import CUSTOMER, REPO, Repo, edit

FIXED = "2026-11-26"


@pytest.fixture
def broken(repo: Repo) -> Repo:
    """Three problems in two files, one good file."""
    repo.write("customers/a.yaml", edit(CUSTOMER, "quantity: 12", "quantity: 0"))
    b = edit(CUSTOMER, "name: contoso-bikes", "name: contoso-b")
    b = edit(b, "name: Contoso Bikes Ltd", "name: Contoso B Ltd")
    b = edit(b, "domainPrefix: contosobikes", "domainPrefix: contoso-b")
    repo.write("customers/b.yaml", edit(b, 'skuId: "0002"', "skuId: 0002"))
    c = edit(CUSTOMER, "name: contoso-bikes", "name: contoso-c")
    c = edit(c, "name: Contoso Bikes Ltd", "name: Contoso C Ltd")
    repo.write("customers/c.yaml", edit(c, "domainPrefix: contosobikes", "domainPrefix: contosoc"))
    return repo


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    with freeze_time(FIXED):
        result = CliRunner().invoke(cli, ["validate", *args], env=env or {"GITHUB_ACTIONS": ""})
    return result.exit_code, result.stdout, result.stderr


def test_valid_files_exit_zero(repo: Repo) -> None:
    repo.write("customers/c.yaml", CUSTOMER)
    assert invoke("customers") == (0, "1 customer file valid\n", "")


def test_default_path_is_the_working_folder(broken: Repo) -> None:
    code, out, _ = invoke()
    assert code == 1
    assert out.splitlines()[-1] == "3 problems in 2 files"


def test_named_config(broken: Repo) -> None:
    broken.write("elsewhere/conf.yaml", (broken.root / "cspsync.yaml").read_text())
    (broken.root / "cspsync.yaml").unlink()
    code, out, _ = invoke("--config", "elsewhere/conf.yaml", "customers/c.yaml")
    assert (code, out) == (0, "1 customer file valid\n")


def test_json_when_valid(repo: Repo) -> None:
    repo.write("customers/c.yaml", CUSTOMER)
    code, out, _ = invoke("--format", "json", "customers")
    assert (code, json.loads(out)) == (0, {"valid": True, "files": 1, "problems": []})


def test_github_annotations_with_json_go_to_stderr(broken: Repo) -> None:
    code, out, err = invoke("--format", "json", "customers", env={"GITHUB_ACTIONS": "true"})
    assert code == 1 and json.loads(out)["valid"] is False
    assert len(err.splitlines()) == 3 and err.startswith("::error file=customers/a.yaml,line=37,col=17::")


def test_github_escaping() -> None:
    problem = Problem("a,b:c%.yaml", 3, 4, 'spec["50%"]', "first\r\nsecond")
    assert github_annotation(problem) == '::error file=a%2Cb%3Ac%25.yaml,line=3,col=4::spec["50%25"]: first%0D%0Asecond'


def test_no_config_is_an_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exited:
        main(["validate"])
    assert exited.value.code == 1
    assert capsys.readouterr().err == (
        "Error: no cspsync.yaml in . or any folder above it\n"
        "  hint: create one (see examples/cspsync.yaml) or name it with --config FILE\n"
    )


def test_main_exit_codes(broken: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["validate", "customers"])
    assert exited.value.code == 1
    (broken.root / "customers" / "a.yaml").unlink()
    (broken.root / "customers" / "b.yaml").unlink()
    with pytest.raises(SystemExit) as exited:
        main(["validate", "customers"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.endswith("1 customer file valid\n")


def test_validate_does_not_import_network_or_terminal_libraries() -> None:
    code = (
        "import sys\n"
        "from cspsync.cli import main\n"
        "try:\n"
        "    main(['validate', 'examples/customers'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'httpx', 'msal', 'rich'})\n"
        "print(heavy)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "[]"


BLOCK_STYLE_CONFIG = """\
apiVersion: cspsync.io/v1
kind: Config
partner:
  name: Fabrikam Cloud Distribution
  tenantId: 6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b
markets:
  - GB
credentials:
  ageRecipients:
    - age1lpkwk9hjx7l8vyfmkepfmmcnrulum6xhskmhqe8q0vnxuzgteqxs0y05cf
"""


def test_validating_valid_block_style_files_imports_only_what_they_need(tmp_path: Path) -> None:
    """Start-up is part of every pre-commit run: no plan models, no PyYAML (only for files with flow, tags,
    anchors or a problem to place), no email-validator (only for addresses the shortcut cannot judge)."""
    (tmp_path / "cspsync.yaml").write_text(BLOCK_STYLE_CONFIG, encoding="utf-8")
    (tmp_path / "customers").mkdir()
    (tmp_path / "customers" / "contoso-bikes.yaml").write_text(CUSTOMER, encoding="utf-8")
    code = (
        "import sys\n"
        "from cspsync.cli import main\n"
        "try:\n"
        "    main(['validate', 'customers'])\n"
        "except SystemExit as done:\n"
        "    print(done.code)\n"
        "names = ('yaml', 'email_validator', 'cspsync.plan', 'cspsync.pricing', 'cspsync.partnercenter')\n"
        "print(sorted(n for n in names if n in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.stdout.splitlines()[-3:] == ["1 customer file valid", "0", "[]"], done.stdout + done.stderr


def test_validating_the_repository_root_skips_pricebooks_and_the_emulator_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate", "examples"])
    assert result.exit_code == 0, result.output
    assert "7 customer files valid" in result.output
