"""Every gitops reader of customer files reads the values ``validate`` reads (YAML 1.2), never PyYAML's 1.1.

A customer named ``on`` (or ``no``, ``yes``) is valid: YAML 1.2 reads the text "on". PyYAML reads ``true``,
so ``cspsync history on``, ``--changed-since`` for a deleted file and ``import``'s duplicate check used
not to know the customer at all.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cspsync.declarations import validate
from cspsync.gitops.history import customer_name, find_customer_file
from cspsync.gitops.importer import Claimed
from cspsync.gitops.scope import _customer_name

from .conftest import EXAMPLES


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES, tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("customers", ".cspsync"))
    customers = tmp_path / "customers"
    customers.mkdir()
    text = (EXAMPLES / "customers" / "contoso-bikes.yaml").read_text(encoding="utf-8")
    (customers / "on.yaml").write_text(text.replace("name: contoso-bikes", "name: on"), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("name", ["on", "no", "yes", "off"])
def test_a_customer_named_like_a_yaml_1_1_boolean_is_found_by_every_reader(folder: Path, name: str) -> None:
    path = folder / "customers" / "on.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("name: on", f"name: {name}"), encoding="utf-8")
    repository, problems = validate([folder / "customers"], config_path=folder / "cspsync.yaml")
    assert not problems and repository is not None
    assert [c.customer.metadata.name for c in repository.customers] == [name]
    assert find_customer_file(name, [folder / "customers"]) == path
    assert customer_name(path) == name
    assert _customer_name(path.read_text(encoding="utf-8")) == name
    assert Claimed.scan([folder / "customers"], folder / "cspsync.yaml").names == {name: path}


def test_a_file_the_parsers_read_differently_claims_nothing(folder: Path) -> None:
    """``{?}`` is the key "?" to yaml-rs and the null key to PyYAML: validate refuses it, the scans skip it."""
    path = folder / "customers" / "on.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "  extra: {?}\n", encoding="utf-8")
    _, problems = validate([folder / "customers"], config_path=folder / "cspsync.yaml")
    assert any("read this key differently" in p.message for p in problems)
    assert customer_name(path) is None
