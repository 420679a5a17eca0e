"""A repository of declarations: find cspsync.yaml, gather customer files, check them all.

Every problem in every file is collected, never only the first: a file that cannot be parsed still lets
the others be checked, and a file the schema rejects still gets the rules that hold for it. Problem files
are named as the user named them (a relative path stays relative).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from pydantic import BaseModel, ValidationError

from cspsync.collector import collector_paused
from cspsync.declarations import parallel
from cspsync.declarations.keys import Claim, claims_of
from cspsync.declarations.load import Document, read_document
from cspsync.declarations.models import Config, CustomerFile
from cspsync.declarations.problems import Finding, Problem, sort_problems
from cspsync.declarations.rules import (
    config_findings,
    control_character_findings,
    cross_file_findings,
    customer_findings,
    latest_date,
    raw_findings,
)
from cspsync.declarations.sandbox_rules import sandbox_count_finding, sandbox_file_findings
from cspsync.declarations.schema import SchemaName, is_valid, schema_findings
from cspsync.errors import ConfigError, DeclarationError
from cspsync.records import Record, shared_text

if TYPE_CHECKING:
    from cspsync.declarations.pricebook_rules import Pricing

CONFIG_NAMES = ("cspsync.yaml", "cspsync.yml")
SUFFIXES = (".yaml", ".yml")
_SHOWN_IN_ERROR = 20  # problems quoted in a DeclarationError's message; `cspsync validate` shows them all

M = TypeVar("M", bound=BaseModel | Record)


@dataclass(frozen=True)
class Declared:
    """One valid customer file."""

    path: Path
    customer: CustomerFile


@dataclass(frozen=True)
class Repository:
    """Valid declarations: the config and every customer file, in file-name order."""

    root: Path  # folder holding cspsync.yaml
    config_path: Path
    config: Config
    customers: tuple[Declared, ...]


@dataclass(frozen=True)
class Report:
    """What a check found: the repository (only when there is no problem), every problem, the files read."""

    repository: Repository | None
    problems: tuple[Problem, ...]
    files: tuple[str, ...]  # customer files checked, named as the user named them

    @property
    def valid(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """``3 problems in 2 files`` or ``12 customer files valid``."""
        if self.problems:
            count, files = len(self.problems), len({p.file for p in self.problems})
            return f"{count} problem{'s' * (count != 1)} in {files} file{'s' * (files != 1)}"
        count = len(self.files)
        return f"{count} customer file{'s' * (count != 1)} valid"


def _as_given(path: Path) -> Path:
    """A found path relative to the working folder when it is below it, else absolute."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def find_config(paths: Sequence[Path]) -> Path:
    """cspsync.yaml in the first path's folder (or the path itself if a folder) or any folder above."""
    _refuse_json(paths)
    start = paths[0] if paths else Path(".")
    folder = (start if start.is_dir() else start.parent).resolve()
    for candidate in (folder, *folder.parents):
        for name in CONFIG_NAMES:
            if (candidate / name).is_file():
                return _as_given(candidate / name)
    raise ConfigError(
        f"no cspsync.yaml in {_as_given(folder)} or any folder above it",
        hint="create one (see examples/cspsync.yaml) or name it with --config FILE",
    )


def _refuse_json(paths: Sequence[Path]) -> None:
    for path in paths:
        if path.suffix == ".json" and path.is_file():
            raise ConfigError(
                f"{path} is JSON, not a customer file (customer files are YAML, *.yaml or *.yml)",
                hint=f"a saved plan is applied alone, with no other paths: cspsync apply {path}",
            )


#: what a repository holds besides customer files, skipped when a folder is scanned (named files are not)
NOT_CUSTOMERS_DIRS = ("pricebooks",)
NOT_CUSTOMERS_FILES = (*CONFIG_NAMES, "emulator-seed.yaml", "emulator-seed.yml")


