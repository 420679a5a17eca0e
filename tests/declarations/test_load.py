"""The safe YAML loader: traps partners hit, hostile files, and never a traceback."""

from __future__ import annotations

import datetime as dt
import gc
import re
from pathlib import Path

import pytest
import yaml
import yaml_rs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cspsync.declarations import Problem, check, load_repository
from cspsync.declarations.load import (
    _FIRST_READ,
    _NOT_PRINTABLE,
    MAX_BYTES,
    Document,
    _needs_second_reading,
    parse_document,
    read_document,
)

from .support import CONFIG, CUSTOMER, TODAY, Repo, edit


def problems_of(raw: bytes) -> list[str]:
    result = parse_document("f.yaml", raw)
    assert isinstance(result, list), f"expected problems, got {result}"
    return [str(p) for p in result]


def data_of(raw: bytes) -> dict[str, object]:
    result = parse_document("f.yaml", raw)
    assert isinstance(result, Document), [str(p) for p in result]
    return result.data


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(
            b"apiVersion: cspsync.io/v1\nkind: Customer\nmetadata:\n  name: a\n  name: b\nkind: Customer\n",
            [
                "f.yaml:5:3: metadata.name: duplicate key (first written on line 4)",
                "f.yaml:6:1: kind: duplicate key (first written on line 2)",
            ],
            id="duplicate-keys",
        ),
        pytest.param(
            b"apiVersion: cspsync.io/v1\nkind: !!python/object/apply:os.system [echo hi]\n",
            [
                "f.yaml:2:7: tag !!python/object/apply:os.system is not allowed: declarations are plain YAML "
                "(quote a value to make it text)"
            ],
            id="python-tag",
        ),
        pytest.param(
            b"apiVersion: cspsync.io/v1\nkind: !Customer Customer\n",
            ["f.yaml:2:7: tag !Customer is not allowed: declarations are plain YAML (quote a value to make it text)"],
            id="custom-tag-that-yaml-rs-would-drop",
        ),
        pytest.param(
            b"a: !!binary aGVsbG8=\n",
            ["f.yaml:1:4: tag !!binary is not allowed: declarations are plain YAML (quote a value to make it text)"],
            id="binary-tag",
        ),
        pytest.param(
            b"apiVersion: cspsync.io/v1\nkind: Customer\n---\napiVersion: cspsync.io/v1\n",
            ["f.yaml:3:1: a second YAML document starts here: one customer per file"],
            id="two-documents",
        ),
        pytest.param(
            b"apiVersion: cspsync.io/v1\n---\n",
            ["f.yaml:2:1: a second YAML document starts here: one customer per file"],
            id="empty-second-document",
        ),
        pytest.param(
            b"# c\n- apiVersion: cspsync.io/v1\n",
            ["f.yaml:2:1: the file holds a list; a declaration is a mapping of apiVersion, kind, metadata and spec"],
            id="list-root",
        ),
        pytest.param(
            b"just text\n",
            ["f.yaml:1:1: the file holds text; a declaration is a mapping of apiVersion, kind, metadata and spec"],
            id="text-root",
        ),
        pytest.param(
            b"# nothing here\n",
            ["f.yaml:1:1: the file is empty: a declaration is a mapping of apiVersion, kind, metadata and spec"],
            id="empty",
        ),
        pytest.param(
            b"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
            [
                "f.yaml:3:40: aliases expand to more than 1000 nodes; write the values out instead (this guards "
                "against 'billion laughs' files)"
            ],
            id="billion-laughs",
        ),
        pytest.param(
            b"a: &a\n  b: *a\n",
            ["f.yaml:2:6: alias *a refers to the node that contains it"],
            id="recursive-alias-that-yaml-rs-reads-as-null",
        ),
        pytest.param(
            b"a: caf\xc3\xa9\nb: caf\xe9 au lait\n",
            ["f.yaml:2:7: not valid UTF-8: byte 0xe9 at offset 15; save the file as UTF-8"],
            id="latin-1",
        ),
        pytest.param("a: 1\n".encode("utf-16"), ["f.yaml:1:1: the file is UTF-16; save it as UTF-8"], id="utf-16"),
        pytest.param(
            b"a: b\x00c\n", ["f.yaml:1:5: control character U+0000 is not allowed in YAML; remove it"], id="nul"
        ),
        pytest.param(
            b"%YAML 1.1\n---\na: yes\n",
            [
                "f.yaml:1:1: %YAML 1.1 directive: cspsync reads YAML 1.2 (yes, no, on and off are text); remove the "
                "directive"
            ],
            id="yaml-1.1-directive",
        ),
        pytest.param(
            b"%TAG !e! tag:example.com,2000:\n---\na: 1\n",
            ["f.yaml:1:1: %TAG directives are not allowed: declarations are plain YAML"],
            id="tag-directive",
        ),
        pytest.param(
            b"a: {?}\n",
            ["f.yaml:1:6: a: YAML parsers read this key differently; write it in plain block style"],
            id="flow-question-mark-null-key-to-pyyaml-text-to-yaml-rs",
        ),
        pytest.param(
            b"labels:\n  team: a\n  x: {b: c, ?: d}\n",
            ["f.yaml:3:14: labels.x: YAML parsers read this key differently; write it in plain block style"],
            id="flow-question-mark-key-beside-text-keys",
        ),
        pytest.param(
            b"a: [1, 2\nb: 3\n", ["f.yaml:2:2: invalid YAML: illegal placement of ':' indicator"], id="syntax"
        ),
        pytest.param(
            b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n",
            ["f.yaml:1:259: invalid YAML: recursion limit exceeded"],
            id="deep-nesting",
        ),
        pytest.param(
            b"spec:\n  ? company:\n    name: A\n    address:\n      city: B\n  tenant: 1\n",
            ["f.yaml:2:3: a key must be a plain name, not a mapping or list: remove the '?' and write `name:`"],
            id="mapping-as-key-that-yaml-rs-cannot-hash",
        ),
    ],
)
def test_refused(raw: bytes, expected: list[str]) -> None:
    assert problems_of(raw) == expected


