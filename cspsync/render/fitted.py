"""A plan in Markdown within a size: the pull-request comment, the job summary, or (no limit) the whole plan.

The one layout of a plan in Markdown: ``cspsync plan --format markdown`` (the comment of a pull request's plan)
and ``cspsync merge-plans`` (a CI matrix's merged plan) both write it, from render/markdown.py's blocks.

GitHub refuses a comment body over 65,536 characters (REST "Create an issue comment": 422, "body is too long
(maximum is 65536 characters)") and aborts a step summary over 1 MiB ("$GITHUB_STEP_SUMMARY upload aborted,
supports content up to a size of 1024k"). The Markdown of a merged plan of 100,000 customers is tens of
megabytes, so the comment is built from whole blocks, the most important first:

1. the summary: headline, how Partner Center was read, and counts;
2. alerts, each with its count: reads that failed, blocked or refused actions (``!``), adoptions (``@``),
   cancellations and suspensions (``-``), their lines in at most a fifth of the room each, then "… and K
   more"; then money;
3. the customer table, in at most half of what is left;
4. one folded ``<details>`` section per customer, those with blocked, adopted or cancelled actions first;
5. a last line that says what was left out and where the whole plan is.

A block is never cut: a line, a table row, an alert item or a ``<details>`` section is there whole or not at
all, and the first block that does not fit ends its part (what is left out is always the least important).
What always appears (the summary, every alert's count, the last line) is reserved before anything optional,
so the limit holds. User text is escaped by render/escape.py, as in render/markdown.py, whose customer
sections and money table this module reuses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from cspsync.plan.model import Action, CustomerPlan, Kind, Plan, Symbol
from cspsync.render import escape
from cspsync.render.markdown import (
    LIMIT,
    MARKER,
    WHOLE_PLAN,
    _section,
    money_section,
    table_columns,
    table_head,
    table_more,
    table_row,
)
from cspsync.render.words import NOTHING_IN_SCOPE, adoption_line, headline, read_line, summary_line

COMMENT_LIMIT = LIMIT  # characters
SUMMARY_LIMIT = 1024 * 1024  # bytes, per step
#: the least limit this renderer is asked to keep: room for the summary, every alert's count and the last line
MIN_LIMIT = 4_096
#: each alert's lines take at most this fraction of the room left (1/5), so that blocked actions by the thousand
#: still leave room for adoptions, cancellations, money, the table and the first customer sections
ALERT_SHARE = 5
#: the files of the whole plan in the artifact the workflow uploads
ARTIFACT_FILES = "plan.md and plan.json"


@dataclass(frozen=True)
class Budget:
    """How much one place on GitHub accepts, and how it counts it."""

    limit: int | None  # None: no limit (the whole plan, for the artifact)
    unit: Literal["characters", "bytes"]
    place: str

    def size(self, text: str) -> int:
        return len(text) if self.unit == "characters" else len(text.encode("utf-8"))


COMMENT = Budget(COMMENT_LIMIT, "characters", "comment")
JOB_SUMMARY = Budget(SUMMARY_LIMIT, "bytes", "job summary")
WHOLE = Budget(None, "characters", "whole plan")


@dataclass(frozen=True)
class Elsewhere:
    """Where the whole plan is for a reader of a shortened one: a CI run's job summary and artifact, or files."""

    artifact: str | None = None  # the artifact's name (checked by the command: letters, digits, . _ -)
    run_url: str | None = None  # https://github.com/OWNER/REPO/actions/runs/ID (checked by the command)
    job_summary: bool = False  # the job summary holds more of it
    #: where the whole plan is without an artifact: the command that writes it
    whole: str = "the whole plan: `cspsync merge-plans PLANS --markdown-out plan.md --out plan.json`"

    def words(self) -> str:
        run = f"[run {self.run_url.rsplit('/', 1)[-1]}]({self.run_url})" if self.run_url else "this run"
        if self.artifact and self.job_summary:
            return (
                f"more of it is in the job summary of {run}, and all of it in its artifact `{self.artifact}` "
                f"({ARTIFACT_FILES})"
            )
        if self.artifact:
            return f"the whole plan is in the artifact `{self.artifact}` of {run} ({ARTIFACT_FILES})"
        return self.whole


