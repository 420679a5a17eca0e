"""Execute a plan: dependency order, bounded concurrency, one handler per kind, an audit record.

Handlers (:mod:`cspsync.apply.handlers`) are idempotent by natural keys, so an apply that was killed
half-way is repaired by running it again. A failed action skips only what
depends on it: other customers go on, except when a one-time password is at risk (a credentials write
failed): then nothing else runs, and tenants are created one at a time so no second create can be under
way. The apply record (JSON under ``.cspsync/applies/``) is rewritten after every action, and completed
and written last whatever fails, so even a killed or crashed apply leaves a true account of what it did.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from types import FrameType

from cspsync import secrets
from cspsync.apply.handlers import HANDLERS, subscription_of
from cspsync.apply.provisioning import RecentOrders, recent_orders, still_provisioning
from cspsync.apply.record import ActionResult, ApplyRecord, LostPasswordNote, ResultStatus
from cspsync.declarations import Repository
from cspsync.errors import (
    ApplyStopped,
    CredentialsError,
    CspsyncError,
    PartnerCenterError,
)
from cspsync.git import git_output
from cspsync.mail import Transport
from cspsync.mail.configured import transport_for
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.plan.model import Action, Kind, Plan
from cspsync.signals import handling, stop_requests
from cspsync.workspace import Workspace, fsync_directory, write_json_atomic

__all__ = ["ActionResult", "Applier", "ApplyRecord", "git_commit"]


def git_commit(cwd: Path) -> str | None:
    """The commit the declarations come from, when they are in a git work tree."""
    out = _git(["rev-parse", "HEAD"], cwd)
    return (out.strip() or None) if out is not None else None


def _git(args: list[str], cwd: Path) -> str | None:
    return git_output(args, cwd, timeout=30)


def uncommitted(cwd: Path, paths: list[Path]) -> list[str]:
    """Files among ``paths`` (and below them) that differ from HEAD or are untracked, as absolute paths: an
    apply from them does not run from the commit it records."""
    top = _git(["rev-parse", "--show-toplevel"], cwd)
    if not paths or top is None:
        return []
    out = _git(["status", "--porcelain", "--untracked-files=all", "--", *[str(p.resolve()) for p in paths]], cwd)
    if out is None:
        return []
    root = Path(top.strip())
    return sorted(
        {str((root / line[3:].strip().split(" -> ")[-1]).resolve()) for line in out.splitlines() if len(line) > 3}
    )


def declaring_commits(cwd: Path, files: list[str]) -> dict[str, str]:
    """The commit that last changed each file (only committed files; one ``git log`` per file)."""
    found: dict[str, str] = {}
    for file in files:
        out = _git(["log", "-1", "--format=%H", "--", file], cwd)
        if out and out.strip():
            found[file] = out.strip()
    return found


class Terminated(KeyboardInterrupt):
    """SIGTERM during an apply (a cancelled CI job, a stopped service): stops it as Ctrl-C does."""


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM's default ends the process at once, leaving the record without what the calls in flight
    did; raised as an interrupt instead, it stops the apply the way Ctrl-C does."""

    def terminated(number: int, frame: FrameType | None) -> None:
        raise Terminated

    with handling([signal.SIGTERM], terminated):
        yield


