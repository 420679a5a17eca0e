"""A large `cspsync validate` shares the files with a forked child: it must report exactly what one
process reports, and a child that fails must fail the validation loudly."""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cspsync.declarations import check, parallel, repository
from cspsync.declarations.problems import format_path
from cspsync.render.validation import format_json, format_text
from tests.cli import runner

from .support import CUSTOMER, TODAY, Repo, edit


def _customer(number: int) -> str:
    """CUSTOMER made unique: its own name, company and domain."""
    text = edit(CUSTOMER, "name: contoso-bikes", f"name: customer-{number:03d}")
    text = edit(text, "name: Contoso Bikes Ltd", f"name: Contoso Bikes {number:03d} Ltd")
    return edit(text, "domainPrefix: contosobikes", f"domainPrefix: contosobikes{number:03d}")


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every check of two or more files forks (whatever threads the test process has); the list counts the
    forks, so a test knows the second process really ran."""
    calls: list[int] = []
    real = parallel.map_in_two

    def counted(function: Callable[[Any], Any], items: Any, **kwargs: Any) -> list[Any]:
        calls.append(len(items))
        return real(function, items, **kwargs)

    monkeypatch.setattr(repository, "PARALLEL_FROM", 2)
    monkeypatch.setattr(parallel, "can_fork", lambda: ALONE[0] is False)
    monkeypatch.setattr(parallel, "map_in_two", counted)
    return calls


#: ``[True]`` while a check must run in one process (the forks fixture's ``can_fork`` then says no)
ALONE = [False]


def _alone(*args: Any, **kwargs: Any) -> repository.Report:
    ALONE[0] = True
    try:
        return check(*args, **kwargs)
    finally:
        ALONE[0] = False


def _both(repo: Repo, forks: list[int], *, models: bool = False) -> tuple[repository.Report, repository.Report]:
    """The report of one process and the report of two, on the same files (``models``: both keep them)."""
    alone = _alone([Path("customers")], today=TODAY, models=models)
    assert forks == []
    in_two = check([Path("customers")], today=TODAY, models=models)
    assert forks == [len(alone.files) - 1]  # the first file is checked before the fork
    return alone, in_two


@pytest.fixture
def portfolio(repo: Repo) -> Repo:
    """Eight files: c000 is checked before the fork, c001 by the parent and c007 by the child first, the others by
    whichever takes them; problems in files either may check."""
    for number in range(8):
        repo.write(f"customers/c{number:03d}.yaml", _customer(number))
    repo.write("customers/c000.yaml", edit(_customer(0), 'dateAgreed: "2026-10-01"', 'dateAgreed: "2027-10-01"'))
    repo.write("customers/c001.yaml", edit(_customer(1), "quantity: 12", "quantity: 0"))
    repo.write("customers/c005.yaml", "spec: [unclosed\n")
    # the company of c002 again in c006
    repo.write("customers/c006.yaml", edit(_customer(6), "Contoso Bikes 006 Ltd", "Contoso Bikes 002 Ltd"))
    # the domain of c006 again in c007 (the child's first file), and money the pricing rules refuse
    c007 = edit(_customer(7), "domainPrefix: contosobikes007", "domainPrefix: contosobikes006")
    repo.write("customers/c007.yaml", edit(c007, "  tenant:\n", "  currency: USD\n  pricebook: retail\n  tenant:\n"))
    return repo


def test_two_processes_report_exactly_what_one_does(portfolio: Repo, forks: list[int]) -> None:
    alone, in_two = _both(portfolio, forks)
    assert in_two.problems == alone.problems
    assert in_two.files == alone.files
    assert (format_text(in_two), format_json(in_two)) == (format_text(alone), format_json(alone))
    assert in_two.repository is None
    lines = [str(p) for p in in_two.problems]
    files = sorted({p.file for p in in_two.problems})
    assert files == [f"customers/c00{n}.yaml" for n in (0, 1, 5, 6, 7)]
    assert (
        "customers/c006.yaml:7:11: spec.company.name: company is already declared in customers/c002.yaml:7:11; "
        "each customer (and tenant) has exactly one file" in lines
    )
    assert (
        "customers/c007.yaml:25:19: spec.tenant.domainPrefix: domain contosobikes006.onmicrosoft.com is already "
        "declared in customers/c006.yaml:23:19; each customer (and tenant) has exactly one file" in lines
    )
    assert any(line.startswith("customers/c007.yaml:") and "bills customers in GB in GBP" in line for line in lines)
    assert any(line.startswith("customers/c000.yaml:") and "is in the future" in line for line in lines)
    assert any(line.startswith("customers/c001.yaml:") and "quantity" in line for line in lines)
    assert any(line.startswith("customers/c005.yaml:") and "invalid YAML" in line for line in lines)


def test_two_processes_keep_the_sandbox_limits(repo: Repo, forks: list[int]) -> None:
    """The per-file limits in the files the child checks and the count of customers across both processes."""
    config = (repo.root / "cspsync.yaml").read_text(encoding="utf-8")
    repo.write("cspsync.yaml", config.replace("target: emulator", "target: partner-center-sandbox"))
    for number in range(80):
        repo.write(f"customers/c{number:03d}.yaml", _customer(number))
    repo.write("customers/c070.yaml", edit(_customer(70), "quantity: 12", "quantity: 30"))
    alone, in_two = _both(repo, forks)
    assert in_two.problems == alone.problems
    lines = [str(p) for p in in_two.problems]
    assert lines == [
        "customers/c070.yaml:37:17: spec.subscriptions[1].quantity: the integration sandbox allows 25 licences per "
        "subscription, not 30",
        "customers/c075.yaml:4:9: metadata.name: the integration sandbox holds at most 75 customers and 80 files are "
        "declared; this is customer 76 and later: plan fewer against the sandbox",
    ]


def test_a_valid_portfolio_in_two_processes(repo: Repo, forks: list[int]) -> None:
    for number in range(5):
        repo.write(f"customers/c{number:03d}.yaml", _customer(number))
    alone, in_two = _both(repo, forks)
    assert (in_two.valid, in_two.summary()) == (True, "5 customer files valid")
    assert alone.repository is None and in_two.repository is None


def test_a_plan_loads_the_same_declarations_in_two_processes(repo: Repo, forks: list[int]) -> None:
    """A plan's load keeps models: the child's half comes back as data and is made into the same models, in
    file order, as one process makes them."""
    for number in range(7):
        repo.write(f"customers/c{number:03d}.yaml", _customer(number))
    alone, in_two = _both(repo, forks, models=True)
    assert alone.repository is not None and in_two.repository is not None
    assert in_two.repository.customers == alone.repository.customers
    assert [d.customer.metadata.name for d in in_two.repository.customers] == [f"customer-{n:03d}" for n in range(7)]


def test_a_plan_load_in_two_processes_places_problems_as_one_does(portfolio: Repo, forks: list[int]) -> None:
    alone, in_two = _both(portfolio, forks, models=True)
    assert in_two.problems == alone.problems and in_two.problems
    assert in_two.repository is None and alone.repository is None


def _in_the_child(monkeypatch: pytest.MonkeyPatch, act: Callable[[], object]) -> None:
    """Checking a file does ``act()`` in the child process only; the parent checks as always."""
    parent = os.getpid()
    real = repository._check_customer

    def checked(name: str, context: Any, *, keep: Any) -> Any:
        if os.getpid() != parent:
            act()
        return real(name, context, keep=keep)

    monkeypatch.setattr(repository, "_check_customer", checked)


def _raise() -> None:
    raise RuntimeError("disk on fire")


def _killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _garbage(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    def send(descriptor: int, value: object, *, quiet: bool = False) -> None:
        os.write(descriptor, b"not a pickle")

    monkeypatch.setattr(parallel, "_send", send)
    return lambda: None


def _short(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    real = parallel._send
    monkeypatch.setattr(parallel, "_send", lambda descriptor, value, quiet=False: real(descriptor, [], quiet=quiet))
    return lambda: None


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (lambda _: _raise, "failed: RuntimeError: disk on fire"),
        (lambda _: _killed, f"was killed by signal {signal.SIGKILL.value}"),
        (_garbage, "sent back something other than its results"),
        (_short, "sent back something other than its results"),
    ],
    ids=["raises", "killed", "garbage", "too-few-results"],
)
def test_a_failing_child_fails_validate(
    portfolio: Repo,
    forks: list[int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    failure: Callable[[pytest.MonkeyPatch], Callable[[], object]],
    reason: str,
) -> None:
    _in_the_child(monkeypatch, failure(monkeypatch))
    result = runner(capsys)("validate", "customers")
    assert forks == [7]
    assert result.code == 1
    assert result.out == ""
    assert result.err.startswith(f"Error: the second process checking customer files {reason}\n")
    assert "Traceback" not in result.err
    assert "nothing is valid" in result.err


def test_a_child_killed_after_sending_some_of_its_chunks_fails_validate(
    portfolio: Repo, forks: list[int], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The child sends its first chunk, takes a second and dies: what it sent is not taken for all of it."""
    parent, checked_by_child = os.getpid(), []
    real = repository._check_customer

    def checked(name: str, context: Any, *, keep: Any) -> Any:
        if os.getpid() == parent:
            time.sleep(0.05)  # the child takes chunks while the caller is busy
        else:
            checked_by_child.append(name)
            if len(checked_by_child) == 2:
                _killed()
        return real(name, context, keep=keep)

    monkeypatch.setattr(repository, "_check_customer", checked)
    result = runner(capsys)("validate", "customers")
    assert forks == [7]
    assert (result.code, result.out) == (1, "")
    killed = f"was killed by signal {signal.SIGKILL.value}"
    assert result.err.startswith(f"Error: the second process checking customer files {killed}\n")