def test_yaml_1_2_keeps_norway_and_friends_as_text() -> None:
    data = data_of(b"country: NO\nb: yes\nc: off\nd: on\ne: y\nf: True\n")
    assert data == {"country": "NO", "b": "yes", "c": "off", "d": "on", "e": "y", "f": True}


def test_an_unquoted_date_is_the_same_text() -> None:
    assert data_of(b"dateAgreed: 2026-10-01\n") == {"dateAgreed": "2026-10-01"}


def test_core_tags_aliases_within_budget_and_a_bom_are_fine() -> None:
    raw = b"\xef\xbb\xbfc: &c {x: 1}\nd: *c\nsku: !!str 0001\n"
    assert data_of(raw) == {"c": {"x": 1}, "d": {"x": 1}, "sku": "0001"}


def test_an_ampersand_in_text_is_not_an_anchor() -> None:
    assert data_of(b"name: Smith & Sons * Co\n") == {"name": "Smith & Sons * Co"}


def test_size_cap() -> None:
    at_cap = b"a: 1\n#" + b"x" * (MAX_BYTES - 6)
    assert len(at_cap) == MAX_BYTES
    assert data_of(at_cap) == {"a": 1}
    assert problems_of(at_cap + b"x") == [
        "f.yaml:1:1: the file is larger than 256 KiB, the limit for a declaration file (a customer takes a few KiB)"
    ]


def test_exactly_what_yaml_does_not_print_is_refused() -> None:
    """YAML 1.2, section 5.1: the printable characters, against what the loader looks for."""

    def printable(code: int) -> bool:
        return (
            code in (0x09, 0x0A, 0x0D, 0x85)
            or 0x20 <= code <= 0x7E
            or 0xA0 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF
        )

    every = "".join(map(chr, range(0x110000)))
    assert [ord(found) for found in _NOT_PRINTABLE.findall(every)] == [
        code for code in range(0x110000) if not printable(code)
    ]