def _walk(folder: Path) -> Iterator[tuple[str, str]]:
    """YAML files under ``folder``, skipping hidden folders (.git, .github, .cspsync), config files and the
    repository's other YAML (pricebooks/, emulator-seed.yaml), so ``cspsync validate .`` works at the root.

    Each comes named as ``Path`` names it under ``folder`` as given, and absolute: text, both prefixes made
    once per folder (a ``Path`` per file was a third of finding 100,000 files, in every shard job)."""
    for directory, subdirs, names in os.walk(folder):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and d not in NOT_CUSTOMERS_DIRS)
        given = str(Path(directory))  # "./customers" -> "customers", as Path(".") / "customers" names it
        prefix, absolute = "" if given == "." else os.path.join(given, ""), os.path.join(os.path.abspath(directory), "")
        for name in sorted(names):
            if name.endswith(SUFFIXES) and not name.startswith(".") and name not in NOT_CUSTOMERS_FILES:
                yield prefix + name, absolute + name


def customer_files(paths: Sequence[Path], config_path: Path | None = None) -> list[Path]:
    """Files named, and ``*.yaml``/``*.yml`` under folders named, once each, in the order given. A JSON file
    named is refused whole (it is most likely a saved plan, given with other paths): read as a declaration it
    made one finding per key of the plan."""
    return [Path(text) for text in customer_file_names(paths, config_path)]


def customer_file_names(paths: Sequence[Path], config_path: Path | None = None) -> list[str]:
    """:func:`customer_files` as text, for a portfolio of which a shard opens only a twentieth."""
    _refuse_json(paths)
    skip = os.path.abspath(config_path) if config_path is not None else None
    seen: set[str] = set()
    files: list[str] = []
    for path in paths:
        if path.is_dir():
            candidates: list[tuple[str, str]] = list(_walk(path))
        elif path.exists():
            candidates = [(str(path), os.path.abspath(path))]  # no system call per file, unlike resolve()
        else:
            raise ConfigError(f"{path} does not exist")
        for candidate, key in candidates:
            if key != skip and key not in seen:
                seen.add(key)
                files.append(candidate)
    return files


def _validated(document: Document, name: SchemaName, model: type[M]) -> tuple[M | None, list[Problem]]:
    """The schema decides; the model then gives typed access (and would only fail on a schema/model bug)."""
    if not is_valid(name, document.data):
        findings = schema_findings(name, document.data, document.locator.plain_scalar)
        return None, [document.problem(f) for f in findings]
    try:
        return cast(M, model.model_validate(document.data)), []
    except ValidationError as err:
        return None, [document.problem(Finding(tuple(e["loc"]), e["msg"])) for e in err.errors()]


def _check_config(path: Path) -> tuple[Config | None, list[Problem]]:
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist", hint="pass --config FILE or create cspsync.yaml")
    document = read_document(path, str(path))
    if isinstance(document, list):
        return None, document
    config, problems = _validated(document, "config", Config)
    if config is not None:
        problems = [document.problem(f) for f in config_findings(config)]
    return config, problems


def _error(problems: Sequence[Problem]) -> DeclarationError:
    counted, count = len({p.file for p in problems}), len(problems)
    lines = [str(p) for p in problems[:_SHOWN_IN_ERROR]]
    if count > _SHOWN_IN_ERROR:
        lines.append(f"... and {count - _SHOWN_IN_ERROR} more")
    return DeclarationError(
        f"{count} problem{'s' * (count != 1)} in {counted} file{'s' * (counted != 1)}:\n" + "\n".join(lines),
        problems=list(problems),
        hint="`cspsync validate` lists every problem" if count > _SHOWN_IN_ERROR else None,
    )


def load_config(path: Path) -> Config:
    """cspsync.yaml, validated; DeclarationError with every problem when it is not valid."""
    config, problems = _check_config(path)
    if config is None or problems:
        raise _error(sort_problems(problems))
    return config


#: from this many customer files on, a check uses a second core (see parallel.py); below it, the fork and the
#: pickling cost more than they save
PARALLEL_FROM = 2_000


