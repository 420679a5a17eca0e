"""Which customers a plan covers: the files changed since a git ref, a stable shard, or all of them.

``--changed-since REF`` plans what a pull request touched: the customer files that differ between the
merge base of REF and HEAD and the working tree (committed, staged, unstaged and untracked changes alike,
so a local run shows what the pull request will show). Renames count as changes of the new file; a
deleted file is reported as "no longer managed", never planned: deleting a declaration deletes nothing in
Partner Center. A change to cspsync.yaml can change the plan of any customer, so it widens the scope to
all of them.

``--shard I/N`` keeps the customer files whose ``sha256(path relative to cspsync.yaml's folder) mod N`` is
``I - 1`` (:mod:`cspsync.gitops.portfolio`): stable across runs, machines and checkout folders, decided
without reading a file, so a CI matrix of N jobs covers every file exactly once and each job reads only its
own. :func:`cspsync.gitops.shards.merge_plans` joins the shard plans into one for a single review comment.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cspsync.declarations import Declared, Repository
from cspsync.declarations.load import read_values
from cspsync.errors import ConfigError
from cspsync.git import GitUnavailable, git_output, run_git
from cspsync.gitops.portfolio import relative_name, shard_of
from cspsync.observe.read import Strategy
from cspsync.plan.build import DeletedDeclaration

SUFFIXES = (".yaml", ".yml")


# ----------------------------------------------------------------------------------------------- shards


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based: "1/4" .. "4/4", as a CI matrix counts
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        index, slash, count = text.strip().partition("/")
        if not slash or not index.isdigit() or not count.isdigit():
            raise ConfigError(f"--shard takes I/N (for example 2/4), not {text!r}")
        shard = cls(int(index), int(count))
        if shard.count < 1 or not 1 <= shard.index <= shard.count:
            raise ConfigError(f"--shard {text}: I must be between 1 and N, and N at least 1")
        return shard

    def holds(self, relative: str) -> bool:
        """Whether the customer file at ``relative`` (:func:`relative_name`) is in this shard."""
        return shard_of(relative, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


# ------------------------------------------------------------------------------------------ git changes


@dataclass(frozen=True)
class DeletedFile:
    """A customer file that existed at the merge base and is gone now."""

    path: str  # as git names it, relative to the repository's top folder
    name: str | None  # its metadata.name at the merge base (None when it could not be read)


@dataclass(frozen=True)
class Changes:
    """What changed between the merge base of ``ref`` and HEAD, plus the uncommitted work."""

    ref: str
    base: str  # the merge-base commit
    changed: frozenset[Path]  # resolved paths: added, modified, renamed-to, untracked
    deleted: tuple[DeletedFile, ...]
    top: Path  # the repository's top folder (resolved)


def _git(args: Sequence[str], cwd: Path) -> str:
    try:
        done = run_git(args, cwd)
    except GitUnavailable as err:
        raise ConfigError(f"{err}, and --changed-since needs git") from None
    if done.returncode != 0:
        raise ConfigError(f"git {args[0]} failed: {done.stderr.strip() or f'exit {done.returncode}'}")
    return done.stdout


def _merge_base(ref: str, cwd: Path) -> str:
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    except ConfigError:
        raise ConfigError(
            f"git does not know {ref!r}",
            hint="fetch it first (in GitHub Actions: actions/checkout with fetch-depth: 0)",
        ) from None
    try:
        return _git(["merge-base", ref, "HEAD"], cwd).strip()
    except ConfigError:
        raise ConfigError(
            f"{ref} and HEAD have no common commit (a shallow clone?)",
            hint="fetch the whole history (in GitHub Actions: actions/checkout with fetch-depth: 0)",
        ) from None


def _customer_name(text: str) -> str | None:
    document = read_values(text)
    if not isinstance(document, dict) or document.get("kind") != "Customer":
        return None
    metadata = document.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) else None


def head_commit(folder: Path) -> str | None:
    """The commit checked out in the git work tree of ``folder``; None outside git or before the first commit
    (there is then nothing to compare files with, whatever the apply records say)."""
    head = git_output(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], folder, timeout=30)
    return (head.strip() or None) if head is not None else None


def changed_since(ref: str, cwd: Path | None = None) -> Changes:
    """The files changed since the merge base of ``ref`` and HEAD, in the working tree of ``cwd``."""
    cwd = cwd or Path.cwd()
    try:
        top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip()).resolve()
    except ConfigError:
        raise ConfigError(f"--changed-since needs a git repository, and {cwd} is not in one") from None
    base = _merge_base(ref, top)
    # working tree against the merge base: committed, staged and unstaged changes in one diff
    fields = _git(["diff", "--name-status", "-M", "-z", "--no-ext-diff", base, "--"], top).split("\0")
    changed: set[Path] = set()
    deleted: list[DeletedFile] = []
    position = 0
    while position < len(fields) and fields[position]:
        status = fields[position]
        if status[0] in "RC":
            new = fields[position + 2]
            changed.add((top / new).resolve())
            position += 3
            continue
        path = fields[position + 1]
        position += 2
        if status[0] == "D":
            if path.endswith(SUFFIXES):
                try:
                    old = _git(["show", f"{base}:{path}"], top)
                except ConfigError:
                    old = ""
                deleted.append(DeletedFile(path, _customer_name(old)))
        else:
            changed.add((top / path).resolve())
    for path in _git(["ls-files", "--others", "--exclude-standard", "-z"], top).split("\0"):
        if path:
            changed.add((top / path).resolve())
    return Changes(ref=ref, base=base, changed=frozenset(changed), deleted=tuple(deleted), top=top)


# ---------------------------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """The customers one plan or apply covers, and how to observe them."""

    declared: tuple[Declared, ...]
    full_scope: bool  # every customer file of the repository: the plan may report unmanaged customers
    strategy: Strategy | None  # None: plan_for's default for the scope
    notes: tuple[str, ...] = ()  # what the scope is, in words, for the plan output
    deleted: tuple[DeletedFile, ...] = field(default_factory=tuple)
    ref: str | None = None

    @property
    def deleted_declarations(self) -> tuple[DeletedDeclaration, ...]:
        """Each deleted customer file, for the plan to list as unmanaged: reported, never acted on."""
        return tuple(
            DeletedDeclaration(path=item.path, name=item.name or Path(item.path).stem, ref=self.ref or "")
            for item in self.deleted
        )


def _under(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def select(
    repo: Repository,
    paths: Sequence[Path],
    *,
    changes: Changes | None = None,
    shard: Shard | None = None,
) -> Scope:
    """The scope for the customers of ``repo`` (loaded from ``paths``) narrowed by ``changes`` and ``shard``."""
    declared: tuple[Declared, ...] = repo.customers
    root = os.path.abspath(repo.root)
    notes: list[str] = []
    deleted: tuple[DeletedFile, ...] = ()
    narrowed = False
    total = len(declared)
    if changes is not None:
        roots = [p.resolve() for p in (paths or [Path(".")])]
        deleted = tuple(d for d in changes.deleted if d.name and _under((changes.top / d.path).resolve(), roots))
        if repo.config_path.resolve() in changes.changed:
            notes.append(f"scope: {repo.config_path} changed since {changes.ref}, so every customer is planned")
        else:
            declared = tuple(d for d in declared if d.path.resolve() in changes.changed)
            narrowed = True
            notes.append(f"scope: {len(declared)} of {total} customer file(s), changed since {changes.ref}")
    if shard is not None:
        # loaded for the shard, the files all hold already (pipeline.load_scoped); a whole repository is narrowed
        declared = tuple(d for d in declared if shard.holds(relative_name(d.path, root)))
        if changes is not None:  # a deleted file is reported by the shard its path was in
            real = str(repo.root.resolve())
            deleted = tuple(d for d in deleted if shard.holds(relative_name((changes.top / d.path).resolve(), real)))
        notes.append(f"shard {shard}: {len(declared)} customer file(s)")
    if narrowed:
        # k lookups for the k changed files, however large the portfolio
        return Scope(declared, False, "lookup", tuple(notes), deleted, changes.ref if changes else None)
    if shard is not None:
        # one pass over the customer list is cheaper than N/shards lookups for a large portfolio
        return Scope(declared, False, "list", tuple(notes), deleted, changes.ref if changes else None)
    if any(path.is_file() for path in paths):
        # files named one by one are not the portfolio: other customers are not "unmanaged"
        return Scope(declared, False, None, tuple(notes), deleted, changes.ref if changes else None)
    return Scope(declared, True, None, tuple(notes), deleted, changes.ref if changes else None)


def scope_of(
    repo: Repository,
    paths: Sequence[Path],
    *,
    changed_since_ref: str | None = None,
    shard: Shard | None = None,
    cwd: Path | None = None,
) -> Scope:
    """:func:`select` after reading the git changes since ``changed_since_ref`` (when given)."""
    changes = changed_since(changed_since_ref, cwd) if changed_since_ref else None
    return select(repo, paths, changes=changes, shard=shard)


def with_waiting(
    scope: Scope, repo: Repository, names: Sequence[str], since: str, *, shard: Shard | None = None
) -> Scope:
    """``scope`` plus the declared customers ``names`` that waited (for an acceptance) in the apply ``since``:
    their remaining actions were reviewed with their file, so ``--since-last-apply`` keeps applying them.

    With ``shard``, only those whose file is in it: every shard of a matrix adding every waiting customer would
    have N applies act on one customer at the same time."""
    have = {d.customer.metadata.name for d in scope.declared}
    root = os.path.abspath(repo.root)
    extra = tuple(
        d
        for d in repo.customers
        if d.customer.metadata.name in names
        and d.customer.metadata.name not in have
        and (shard is None or shard.holds(relative_name(d.path, root)))
    )
    if not extra:
        return scope
    note = f"scope: also {len(extra)} customer file(s) that waited in the apply of {since}: " + ", ".join(
        d.customer.metadata.name for d in extra
    )
    declared = tuple(sorted(scope.declared + extra, key=lambda d: str(d.path)))
    return Scope(declared, scope.full_scope, scope.strategy, (*scope.notes, note), scope.deleted, scope.ref)