@pytest.mark.parametrize(
    "size", [7, _FIRST_READ - 1, _FIRST_READ, _FIRST_READ + 1, 5 * _FIRST_READ, MAX_BYTES, MAX_BYTES + 1, 2 * MAX_BYTES]
)
def test_a_file_is_read_whole_up_to_the_cap_and_refused_past_it(tmp_path: Path, size: int) -> None:
    """A file is read in pieces (a buffer of the cap's size per file was the peak of a load): what is read is the
    whole file up to the cap; past it, one problem."""
    raw = b"a: 1\n#" + b"x" * (size - 6)
    path = tmp_path / "f.yaml"
    path.write_bytes(raw)
    result = read_document(path, "f.yaml")
    if size <= MAX_BYTES:
        assert isinstance(result, Document), [str(p) for p in result]
        assert (result.data, len(result.text)) == ({"a": 1}, size)
    else:
        assert isinstance(result, list)
        assert [str(p) for p in result] == [
            "f.yaml:1:1: the file is larger than 256 KiB, the limit for a declaration file (a customer takes a few KiB)"
        ]


def test_norway_unquoted_through_the_whole_pipeline(repo: Repo) -> None:
    text = edit(CUSTOMER, "country: GB", "country: NO")
    text = edit(text, "culture: en-GB", "culture: nb-NO")
    text = edit(text, "language: en", "language: nb")
    text = edit(text, 'phone: "+44 117 496 0123"', 'phone: "+47 22 12 34 56"')
    repo.write("customers/c.yaml", text)
    customer = load_repository([Path("customers")], today=TODAY).customers[0].customer
    assert customer.spec.company.address.country == "NO"


def test_unquoted_date_through_the_whole_pipeline(repo: Repo) -> None:
    repo.write("customers/c.yaml", edit(CUSTOMER, 'dateAgreed: "2026-10-01"', "dateAgreed: 2026-10-01"))
    agreement = load_repository([Path("customers")], today=TODAY).customers[0].customer.spec.agreement
    assert agreement is not None and agreement.dateAgreed == dt.date(2026, 10, 1)


def test_unquoted_sku_asks_for_quotes(repo: Repo) -> None:
    repo.write("customers/c.yaml", edit(CUSTOMER, 'skuId: "0002"', "skuId: 0001"))
    assert repo.problems() == [
        "customers/c.yaml:36:16: spec.subscriptions[1].offer.skuId: must be a string, but YAML reads 0001 as the "
        'number 1; write "0001"'
    ]


def test_an_alias_may_repeat_the_contact(repo: Repo) -> None:
    text = edit(CUSTOMER, "    primaryContact:\n", "    primaryContact: &amelia\n")
    text = edit(
        text,
        "    acceptedBy:\n      firstName: Amelia\n      lastName: Hughes\n"
        "      email: amelia.hughes@contosobikes.co.uk\n",
        "    acceptedBy: *amelia\n",
    )
    repo.write("customers/c.yaml", text)
    agreement = load_repository([Path("customers")], today=TODAY).customers[0].customer.spec.agreement
    assert agreement is not None and agreement.acceptedBy.phone == "+44 117 496 0123"


def test_checking_leaves_the_garbage_collector_as_it_was(repo: Repo) -> None:
    repo.write("customers/c.yaml", CUSTOMER)
    assert gc.isenabled()
    repo.problems()
    assert gc.isenabled()


def test_unreadable_file_is_a_problem_and_the_others_are_still_checked(repo: Repo) -> None:
    repo.write("customers/c.yaml", edit(CUSTOMER, "quantity: 12", "quantity: 0"))
    (repo.root / "customers" / "b.yaml").symlink_to(repo.root / "gone.yaml")  # read fails
    assert repo.problems() == [
        "customers/b.yaml:1:1: cannot read the file: No such file or directory",
        "customers/c.yaml:37:17: spec.subscriptions[1].quantity: must be at least 1 (got 0)",
    ]


# --------------------------------------------------------------------------------- never a traceback

_YAMLISH = st.sampled_from(
    [
        ":",
        " ",
        "\n",
        "- ",
        "[",
        "]",
        "{",
        "}",
        ",",
        "&a",
        "*a",
        "!",
        "!!str ",
        "#",
        "'",
        '"',
        "---\n",
        "...",
        "\t",
        "0001",
        "NO",
        "yes",
        "~",
        "null",
        "2026-10-01",
        "|\n",
        ">-\n",
        "? ",
        "%YAML 1.2\n",
        "\\",
        "é",
        "\x00",
    ]
)