def stop_reason(err: BaseException) -> str:
    """What the record says stopped the apply: a person or the system, or (anything else) a bug."""
    if isinstance(err, Terminated):
        return "interrupted (SIGTERM)"
    if isinstance(err, KeyboardInterrupt):
        return "interrupted (Ctrl-C)"
    return f"internal error ({type(err).__name__})"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Applier:
    """Runs the ready actions of one plan against one client."""

    def __init__(
        self,
        plan: Plan,
        repo: Repository,
        client: PartnerCenterClient,
        workspace: Workspace,
        *,
        workers: int = 4,
        on_progress: Callable[[ActionResult], None] | None = None,
        clock: Callable[[], dt.datetime] = _now,
        mailer: Transport | None = None,
        resend: bool = False,
        scope: str | None = None,
        baseline: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        assignment_timeout: float = 120.0,
        poll_interval: float = 2.0,
    ) -> None:
        self.plan = plan
        self.repo = repo
        self.client = client
        self.workspace = workspace
        self.workers = max(1, workers)
        self.on_progress = on_progress
        #: told how many actions' calls are still in flight when a Ctrl-C stops the apply (it waits for them)
        self.on_stopping: Callable[[int], None] | None = None
        self.clock = clock
        self._lock = threading.Lock()
        adopting = {a.customer for a in plan.actions if a.kind is Kind.ADOPT_CUSTOMER}
        #: tenant ids of the customers actions may write to: linked ones now, adopted ones once adopted
        self.customer_ids: dict[str, str] = {
            c.name: c.tenant_id
            for c in plan.customers
            if c.state == "linked" and c.tenant_id and c.name not in adopting
        }
        started = clock()
        stamp = started.strftime("%Y%m%dT%H%M%S%fZ")
        files = [c.file for c in plan.customers]
        self.record = ApplyRecord(
            path=workspace.applies / f"{stamp}-{plan.correlation_id[:8]}.json",
            started_at=started.isoformat(),
            target=plan.target,
            correlation_id=client.correlation_id,
            git_commit=git_commit(repo.root),
            plan_fingerprint=plan.observed_fingerprint,
            declarations_fingerprint=plan.declarations_fingerprint,
            actions_digest=plan.digest,
            partner_tenant_id=plan.partner_tenant_id,
            uncommitted=uncommitted(repo.root, [Path(f) for f in files] + [repo.config_path]),
            scope=scope,
            unknown=list(plan.unknown),
            baseline=baseline,
        )
        ready = {a.customer for a in plan.actions if a.status == "ready"}
        dirty = set(self.record.uncommitted)
        commits = declaring_commits(
            repo.root, [c.file for c in plan.customers if c.name in ready and str(Path(c.file).resolve()) not in dirty]
        )
        self._declared_in = {c.name: commits.get(c.file) for c in plan.customers}
        self._agreement_template: str | None = None
        self._orders: RecentOrders | None = None
        #: the invitation transport (built from cspsync.yaml on first use when not given)
        self.mailer = mailer
        #: send invitations again even when the ledger says they were sent (``apply --resend``)
        self.resend = resend
        self._creating = False  # one create at a time: a lost password stops the apply before the next
        #: GDAP relationships this apply created, by (customer, display name): later actions need their id
        self.admin_relationship_ids: dict[tuple[str, str], str] = {}
        #: how long an access assignment is followed from pending to active, and how often it is read
        self.sleep = sleep
        self.assignment_timeout = assignment_timeout
        self.poll_interval = poll_interval

    # ------------------------------------------------------------------------------------ scheduling

    def run(self) -> ApplyRecord:
        """Run every ready action; whatever happens, the record is completed and written last."""
        pending: dict[str, Action] = {}
        try:
            with _terminate_as_interrupt():
                self._run(pending)
        except BaseException as err:  # a bug, Ctrl-C: stop, but never lose what was done
            if self.record.stopped is None:
                self.record.stopped = stop_reason(err)
            raise
        finally:
            for action_id, action in list(pending.items()):
                if action_id not in self.record.results:  # a "started" create keeps its intent: outcome unknown
                    self._finish(self._not_run(action))
            self.record.finished_at = self.clock().isoformat()
            self._save(final=True)
        return self.record

    def _run(self, pending: dict[str, Action]) -> None:
        """Sort the plan's actions into recorded (waiting, blocked, refused) and ``pending``, then run these."""
        for action in self.plan.actions:
            if action.status != "ready" or action.kind not in HANDLERS:  # waits (acceptance, approval)
                status: ResultStatus = (
                    "blocked"
                    if action.status == "blocked"
                    else ("refused" if action.status == "refused" else "waiting")
                )
                self._finish(
                    ActionResult(
                        action.id, action.customer, action.kind.value, status, action.reason or "waits for a person"
                    )
                )
            else:
                pending[action.id] = action
        if self._preflight(pending):
            self._schedule(pending)

    def _preflight(self, pending: dict[str, Action]) -> bool:
        """Before any action: if a tenant will be created, its password must be storable. False: stopped."""
        if not any(a.kind is Kind.CREATE_CUSTOMER for a in pending.values()):
            return True
        try:
            secrets.check_writable(self.credentials_dir())
        except CredentialsError as err:
            self.record.stopped = f"{err.message}. To recover: {err.hint}"
            return False
        return True

    def _schedule(self, pending: dict[str, Action]) -> None:
        actions = {a.id for a in self.plan.actions}
        running: dict[Future[ActionResult], Action] = {}
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="apply")
        try:
            self._dispatch(pool, pending, running, actions)
        except BaseException as err:  # Ctrl-C, SIGTERM or a bug: what was sent must still be recorded
            self._interrupted(err, running)
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _dispatch(
        self,
        pool: ThreadPoolExecutor,
        pending: dict[str, Action],
        running: dict[Future[ActionResult], Action],
        actions: set[str],
    ) -> None:
        """Start each action once its dependencies are done, until none is left to start or running."""
        while pending or running:
            if self.record.stopped is None:
                for action_id in list(pending):
                    action = pending[action_id]
                    deps = [self.record.results.get(d) for d in action.depends_on if d in actions]
                    if any(d is None or d.status == "started" for d in deps):
                        continue
                    bad = [d for d in deps if d is not None and d.status not in ("done", "already-done")]
                    if bad:
                        del pending[action_id]
                        self._finish(self._skipped(action, f"not run: {bad[0].id} is {bad[0].status}"))
                        continue
                    if self._subscription_busy(action, running):
                        continue
                    if action.kind is Kind.CREATE_CUSTOMER:
                        if self._creating:
                            continue
                        self._creating = True
                    del pending[action_id]
                    running[pool.submit(self._run_one, action)] = action
            if not running:
                for action in list(pending.values()):  # dependencies outside the ready set never finish
                    if self.record.stopped is not None:
                        self._finish(self._not_run(action))
                    else:
                        self._finish(self._skipped(action, "not run: a dependency was not run"))
                pending.clear()
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            # in the order they were started, not the set's: the record (and history) must not
            # depend on the memory addresses of futures that finished together
            for future in [f for f in running if f in done]:
                action = running.pop(future)
                if action.kind is Kind.CREATE_CUSTOMER:
                    self._creating = False
                self._finish(future.result())

    def _interrupted(self, err: BaseException, running: dict[Future[ActionResult], Action]) -> None:
        """No action starts after a stop, and every one already sent ends up in the record.

        A call in flight cannot be taken back (an order may be placed), so the running actions are waited
        for and their results recorded; a second Ctrl-C (or SIGTERM) ends the wait. An action still running
        then stays "started" (its outcome unknown: the next plan reads Partner Center again); if its calls
        then succeed before the process exits (the interpreter waits for the pool's threads), it records that.
        """
        if self.record.stopped is None:
            self.record.stopped = stop_reason(err)
        with stop_requests() as given_up:  # from here a Ctrl-C cannot break the recording, only the wait
            for future, action in list(running.items()):
                if future.cancel():  # queued, never started
                    del running[future]
                    self._finish(self._not_run(action))
            in_flight = sum(1 for future in running if not future.done())
            if in_flight and self.on_stopping is not None:
                self.on_stopping(in_flight)
            while not given_up.requested and not all(future.done() for future in running):
                wait(running, timeout=0.1)
            for future, action in running.items():
                if future.done():
                    self._finish(future.result())
                    continue
                if action.id not in self.record.results:  # a create's "started" keeps its intent
                    self._finish(self._in_flight(action))
                future.add_done_callback(partial(self._ended_late, action))
        running.clear()

    def _in_flight(self, action: Action) -> ActionResult:
        message = (
            f"its calls were in flight when the apply stopped ({self.record.stopped}): its outcome is not known; "
            "the next plan reads Partner Center again and shows whether it happened"
        )
        return ActionResult(
            action.id, action.customer, action.kind.value, "started", message, started_at=self.clock().isoformat()
        )

    def _ended_late(self, action: Action, future: Future[ActionResult]) -> None:
        """An action whose calls outlived the wait: only a success replaces its "started" entry (a failure
        after the stop may be the connection being closed under it, which says nothing of the call)."""
        if future.cancelled() or future.exception() is not None:
            return
        result = future.result()
        if result.status in ("done", "already-done"):
            self._finish(result, progress=False)

    @staticmethod
    def _subscription_busy(action: Action, running: dict[Future[ActionResult], Action]) -> bool:
        """Another action on the same subscription is running: they go one at a time, in plan order."""
        key = subscription_of(action)
        return key is not None and any(subscription_of(other) == key for other in running.values())

    @staticmethod
    def _skipped(action: Action, reason: str) -> ActionResult:
        return ActionResult(action.id, action.customer, action.kind.value, "skipped", reason)

    def _not_run(self, action: Action) -> ActionResult:
        """An action that did not start because the apply stopped first, and why it stopped."""
        return self._skipped(action, f"not run: the apply stopped ({self.record.stopped})")

    def _finish(self, result: ActionResult, *, progress: bool = True) -> None:
        result.declared_in = self._declared_in.get(result.customer)
        with self._lock:
            self.record.results[result.id] = result
            self._save()
        if progress and self.on_progress is not None:
            self.on_progress(result)

    def _save(self, *, final: bool = False) -> None:
        """Write the record; a failure is remembered (the command prints the record) and never raised."""
        try:
            write_json_atomic(self.record.path, self.record.document())
        except OSError as err:
            self.record.save_error = f"{self.record.path}: {err.strerror or type(err).__name__}"
        else:
            if final:
                self.record.save_error = None

    def record_intent(self, action: Action, intent: dict[str, str]) -> None:
        """Write, durably, that ``action`` is about to create a tenant: before the call, never after.

        A killed or timed-out create leaves this intent in the record; only it lets a later plan adopt the
        customer found at that domain (:mod:`cspsync.plan.identity`). ApplyStopped when it cannot be written.
        """
        started = ActionResult(
            action.id,
            action.customer,
            action.kind.value,
            "started",
            "create call sent; its outcome is not recorded yet",
            started_at=self.clock().isoformat(),
            details={"intent": intent},
            declared_in=self._declared_in.get(action.customer),
        )
        with self._lock:
            self.record.results[action.id] = started
            try:
                write_json_atomic(self.record.path, self.record.document())
                fsync_directory(self.record.path.parent)
            except OSError as err:
                del self.record.results[action.id]
                raise ApplyStopped(
                    f"the apply record {self.record.path} cannot be written ({err.strerror or type(err).__name__}), "
                    "so the create intent could not be recorded before the create call: no tenant is created",
                    hint="free space in (or fix) the state folder (CSPSYNC_STATE_DIR) and run apply again",
                ) from None

    def _run_one(self, action: Action) -> ActionResult:
        if self.record.stopped is not None:  # queued before the stop: it must not start after it
            return self._not_run(action)
        result = ActionResult(
            action.id, action.customer, action.kind.value, "done", started_at=self.clock().isoformat()
        )
        with self.client.calls() as log:
            try:
                HANDLERS[action.kind](self, action, result)
            except ApplyStopped as err:
                result.status = "failed"
                result.message = str(err).replace("\n", " ")
                self.record.stopped = err.message
            except PartnerCenterError as err:
                result.status = "failed"
                result.message = str(err).replace("\n", " ")
                if err.code:
                    result.details["code"] = err.code
            except CspsyncError as err:
                result.status = "failed"
                result.message = str(err).replace("\n", " ")
            except Exception as err:  # a bug: stop here, keep the record (the message names only the type)
                result.status = "failed"
                result.message = f"internal error in cspsync ({type(err).__name__}); the apply stopped here"
                result.details["internalError"] = type(err).__name__
                self.record.stopped = f"internal error in {action.id} ({type(err).__name__})"
        result.request_ids = list(dict.fromkeys(log.request_ids))
        result.finished_at = self.clock().isoformat()
        return result

    def customer_id(self, action: Action) -> str:
        customer_id = self.customer_ids.get(action.customer)
        if customer_id is None:
            raise CspsyncError(f"{action.customer}: the customer's tenant id is not known (was it created?)")
        return customer_id

    def lost_password(self, customer: str, domain: str, tenant_id: str | None) -> str:
        """Note a one-time password this apply could not store; returns the recovery steps."""
        recovery = secrets.recovery_steps(customer, domain)
        with self._lock:
            self.record.lost_passwords.append(LostPasswordNote(customer, domain, tenant_id, recovery))
        return recovery

    def credentials_dir(self) -> Path:
        return secrets.credentials_directory(self.repo.root, self.repo.config.credentials.directory)

    def transport(self) -> Transport:
        """The invitation transport, built from cspsync.yaml on first use when not given."""
        with self._lock:
            if self.mailer is None:
                self.mailer = transport_for(self.repo.config, target=self.plan.target, workspace=self.workspace)
            return self.mailer

    def provisioning_order(self, customer_id: str, friendly_name: str) -> str | None:
        """The id of an order an earlier apply placed for this subscription that Partner Center still
        provisions (its subscription not listed yet), else None.

        Orders and their subscriptions can take up to 15 minutes to be listed ("Create an Azure plan"), so
        the subscription list alone cannot prove that nothing was bought. The apply records of the last day
        name the orders; each is read back by id before it counts. A record can only hold back an order,
        never cause one.
        """
        return still_provisioning(self.client, self._recent_orders(), customer_id, friendly_name)

    def _recent_orders(self) -> RecentOrders:
        """(customer, subscription key) -> ids of the orders earlier applies of the last day placed without
        learning their subscription, newest first; read once per apply."""
        with self._lock:
            if self._orders is None:
                self._orders = recent_orders(self.workspace.applies, self.plan.target, self.clock(), self.record.path)
            return self._orders

    def agreement_template(self, agreement_type: str) -> str:
        """The agreement's template id, read once per apply."""
        with self._lock:
            if self._agreement_template is None:
                self._agreement_template = self.client.agreement_template(agreement_type).template_id
            return self._agreement_template