def check(
    paths: Sequence[Path],
    *,
    config_path: Path | None = None,
    today: dt.date | None = None,
    models: bool = True,
    files: Sequence[Path] | None = None,
) -> Report:
    """Check the config and every customer file under ``paths`` (or exactly ``files``, found under them
    already: a shard's); see :func:`validate`.

    ``models=False`` asks only for the problems (``cspsync validate``): the report then has no repository.
    A large set of files is checked in two processes; with models, the second process sends back each valid
    file's data and its model is built here.
    """
    with collector_paused():  # checking makes many objects and no cycles: see cspsync/collector.py
        return _check(paths, config_path=config_path, today=today, models=models, files=files)


@dataclass(frozen=True)
class _Context:
    """What every customer file is checked against, set up once (and before a fork)."""

    config: Config | None
    today: dt.date
    pricing: Pricing


@dataclass(slots=True)  # not frozen: one per file, and a frozen dataclass is made 3.5x slower
class _Checked:
    """What checking one customer file found; ``claims`` is None when it is not a valid customer.

    ``declared`` is kept only by a check that keeps models; ``data`` (the parsed file) only by the second
    process of a load, which sends it (:func:`_portable`) for this one to build the model.
    """

    problems: list[Problem]
    claims: list[Claim] | None
    declared: Declared | None = None
    data: Any = None


#: what a check keeps of a valid customer file besides its problems and claims: nothing (``cspsync
#: validate``), its parsed data (the second process of a load, which sends it back) or its model
Keep = Literal["nothing", "data", "model"]


def _check_customer(name: str, context: _Context, *, keep: Keep) -> _Checked:
    """Every rule about one customer file: the one definition both the single and the two-process check run.

    The file comes by name: a ``Path`` is made only for a kept model (a ``Path`` per file was 15-25 ms of
    ``cspsync validate``'s serial start at 10,000 files)."""
    document = read_document(name, name)
    if isinstance(document, list):
        return _Checked(document, None)
    problems = [document.problem(f) for f in raw_findings(document.data)]
    problems += [document.problem(f) for f in control_character_findings(document.text, document.data)]
    if keep != "nothing":
        _share_repeated(document.data)
    customer, schema_problems = _validated(document, "customer", CustomerFile)
    problems += schema_problems
    if customer is None:
        return _Checked(problems, None)
    findings = [
        *customer_findings(customer, context.config, today=context.today),
        *sandbox_file_findings(context.config, customer),
        *context.pricing.findings(customer),
    ]
    problems += [document.problem(f) for f in findings]
    if keep == "model":
        # the document is not kept: a load of 100,000 files held every text and parsed tree until the end
        # of the check; the rare cross-file problem reads its file again to be placed
        return _Checked(problems, claims_of(customer), Declared(Path(name), customer))
    return _Checked(problems, claims_of(customer), data=document.data if keep == "data" else None)


def _share_repeated(data: dict[str, Any]) -> None:
    """The values a portfolio repeats from file to file (a market, a culture and language, an offer, a label, a
    reseller) made one object each (``sys.intern``; marshal keeps them so from the load's second process) before
    a kept file's records are made: each of 100,000 files held its own copies, ~340 bytes of them. Anything
    not shaped as the schema says is left for the schema to report."""
    spec, metadata = data.get("spec"), data.get("metadata")
    if isinstance(metadata, dict) and isinstance(labels := metadata.get("labels"), dict):
        metadata["labels"] = {shared_text(k): shared_text(v) for k, v in labels.items()}
    if not isinstance(spec, dict):
        return
    _share_keys(spec, ("reseller", "currency", "pricebook"))
    if isinstance(company := spec.get("company"), dict):
        _share_keys(company, ("culture", "language"))
        if isinstance(address := company.get("address"), dict):
            _share_keys(address, ("country", "city"))
    subscriptions = spec.get("subscriptions")
    for subscription in subscriptions if isinstance(subscriptions, list) else ():
        if isinstance(subscription, dict) and isinstance(offer := subscription.get("offer"), dict):
            _share_keys(offer, ("productId", "skuId"))