#: a pull request's own plan: its whole text is the plan command's output, and the plan file beside it
OF_A_PLAN = Elsewhere(whole=WHOLE_PLAN)


@dataclass
class _Writer:
    """The document so far, what it may still take, and what it must keep room for."""

    budget: Budget
    strict: bool = False  # a block that does not fit raises _TooLarge
    parts: list[str] = field(default_factory=list)
    used: int = 0
    reserved: int = 0

    def fits(self, text: str) -> bool:
        limit = self.budget.limit
        return limit is None or self.used + self.reserved + self.budget.size(text) <= limit

    def add(self, text: str) -> bool:
        """Add ``text`` when it fits in what is not reserved; False (and nothing added) when it does not."""
        if not self.fits(text):
            if self.strict:
                raise _TooLarge
            return False
        self.write(text)
        return True

    def write(self, text: str) -> None:
        """Add ``text`` whatever its size: for what was reserved for it."""
        self.parts.append(text)
        self.used += self.budget.size(text)

    @contextmanager
    def keeping(self, text: str) -> Iterator[None]:
        """Room for ``text`` (or anything as large) kept while optional blocks are added."""
        size = self.budget.size(text) if self.budget.limit is not None else 0
        self.reserved += size
        try:
            yield
        finally:
            self.reserved -= size

    @property
    def room(self) -> int:
        return 10**18 if self.budget.limit is None else self.budget.limit - self.used - self.reserved


@dataclass(frozen=True)
class _Alert:
    """A GitHub alert whose intro (and count) always shows and whose items show as far as they fit; each item's
    line is made when the layout reaches it (escaping every one of 40,000 blocked actions took a second)."""

    kind: str  # WARNING, IMPORTANT, CAUTION
    intro: tuple[str, ...]
    of: Sequence[Any]  # what the items are lines of
    line: Callable[[Any], str]  # an item's line
    what: str  # what an item is, for "… and K more …" and the last line

    @property
    def count(self) -> int:
        return len(self.of)

    def items(self) -> Iterator[str]:
        return map(self.line, self.of)

    def head(self) -> str:
        return "".join(f"> {line}\n" for line in (f"[!{self.kind}]", *self.intro))

    def more(self, count: int) -> str:
        return f"> - … and {count:,} more {self.what}: in the whole plan\n"


def _destructive_words(actions: Sequence[Action]) -> list[str]:
    kinds = {a.kind for a in actions}
    words = []
    if kinds - {Kind.TERMINATE_ADMIN_RELATIONSHIP}:
        words.append("This plan suspends or cancels subscriptions.")
    if Kind.TERMINATE_ADMIN_RELATIONSHIP in kinds:
        words.append("This plan terminates admin relationships (GDAP): the partner loses that access to the tenant.")
    return words


def _item(symbol: str, action: Action, *, why: bool = False) -> str:
    text = f"{action.customer}: {action.summary}"
    if why:
        text += f" ({action.status}: {action.reason or 'no reason given'})"
    return f"> - `{symbol}` {escape.markdown_inline(text)}\n"


def _failed_read(reason: str) -> str:
    return f"> - {escape.markdown_inline(reason)}\n"


def _adoption(action: Action) -> str:
    return f"> - `@` {escape.markdown_inline(adoption_line(action))}\n"