@st.composite
def mangled_customer(draw: st.DrawFn) -> bytes:
    """The valid customer with a few YAML-significant tokens inserted, lines dropped or bytes broken."""
    text = CUSTOMER
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        choice = draw(st.integers(0, 2))
        if choice == 0:
            text = text[:at] + draw(_YAMLISH) + text[at:]
        elif choice == 1:
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        else:
            lines = text.splitlines(keepends=True)
            index = at % len(lines)
            text = "".join(lines[: index + 1] + lines[index:])
    raw = text.encode("utf-8")
    if draw(st.booleans()) and draw(st.booleans()):
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + b"\xff" + raw[at:]
    return raw


@pytest.fixture(scope="module")
def fuzz_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    (root / "cspsync.yaml").write_text(CONFIG, encoding="utf-8")
    return root


def _assert_only_problems(root: Path, raw: bytes) -> None:
    target = root / "c.yaml"
    target.write_bytes(raw)
    report = check([target], config_path=root / "cspsync.yaml", today=TODAY)
    for problem in report.problems:
        assert isinstance(problem, Problem)
        assert problem.file == str(target)
        assert problem.line >= 1 and problem.column >= 1
        assert "\n" not in problem.message and problem.message
    assert (report.repository is None) == bool(report.problems)


_FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_FUZZ
@given(raw=mangled_customer())
def test_mangled_customers_give_problems_not_tracebacks(fuzz_repo: Path, raw: bytes) -> None:
    _assert_only_problems(fuzz_repo, raw)


@_FUZZ
@given(raw=st.binary(max_size=600))
def test_arbitrary_bytes_give_problems_not_tracebacks(fuzz_repo: Path, raw: bytes) -> None:
    _assert_only_problems(fuzz_repo, raw)


@_FUZZ
@given(text=st.text(max_size=400))
def test_arbitrary_text_gives_problems_not_tracebacks(fuzz_repo: Path, text: str) -> None:
    _assert_only_problems(fuzz_repo, text.encode("utf-8", errors="surrogatepass"))


def _shape(value: object) -> object:
    """Mappings, lists and scalars with their text keys; a key that is not text matches any key."""
    if isinstance(value, dict):
        return sorted(((k if isinstance(k, str) else "*"), _shape(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return "scalar"


# YAML 1.2 core schema: plain scalars that are null, booleans or numbers rather than text.
_NOT_TEXT = re.compile(
    r"|~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"
)


def _key(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode) and (node.style or not _NOT_TEXT.fullmatch(node.value)):
        return str(node.value)
    return "*"


def _node_shape(node: yaml.Node) -> object:
    if isinstance(node, yaml.MappingNode):
        return sorted((_key(k), _node_shape(v)) for k, v in node.value)
    if isinstance(node, yaml.SequenceNode):
        return [_node_shape(v) for v in node.value]
    return "scalar"


@_FUZZ
@given(text=st.text(alphabet=st.sampled_from("ab:-[]{}&*!#?|> \n'\"0N,"), max_size=200))
def test_what_the_loader_accepts_both_parsers_read_alike(text: str) -> None:
    """Values come from yaml-rs, places from PyYAML: for an accepted file both see the same structure."""
    result = parse_document("f.yaml", text.encode())
    if not isinstance(result, Document):
        return
    assert result.data == yaml_rs.loads(text, parse_datetime=False)
    node = yaml.compose(text, Loader=yaml.CSafeLoader)
    assert node is not None
    assert _node_shape(node) == _shape(result.data)


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("ab: %\t\n-"), max_size=60))
def test_the_quick_look_for_indicator_lines_misses_none_the_search_finds(text: str) -> None:
    searched = text.lstrip(" \t")[:1] in ("%", ":") or re.search(r"\n[ \t]*[%:]", text) is not None
    if searched:
        assert _needs_second_reading(text), repr(text)


def test_a_line_starting_with_a_colon_or_a_directive_is_read_twice() -> None:
    assert _needs_second_reading("a: 1\n  : b\n")
    assert _needs_second_reading("a: 1\n\t%YAML\n")
    assert not _needs_second_reading("a: 1\nb: 10 %\n")