def _share_keys(mapping: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        if key in mapping:
            mapping[key] = shared_text(mapping[key])


_Sent = tuple[list[tuple[str, int, int, str, str]], list[Claim] | None, Any]


def _portable(result: _Checked) -> _Sent:
    """What a child process sends back of :func:`_check_customer`'s result: plain tuples, lists and the
    file's data (the parsed YAML), which marshal writes and reads many times faster than pickle does
    dataclasses and models (pickled models took 0.15 s to read back for 5,000 files); no document, which is
    read again only to place a rare problem. The child sends a chunk of files at a time (parallel.py), so the
    parsed trees alive in this process are one chunk's, never the child's whole share."""
    return (
        [(p.file, p.line, p.column, p.path, p.message) for p in result.problems],
        result.claims,
        result.data if result.claims is not None else None,
    )


def _restored(name: str, sent: _Sent) -> _Checked:
    """The result again, its model built here from the data the schema accepted in the child."""
    located, claims, data = sent
    problems = [Problem(*fields) for fields in located]
    if data is None:
        return _Checked(problems, claims, None)
    customer = CustomerFile.model_validate(data)
    return _Checked(problems, claims, Declared(Path(name), customer))


def _check(
    paths: Sequence[Path],
    *,
    config_path: Path | None,
    today: dt.date | None,
    models: bool,
    files: Sequence[Path] | None = None,
) -> Report:
    paths = list(paths) or [Path(".")]
    config_file = config_path if config_path is not None else find_config(paths)
    config, problems = _check_config(config_file)
    names = [str(file) for file in files] if files is not None else customer_file_names(paths, config_file)
    from cspsync.declarations.pricebook_rules import load_pricing  # pricing builds on declarations: imported late

    pricing, pricing_problems = load_pricing(config_file.parent)
    problems += pricing_problems
    context = _Context(config, today or latest_date(), pricing)
    one = partial(_check_customer, context=context, keep="model" if models else "nothing")
    if len(names) >= PARALLEL_FROM and parallel.can_fork():
        # the first file before the fork: what checking it compiles and imports (the schema's validator, phone
        # numbers' metadata) is then done once for both processes
        first = one(names[0])
        # the child sends the data of valid files, and this process builds their models
        in_child = partial(_check_customer, context=context, keep="data" if models else "nothing")
        rest = parallel.map_in_two(
            one,
            names[1:],
            what="checking customer files",
            sent=_portable,
            restored=_restored,
            in_child=in_child,
        )
        checked = [first, *rest]
    else:
        checked = [one(name) for name in names]
    valid = [(name, result) for name, result in zip(names, checked, strict=True) if result.claims is not None]
    for result in checked:
        problems += result.problems

    @cache
    def document(index: int) -> Document:
        """A valid file's document, read again (once) to place a rare problem: no check keeps them."""
        name = valid[index][0]
        again = read_document(name, name)
        return again if isinstance(again, Document) else Document(name, "", {})  # changed meanwhile

    placed = cross_file_findings([result.claims or [] for _, result in valid], lambda i, p: document(i).where(p))
    too_many = sandbox_count_finding(config, len(valid))
    for index, finding in [*placed, *([too_many] if too_many else [])]:
        problems.append(document(index).problem(finding))
    repository = None
    if models and not problems and config is not None:
        repository = Repository(
            root=config_file.parent,
            config_path=config_file,
            config=config,
            customers=tuple(result.declared for _, result in valid if result.declared is not None),
        )
    return Report(repository, tuple(sort_problems(problems)), tuple(names))


def validate(
    paths: Sequence[Path], *, config_path: Path | None = None, today: dt.date | None = None
) -> tuple[Repository | None, list[Problem]]:
    """Every problem in every file (sorted by file, line, column); the repository only when there are none.

    ``paths`` are files or folders (searched recursively for ``*.yaml``/``*.yml``); the config is
    ``config_path`` or the cspsync.yaml found by :func:`find_config`. ``today`` bounds agreement dates.
    """
    report = check(paths, config_path=config_path, today=today)
    return report.repository, list(report.problems)


def load_repository(
    paths: Sequence[Path],
    *,
    config_path: Path | None = None,
    today: dt.date | None = None,
    files: Sequence[Path] | None = None,
) -> Repository:
    """The valid repository (of exactly ``files`` when given), or DeclarationError carrying every problem."""
    report = check(paths, config_path=config_path, today=today, files=files)
    if report.repository is None:
        raise _error(report.problems)
    return report.repository
