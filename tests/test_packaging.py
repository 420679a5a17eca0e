"""The built wheel carries what an installed cspsync needs: every package, the schemas and templates."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from setuptools import find_packages

REPO = Path(__file__).resolve().parents[1]


def test_the_package_list_is_complete() -> None:
    listed = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    found = find_packages(where=str(REPO), include=["cspsync*"])
    assert sorted(listed) == sorted([*found, "cspsync.schemas"])


@pytest.mark.slow
def test_the_wheel_contains_schemas_and_templates(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("cspsync-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for schema in ("customer", "config", "plan", "pricebook"):
        assert f"cspsync/schemas/{schema}.schema.json" in names
    assert "cspsync/templates/invitation/body.html" in names
    assert "cspsync/py.typed" in names