def test_cross_file_problems_place_a_file_that_was_not_kept(portfolio: Repo, forks: list[int]) -> None:
    """The earlier file of a duplicate is read again to place it: the place is the field, not the file's top."""
    _, in_two = _both(portfolio, forks)
    duplicate = next(p for p in in_two.problems if p.file == "customers/c006.yaml")
    assert (duplicate.line, duplicate.column, duplicate.path) == (7, 11, format_path(("spec", "company", "name")))


def test_no_fork_while_another_thread_runs(portfolio: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """A lock another thread holds at the fork would stay held in the child: then one process checks all."""
    monkeypatch.setattr(repository, "PARALLEL_FROM", 2)
    forked: list[int] = []
    monkeypatch.setattr(parallel, "map_in_two", lambda *args, **kwargs: forked.append(1))
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        report = check([Path("customers")], today=TODAY, models=False)
        with_models = check([Path("customers")], today=TODAY)
    finally:
        release.set()
        other.join()
    assert forked == []
    assert report.problems == with_models.problems and report.problems


@pytest.mark.skipif(not parallel.can_fork(), reason="needs a fork and two CPUs")
@pytest.mark.parametrize(
    "make",
    [
        lambda i: {"name": f"c{i:03d}", "seats": i, "labels": {"tier": "gold"}, "ids": (i, None, True)},
        lambda i: format_path(("spec", "subscriptions", i)),
        lambda i: Path(f"customers/c{i:03d}.yaml"),  # no plain data: pickled instead
    ],
    ids=["plain data", "text", "objects"],
)
def test_the_childs_results_come_back_as_they_were(make: Callable[[int], object]) -> None:
    assert parallel.map_in_two(make, list(range(9)), what="testing") == [make(i) for i in range(9)]


@pytest.mark.skipif(not parallel.can_fork(), reason="needs a fork and two CPUs")
@pytest.mark.parametrize("count", [0, 1, 2, 3, 129, 1000])
def test_every_item_comes_back_once_in_order_whatever_the_count(count: int) -> None:
    assert parallel.map_in_two(lambda i: i * 2, list(range(count)), what="testing") == [i * 2 for i in range(count)]


@pytest.mark.skipif(not parallel.can_fork(), reason="needs a fork and two CPUs")
def test_the_faster_process_takes_more_of_the_work() -> None:
    """Chunks go to whichever process is free: a slow child (another program on its core) checks few files.
    With halves fixed in advance, the caller waited for the slow half."""
    caller = os.getpid()

    def work(item: int) -> tuple[int, bool]:
        if os.getpid() != caller:
            time.sleep(0.002)
        return item, os.getpid() == caller

    results = parallel.map_in_two(work, list(range(400)), what="testing")
    assert [item for item, _ in results] == list(range(400))
    assert 300 < sum(by_caller for _, by_caller in results) < 400


def test_a_load_holds_little_more_than_the_declarations_it_keeps(repo: Repo, forks: list[int]) -> None:
    """A plan's load of many files: its peak memory is what it keeps plus a little, whatever the portfolio's
    size. It held every file's text and parsed tree, and the child's whole half twice (its bytes, their values
    and the models built from them): 1.6x what it kept (1.5 GB of RSS at 100,000 customers)."""
    for number in range(600):
        repo.write(f"customers/c{number:03d}.yaml", _customer(number))
    check([Path("customers")], today=TODAY, models=True)  # imports and compiled validators out of the count
    gc.collect()
    tracemalloc.start()
    try:
        report = check([Path("customers")], today=TODAY, models=True)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.repository is not None and len(report.repository.customers) == 600
    assert forks[-1] == 599
    assert peak < 1.25 * kept, f"peak {peak / 2**20:.1f} MiB for {kept / 2**20:.1f} MiB kept"


def test_values_a_portfolio_repeats_are_one_object_in_a_load_whichever_process_read_them(
    repo: Repo, forks: list[int]
) -> None:
    """A market, a culture, an offer or a label repeats across thousands of files; a load keeps one copy."""
    for number in range(6):
        repo.write(f"customers/c{number:03d}.yaml", _customer(number))
    report = check([Path("customers")], today=TODAY, models=True)
    assert report.repository is not None and forks  # half of the files were read by the second process
    companies = [declared.customer.spec.company for declared in report.repository.customers]
    offers = [
        sub.offer
        for declared in report.repository.customers
        for sub in declared.customer.spec.subscriptions
        if not isinstance(sub.offer, str)
    ]
    assert len({id(company.address.country) for company in companies}) == 1
    assert len({id(company.culture) for company in companies}) == 1
    assert offers and len({id(offer.productId) for offer in offers if offer.productId == offers[0].productId}) == 1