def _alerts(plan: Plan) -> list[_Alert]:
    alerts: list[_Alert] = []
    if plan.unknown:
        alerts.append(
            _Alert(
                "WARNING",
                (f'{len(plan.unknown):,} read(s) failed, so part of the state is unknown (not "no changes"):',),
                plan.unknown,
                _failed_read,
                "failed read(s)",
            )
        )
    stuck = plan.stuck
    if stuck:
        alerts.append(
            _Alert(
                "WARNING",
                (f"**{len(stuck):,} action(s) are blocked or refused**: apply cannot do them as declared.",),
                stuck,
                partial(_item, Symbol.HUMAN.value, why=True),
                "blocked or refused action(s)",
            )
        )
    if plan.adoptions:
        alerts.append(
            _Alert(
                "IMPORTANT",
                (
                    f"**Adopts {len(plan.adoptions):,} customer(s) that cspsync did not create.** Check that each "
                    "is the declared customer before you approve:",
                ),
                plan.adoptions,
                _adoption,
                "adoption(s)",
            )
        )
    # the words say what the declarations ask to destroy, even where apply refuses it (the reviewer sees the
    # request); the items are what can run, a blocked or refused one being listed above already
    destructive = [a for a in plan.actions if a.destructive]
    if destructive:
        runnable = [a for a in destructive if a.status not in ("blocked", "refused")]
        held = len(destructive) - len(runnable)
        if not runnable:
            count = f"None runs as declared: the {held:,} destructive action(s) are blocked or refused (listed above)."
        else:
            count = (
                f"{len(runnable):,} destructive action(s)"
                + (f" can run ({held:,} more are blocked or refused)" if held else "")
                + ":"
            )
        alerts.append(
            _Alert(
                "CAUTION",
                (*_destructive_words(destructive), count),
                runnable,
                partial(_item, Symbol.REMOVE.value),
                "destructive action(s)",
            )
        )
    return alerts


def _rank(plan: Plan, customer: CustomerPlan) -> int:
    """0 blocked, 1 adopted, 2 destructive, 3 the rest: the order of the table and of the sections."""
    actions = [plan.action(i) for i in customer.actions]
    if any(a.status in ("blocked", "refused") for a in actions) or customer.attention:
        return 0
    if any(a.kind is Kind.ADOPT_CUSTOMER for a in actions):
        return 1
    if any(a.destructive for a in actions):
        return 2
    return 3


def _left_out(budget: Budget, elsewhere: Elsewhere, counts: Sequence[tuple[int, int, str]]) -> str:
    parts = [f"{left:,} of {total:,} {what}" for left, total, what in counts if left]
    where = elsewhere.words()
    return (
        f"\n_Not in this {budget.place} (GitHub's {budget.limit or 0:,}-{budget.unit.removesuffix('s')} limit): "
        f"{'; '.join(parts)}. {where[0].upper()}{where[1:]}._\n"
    )


class _TooLarge(Exception):
    """The whole plan does not fit: lay it out in shares."""


def render_fitted(plan: Plan, budget: Budget = COMMENT, elsewhere: Elsewhere | None = None) -> str:
    """``plan`` as Markdown of at most ``budget.limit`` (all of it when the limit is None); see the module.

    The whole plan when it fits (tried first, given up at the first block over the limit, so at most the
    limit's worth of work), else the layout in shares.
    """
    elsewhere = elsewhere or Elsewhere()
    if not plan.actions and not plan.unknown:
        return _no_changes(plan)
    blocks = _Blocks.of(plan)
    if budget.limit is not None:
        try:
            return _layout(plan, blocks, _Writer(budget, strict=True), elsewhere)
        except _TooLarge:
            pass
    return _layout(plan, blocks, _Writer(budget), elsewhere)


@dataclass(frozen=True)
class _Blocks:
    """What both attempts lay out, worked out once: the alerts, and the customers with something to show in
    the order of the table and the sections."""

    alerts: list[_Alert]
    changed: list[CustomerPlan]

    @classmethod
    def of(cls, plan: Plan) -> _Blocks:
        changed = sorted(
            (c for c in plan.customers if c.actions or c.note or c.attention), key=lambda c: _rank(plan, c)
        )  # stable: file order within a rank
        return cls(_alerts(plan), changed)


def _heading(plan: Plan) -> list[str]:
    """The comment's marker, title, headline and how Partner Center was read: in every rendering."""
    head = [MARKER, "### cspsync plan", "", f"`{headline(plan)}`", ""]
    if plan.read is not None:
        head += [escape.markdown_inline(read_line(plan.read)), ""]
    return head


def _no_changes(plan: Plan) -> str:
    """A plan with nothing to do and no failed read: a few lines, whatever the budget."""
    if not plan.customers:
        words = "**No changes.** " + NOTHING_IN_SCOPE.removeprefix("No changes. ")
    else:
        words = "**No changes.** Partner Center matches the declarations."
    return "\n".join([*_heading(plan), words]) + "\n"


