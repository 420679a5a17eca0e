"""Execute a plan: dependency order, bounded concurrency, one handler per kind, an audit record.

Handlers (:mod:`cspsync.apply.handlers`) are idempotent by natural keys, so an apply that was killed
half-way is repaired by running it again. A failed action skips only what
depends on it: other customers go on. The apply record (JSON under ``.cspsync/applies/``) is rewritten
after every action, so even a killed apply leaves a true account of what it did.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from cspsync import secrets
from cspsync.apply.handlers import HANDLERS
from cspsync.apply.record import ActionResult, ApplyRecord, ResultStatus
from cspsync.declarations import Repository
from cspsync.declarations.keys import subscription_key, tenant_key
from cspsync.errors import CspsyncError, NotFoundError, PartnerCenterError
from cspsync.mail import Transport
from cspsync.mail.configured import transport_for
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.plan.model import Action, Kind, Plan
from cspsync.workspace import Workspace, write_json_atomic

__all__ = ["ActionResult", "Applier", "ApplyRecord", "git_commit"]


def git_commit(cwd: Path) -> str | None:
    """The commit the declarations come from, when they are in a git work tree."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


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
        self.clock = clock
        self._lock = threading.Lock()
        self.customer_ids: dict[str, str] = {
            c.name: c.tenant_id for c in plan.customers if c.state == "linked" and c.tenant_id
        }
        started = clock()
        stamp = started.strftime("%Y%m%dT%H%M%S%fZ")
        self.record = ApplyRecord(
            path=workspace.applies / f"{stamp}-{plan.correlation_id[:8]}.json",
            started_at=started.isoformat(),
            target=plan.target,
            correlation_id=client.correlation_id,
            git_commit=git_commit(repo.root),
            plan_fingerprint=plan.observed_fingerprint,
            declarations_fingerprint=plan.declarations_fingerprint,
            actions_digest=plan.actions_digest,
        )
        self._agreement_template: str | None = None
        self._orders: dict[tuple[str, str], list[str]] | None = None
        #: the invitation transport (built from cspsync.yaml on first use when not given)
        self.mailer = mailer
        #: send invitations again even when the ledger says they were sent (``apply --resend``)
        self.resend = resend
        #: GDAP relationships this apply created, by (customer, display name): later actions need their id
        self.admin_relationship_ids: dict[tuple[str, str], str] = {}
        #: how long an access assignment is followed from pending to active, and how often it is read
        self.sleep = sleep
        self.assignment_timeout = assignment_timeout
        self.poll_interval = poll_interval

    # ------------------------------------------------------------------------------------ scheduling

    def _report_lost_passwords(self) -> None:
        """A tenant created by an apply that stopped before storing its password: say so once, on record."""
        directory = self.credentials_dir()
        lost = secrets.interrupted_creates(directory)
        for customer in self.plan.customers:
            if customer.name in lost and customer.state == "linked":
                self.record.warnings.append(secrets.lost_password_note(customer.name, lost[customer.name]))
                secrets.mark_password_lost(directory, customer.name)

    def run(self) -> ApplyRecord:
        self._report_lost_passwords()
        actions = {a.id: a for a in self.plan.actions}
        pending: dict[str, Action] = {}
        for action in self.plan.actions:
            if action.status != "ready" or action.kind not in HANDLERS:
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
        running: dict[Future[ActionResult], str] = {}
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="apply") as pool:
            while pending or running:
                for action_id in list(pending):
                    action = pending[action_id]
                    deps = [self.record.results.get(d) for d in action.depends_on if d in actions]
                    if any(d is None for d in deps):
                        continue
                    del pending[action_id]
                    bad = [d for d in deps if d is not None and d.status not in ("done", "already-done")]
                    if bad:
                        self._finish(
                            ActionResult(
                                action.id,
                                action.customer,
                                action.kind.value,
                                "skipped",
                                f"not run: {bad[0].id} is {bad[0].status}",
                            )
                        )
                        continue
                    running[pool.submit(self._run_one, action)] = action_id
                if not running:
                    if pending:  # dependencies outside the ready set that never finish
                        for action_id, action in list(pending.items()):
                            self._finish(
                                ActionResult(
                                    action_id,
                                    action.customer,
                                    action.kind.value,
                                    "skipped",
                                    "not run: a dependency was not run",
                                )
                            )
                        pending.clear()
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    running.pop(future)
                    self._finish(future.result())
        self.record.finished_at = self.clock().isoformat()
        self._save()
        return self.record

    def _finish(self, result: ActionResult) -> None:
        with self._lock:
            self.record.results[result.id] = result
            self._save()
        if self.on_progress is not None:
            self.on_progress(result)

    def _save(self) -> None:
        write_json_atomic(self.record.path, self.record.document())

    def _run_one(self, action: Action) -> ActionResult:
        result = ActionResult(
            action.id, action.customer, action.kind.value, "done", started_at=self.clock().isoformat()
        )
        with self.client.calls() as log:
            try:
                HANDLERS[action.kind](self, action, result)
            except PartnerCenterError as err:
                result.status = "failed"
                result.message = str(err).replace("\n", " ")
                if err.code:
                    result.details["code"] = err.code
            except CspsyncError as err:
                result.status = "failed"
                result.message = str(err).replace("\n", " ")
        result.request_ids = list(dict.fromkeys(log.request_ids))
        result.finished_at = self.clock().isoformat()
        return result

    def customer_id(self, action: Action) -> str:
        customer_id = self.customer_ids.get(action.customer)
        if customer_id is None:
            raise CspsyncError(f"{action.customer}: the customer's tenant id is not known (was it created?)")
        return customer_id

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
        for order_id in self._recent_orders().get((tenant_key(customer_id) or "", subscription_key(friendly_name)), []):
            try:
                order = self.client.get_order(customer_id, order_id)
            except NotFoundError:
                continue
            if (order.status or "").lower() != "cancelled":
                return order_id
        return None

    def _recent_orders(self) -> dict[tuple[str, str], list[str]]:
        """(customer, subscription key) -> ids of the orders earlier applies of the last day placed without
        learning their subscription, newest first; read once per apply."""
        with self._lock:
            if self._orders is None:
                self._orders = _orders_in(self.workspace.applies, self.record.path, self.plan.target, self.clock())
            return self._orders

    def agreement_template(self, agreement_type: str) -> str:
        """The agreement's template id, read once per apply."""
        with self._lock:
            if self._agreement_template is None:
                self._agreement_template = self.client.agreement_template(agreement_type).template_id
            return self._agreement_template


def _orders_in(folder: Path, current: Path, target: str, now: dt.datetime) -> dict[tuple[str, str], list[str]]:
    """The unprovisioned orders of the apply records (format 1.0 or 2.0) under ``folder`` of the last day."""
    found: dict[tuple[str, str], list[str]] = {}
    since = now - dt.timedelta(days=1)
    for path in sorted(folder.glob("*.json"), reverse=True) if folder.is_dir() else []:
        if path == current:
            continue
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            started = dt.datetime.fromisoformat(str(record.get("started_at") or record["startedAt"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if started < since or record.get("target") != target:
            continue
        for entry in record.get("actions") or []:
            details = entry.get("details") if isinstance(entry, dict) else None
            if entry.get("kind") != Kind.ORDER_SUBSCRIPTION.value or entry.get("status") != "done":
                continue
            if not isinstance(details, dict) or details.get("subscriptionId") or not details.get("orderId"):
                continue
            key = (
                tenant_key(str(details.get("customerId", ""))) or "",
                subscription_key(str(details.get("friendlyName"))),
            )
            found.setdefault(key, []).append(str(details["orderId"]))
    return found
