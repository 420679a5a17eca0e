"""Fuzz the loader and validator: whatever a customer file holds, ``validate`` answers with located problems.

Inputs, all written to a real file in a repository next to the example cspsync.yaml:

- documents drawn from schemas/customer.schema.json by hypothesis-jsonschema, then broken in a few
  places (a field dropped, a value replaced, an unknown field added) and dumped as YAML;
- the example file's text broken line by line (lines dropped, duplicated, re-indented, replaced);
- arbitrary text and arbitrary bytes.

Never a crash; every problem names the file, a line >= 1 and a column >= 1 that exist in it (a column
may point one past the end of its line, where something is missing), and a message.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from cspsync.declarations import Problem, validate
from cspsync.declarations.schema import load_schema
from tests.schema_drawing import document_paths, validation_only

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
EXAMPLE = (EXAMPLES / "customers" / "contoso-bikes.yaml").read_text(encoding="utf-8")
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


class Repo:
    """A repository in ``root``: the example config (and what it refers to) plus one customer file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(EXAMPLES, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("customers", ".cspsync"))
        (root / "customers").mkdir(exist_ok=True)
        self.file = root / "customers" / "fuzzed.yaml"

    def problems(self, content: str | bytes) -> tuple[list[Problem], bytes]:
        data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
        self.file.write_bytes(data)
        repository, problems = validate([self.file], config_path=self.root / "cspsync.yaml")
        assert (repository is None) == bool(problems)
        return problems, data


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path)


def assert_located(problems: list[Problem], data: bytes, file: Path) -> None:
    text = data.decode("utf-8", "replace")
    lines = text.splitlines() or [""]
    for problem in problems:
        assert problem.file == str(file), problem
        assert problem.line >= 1 and problem.column >= 1, problem
        assert problem.message.strip(), problem
        assert problem.line <= len(lines) + 1, (problem, len(lines))
        str(problem)  # the "file:line:col: path: message" line renders


# --------------------------------------------------------------------------------- strategies

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["", "NO", "yes", "0001", "2026-02-30", "x" * 300, "a@b", "../../etc", "create", "P1Y"]),
    st.just({}),
    st.just([]),
    st.lists(st.text(max_size=5), max_size=3),
)


@st.composite
def broken(draw: st.DrawFn, doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with one to three changes that usually make it invalid."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(document_paths(doc))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = doc
        for part in path[:-1]:
            parent = parent[part]
        how = draw(st.sampled_from(["drop", "replace", "add"]))
        if how == "drop":
            del parent[path[-1]]
        elif how == "replace":
            parent[path[-1]] = draw(VALUES)
        else:
            target = parent if isinstance(parent, dict) else doc
            target[draw(st.sampled_from(["extra", "Name", "modes", "quantity", "tenantID"]))] = draw(VALUES)
    return doc


@st.composite
def mangled_example(draw: st.DrawFn) -> str:
    """The example file with some of its lines dropped, duplicated, re-indented or replaced."""
    lines = EXAMPLE.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["drop", "duplicate", "indent", "dedent", "replace", "truncate"]))
        if how == "drop":
            del lines[index]
        elif how == "duplicate":
            lines.insert(index, lines[index])
        elif how == "indent":
            lines[index] = " " * draw(st.integers(1, 3)) + lines[index]
        elif how == "dedent":
            lines[index] = lines[index].lstrip()
        elif how == "replace":
            lines[index] = draw(st.text(max_size=30).filter(lambda t: "\n" not in t and "\r" not in t))
        else:
            lines[index] = lines[index][: draw(st.integers(0, len(lines[index])))]
        if not lines:
            break
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


CUSTOMER_DOCS = from_schema(validation_only(load_schema("customer")))


# ---------------------------------------------------------------------------------------- tests


@settings(SETTINGS, max_examples=25)  # drawing from the schema is the slow part: fewer, richer documents
@given(data=st.data())
def test_schema_documents_broken_in_places_get_located_problems(repo: Repo, data: st.DataObject) -> None:
    doc = data.draw(CUSTOMER_DOCS, label="valid by the schema")
    assert isinstance(doc, dict)
    changed = data.draw(broken(doc), label="broken")
    text = yaml.safe_dump(changed, allow_unicode=True, sort_keys=False)
    problems, raw = repo.problems(text)
    assert_located(problems, raw, repo.file)


@SETTINGS
@given(text=mangled_example())
def test_mangled_example_lines_get_located_problems(repo: Repo, text: str) -> None:
    problems, raw = repo.problems(text)
    assert_located(problems, raw, repo.file)


@SETTINGS
@given(text=st.text(max_size=400))
def test_arbitrary_text_gets_located_problems(repo: Repo, text: str) -> None:
    problems, raw = repo.problems(text)
    assert_located(problems, raw, repo.file)
    assert problems, "arbitrary text is never a valid customer file"


@SETTINGS
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_get_located_problems(repo: Repo, data: bytes) -> None:
    problems, raw = repo.problems(data)
    assert_located(problems, raw, repo.file)
    assert problems


def test_the_unbroken_example_is_valid(repo: Repo) -> None:
    problems, _ = repo.problems(EXAMPLE)
    assert problems == []