def _layout(plan: Plan, blocks: _Blocks, writer: _Writer, elsewhere: Elsewhere) -> str:
    budget = writer.budget
    shares = budget.limit is not None and not writer.strict
    head = _heading(plan)
    if plan.observed_fingerprint.startswith("merged:"):
        head += ["_Merged from the shard plans of one CI matrix: for review; apply the shard plans, not this._", ""]
    head += [f"**{summary_line(plan.summary)}**", ""]
    alerts, changed = blocks.alerts, blocks.changed
    money = [line + "\n" for line in money_section(plan)]
    columns = table_columns(plan)
    head_of_table = table_head(columns)

    unmanaged = (
        f"\n_{len(plan.unmanaged):,} item(s) in Partner Center are not declared and stay untouched._\n"
        if plan.unmanaged
        else ""
    )
    worst: list[tuple[int, int, str]] = [(a.count, a.count, a.what) for a in alerts]
    worst += [(len(money), len(money), "money line(s)"), (len(changed), len(changed), "table row(s)")]
    worst.append((len(changed), len(changed), "customer section(s)"))
    tail = (_left_out(budget, elsewhere, worst) if budget.limit is not None else "") + unmanaged
    always = ["\n".join(head) + "\n"] + [a.head() + a.more(a.count) + "\n" for a in alerts] + [tail]
    writer.reserved = sum(budget.size(text) for text in always) if budget.limit is not None else 0
    left: list[tuple[int, int, str]] = []

    def release(text: str) -> None:
        if budget.limit is not None:
            writer.reserved -= budget.size(text)

    release(always[0])
    writer.write(always[0])
    for alert, kept in zip(alerts, always[1:-1], strict=True):
        release(kept)
        writer.write(alert.head())
        with writer.keeping(alert.more(alert.count) + "\n"):
            shown = _as_many(writer, alert.items(), writer.room // ALERT_SHARE if shares else None)
        if shown < alert.count:
            writer.write(alert.more(alert.count - shown))
        writer.write("\n")
        left.append((alert.count - shown, alert.count, alert.what))
    money_more = "\n_… and more money lines: in the whole plan._\n\n"  # a blank line ends a table or alert
    with writer.keeping(money_more):
        shown = _as_many(writer, money)
    if shown < len(money):
        writer.write(money_more)
    left.append((len(money) - shown, len(money), "money line(s)"))

    rows = 0
    if changed:
        with writer.keeping(table_more(len(changed), columns) + "\n"):
            table_room = writer.room // 2 if shares else writer.room
            if writer.fits(head_of_table) and budget.size(head_of_table) <= table_room:
                writer.write(head_of_table)
                rows_room = table_room - budget.size(head_of_table)
                rows = _as_many(writer, (table_row(plan, c, columns) for c in changed), rows_room)
                if rows < len(changed):
                    writer.write(table_more(len(changed) - rows, columns))
                writer.write("\n")
    left.append((len(changed) - rows, len(changed), "table row(s)"))
    sections = _as_many(writer, (_section(plan, c) for c in changed))
    left.append((len(changed) - sections, len(changed), "customer section(s)"))
    release(tail)
    if any(count for count, _, _ in left):
        writer.write(_left_out(budget, elsewhere, left))
    writer.write(unmanaged)
    return "".join(writer.parts)


def _as_many(writer: _Writer, blocks: Iterable[str], share: int | None = None) -> int:
    """Add blocks in order until one does not fit (in the room, or in ``share`` of it); how many were added."""
    count = spent = 0
    for block in blocks:
        if share is not None:
            spent += writer.budget.size(block)
            if spent > share:
                break
        if not writer.add(block):
            break
        count += 1
    return count


def summary_budget(used: int = 0) -> Budget:
    """The budget of a step summary that holds ``used`` bytes already (GitHub counts the step's whole file)."""
    return Budget(max(MIN_LIMIT, SUMMARY_LIMIT - used), "bytes", "job summary")


__all__: list[str] = [
    "COMMENT",
    "COMMENT_LIMIT",
    "JOB_SUMMARY",
    "MIN_LIMIT",
    "OF_A_PLAN",
    "SUMMARY_LIMIT",
    "WHOLE",
    "Budget",
    "Elsewhere",
    "render_fitted",
    "summary_budget",
]
