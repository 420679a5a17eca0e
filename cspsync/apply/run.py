"""Execute a plan: dependency order, bounded concurrency, idempotence by natural keys, an audit record.

Every action first checks whether its effect already exists (the customer by domain, the agreement by
contact, the subscription by friendly name), so an apply that was killed half-way is repaired by running
it again, and a create that timed out is adopted instead of repeated. A failed action skips only what
depends on it: other customers go on. The apply record (JSON under ``.cspsync/applies/``) is rewritten
after every action, so even a killed apply leaves a true account of what it did.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr

from cspsync import __version__, secrets
from cspsync.declarations import Repository
from cspsync.errors import CspsyncError, PartnerCenterError, ThrottledError, TransientError
from cspsync.invitations.ledger import ledger_entries
from cspsync.invitations.sending import send_invitation
from cspsync.mail import Transport
from cspsync.mail.configured import transport_for
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.partnercenter.models import (
    Address,
    BillingProfile,
    CartLineItem,
    CompanyProfileCreate,
    CustomerAgreement,
    CustomerCreateRequest,
)
from cspsync.plan.diff import folded
from cspsync.plan.model import Action, Kind, Plan
from cspsync.workspace import Workspace, write_json_atomic

ResultStatus = Literal["done", "already-done", "failed", "skipped", "waiting", "blocked", "refused"]
RECORD_FORMAT = "1.0"


@dataclass
class ActionResult:
    id: str
    customer: str
    kind: str
    status: ResultStatus
    message: str = ""
    request_ids: list[str] = field(default_factory=list)
    started_at: str | None = None
    finished_at: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class ApplyRecord:
    path: Path
    started_at: str
    target: str
    correlation_id: str
    git_commit: str | None
    plan_fingerprint: str
    declarations_fingerprint: str
    results: dict[str, ActionResult] = field(default_factory=dict)
    finished_at: str | None = None
    #: things a person must know that are not an action's result (a lost one-time password)
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[ActionResult]:
        return [r for r in self.results.values() if r.status == "failed"]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for result in self.results.values():
            counts[result.status] = counts.get(result.status, 0) + 1
        return counts

    def document(self) -> dict[str, Any]:
        return {
            "formatVersion": RECORD_FORMAT,
            "cspsyncVersion": __version__,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "target": self.target,
            "correlationId": self.correlation_id,
            "gitCommit": self.git_commit,
            "observedFingerprint": self.plan_fingerprint,
            "declarationsFingerprint": self.declarations_fingerprint,
            "summary": self.counts(),
            "warnings": self.warnings,
            "actions": [
                {
                    "id": r.id,
                    "customer": r.customer,
                    "kind": r.kind,
                    "status": r.status,
                    "message": r.message,
                    "requestIds": r.request_ids,
                    "startedAt": r.started_at,
                    "finishedAt": r.finished_at,
                    "details": r.details,
                }
                for r in self.results.values()
            ],
        }


def billing_profile(wanted: dict[str, Any], current: BillingProfile | None = None) -> BillingProfile:
    """The declared billing profile on top of ``current`` (fields cspsync does not manage are kept)."""
    address = wanted["defaultAddress"]
    base = current or BillingProfile()
    return base.model_copy(
        update={
            "company_name": wanted["companyName"] or base.company_name,
            "email": wanted["email"],
            "culture": wanted["culture"],
            "language": wanted["language"],
            "first_name": wanted["firstName"],
            "last_name": wanted["lastName"],
            "default_address": (base.default_address or Address()).model_copy(
                update={
                    "country": address["country"],
                    "address_line1": address["addressLine1"],
                    "address_line2": address["addressLine2"],
                    "city": address["city"],
                    "state": address["state"],
                    "postal_code": address["postalCode"],
                    "phone_number": address["phoneNumber"],
                    "first_name": wanted["firstName"],
                    "last_name": wanted["lastName"],
                }
            ),
        }
    )


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
        )
        self._agreement_template: str | None = None
        #: the invitation transport (built from cspsync.yaml on first use when not given)
        self.mailer = mailer
        #: send invitations again even when the ledger says they were sent (``apply --resend``)
        self.resend = resend

    # ------------------------------------------------------------------------------------ scheduling

    def _report_lost_passwords(self) -> None:
        """A tenant created by an apply that stopped before storing its password: say so once, on record."""
        directory = self._credentials_dir()
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
            if action.status != "ready" or action.kind is Kind.AWAIT_ACCEPTANCE:
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
                handler = getattr(self, "_do_" + action.kind.value.replace("-", "_"))
                handler(action, result)
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

    def _customer_id(self, action: Action) -> str:
        customer_id = self.customer_ids.get(action.customer)
        if customer_id is None:
            raise CspsyncError(f"{action.customer}: the customer's tenant id is not known (was it created?)")
        return customer_id

    # ------------------------------------------------------------------------------------ actions

    def _do_create_customer(self, action: Action, result: ActionResult) -> None:
        payload = action.payload
        domain: str = payload["domain"]
        existing = self.client.find_customer_by_domain(domain)
        if existing is not None:
            self.customer_ids[action.customer] = existing.id
            result.status = "already-done"
            result.details["tenantId"] = existing.id
            stored = secrets.files_for(self._credentials_dir(), action.customer)
            secrets.mark_password_lost(self._credentials_dir(), action.customer)
            result.message = f"{domain} already exists as customer {existing.id}; adopted it" + (
                f" (credentials stored earlier in {stored[-1]})"
                if stored
                else " (no stored credentials: its admin password was not captured by cspsync)"
            )
            return
        request = CustomerCreateRequest(
            company_profile=CompanyProfileCreate(
                domain=domain, organization_registration_number=payload.get("organizationRegistrationNumber")
            ),
            billing_profile=billing_profile(payload["billingProfile"]),
            associated_partner_id=payload.get("associatedPartnerId") or None,
        )
        directory = self._credentials_dir()
        secrets.mark_create_started(directory, action.customer, domain, self.clock())
        try:
            created = self.client.create_customer(request)
        except (TransientError, ThrottledError):
            raise  # it may have landed: keep the marker so the next run says the password is lost
        except BaseException:
            secrets.clear_create_started(directory, action.customer)
            raise
        customer = created.customer
        self.customer_ids[action.customer] = customer.id
        result.details["tenantId"] = customer.id
        if created.credentials is not None:
            path = secrets.store(
                self._credentials_dir(),
                secrets.TenantCredentials(
                    customer=action.customer,
                    tenant_id=customer.id,
                    domain=domain,
                    user_name=f"{created.credentials.user_name}@{domain}",
                    password=SecretStr(created.credentials.password.get_secret_value()),
                    created_at=self.clock(),
                ),
                self.repo.config.credentials.ageRecipients,
            )
            secrets.clear_create_started(directory, action.customer)
            result.details["credentials"] = str(path)
            result.message = f"created tenant {domain} ({customer.id}); admin credentials encrypted to {path}"
        else:
            result.message = f"created tenant {domain} ({customer.id}); the response carried no admin credentials"
            if created.credentials_lost:
                result.message += " (the create response was lost in transit: the password could not be captured)"
                secrets.mark_password_lost(directory, action.customer)
            else:
                secrets.clear_create_started(directory, action.customer)

    def _credentials_dir(self) -> Path:
        return secrets.credentials_directory(self.repo.root, self.repo.config.credentials.directory)

    def _mailer(self) -> Transport:
        with self._lock:
            if self.mailer is None:
                self.mailer = transport_for(self.repo.config, target=self.plan.target, workspace=self.workspace)
            return self.mailer

    def _do_request_invitation(self, action: Action, result: ActionResult) -> None:
        payload = action.payload
        declared = next(d for d in self.repo.customers if d.customer.metadata.name == action.customer)
        earlier = ledger_entries(self.workspace).get(action.customer)
        if earlier is not None and not self.resend and earlier.to.casefold() == str(payload["to"]).casefold():
            result.status = "already-done"
            result.details.update(earlier.details())
            result.message = (
                f"invitation already sent to {earlier.to} on {earlier.sent.at[:10]} ({earlier.sent.message_id}); "
                "apply --resend sends it again"
            )
            return
        link = self.client.relationship_request_link(payload.get("indirectResellerId") or None)
        delivery, entry = send_invitation(
            self.repo, declared, link=link, transport=self._mailer(), workspace=self.workspace, when=self.clock()
        )
        result.details.update({**entry.details(), "link": link})
        if delivery.by_hand:
            result.message = f"invitation for {payload['domain']} written to {delivery.file}: send it to {delivery.to}"
        else:
            result.message = (
                f"invitation for {payload['domain']} sent to {delivery.to} by {delivery.transport} "
                f"({delivery.detail}, Message-ID {delivery.message_id})"
            )

    def _do_update_billing_profile(self, action: Action, result: ActionResult) -> None:
        customer_id = self._customer_id(action)
        current = self.client.get_billing_profile(customer_id)
        updated = billing_profile(action.payload["billingProfile"], current)
        self.client.update_billing_profile(customer_id, updated)
        result.message = "billing profile updated: " + ", ".join(c.field for c in action.changes)

    def _do_create_agreement(self, action: Action, result: ActionResult) -> None:
        customer_id = self._customer_id(action)
        p = action.payload
        for agreement in self.client.list_agreements(customer_id):
            contact = agreement.primary_contact
            if (folded(contact.email), folded(contact.first_name), folded(contact.last_name)) == (
                folded(p["email"]),
                folded(p["firstName"]),
                folded(p["lastName"]),
            ) and (contact.phone_number or None) == (p.get("phoneNumber") or None):
                result.status = "already-done"
                result.message = "the agreement is already recorded for this contact"
                return
        if self._agreement_template is None:
            self._agreement_template = self.client.agreement_template(p["type"]).template_id
        self.client.create_agreement(
            customer_id,
            CustomerAgreement.model_validate(
                {
                    "primaryContact": {
                        "firstName": p["firstName"],
                        "lastName": p["lastName"],
                        "email": p["email"],
                        "phoneNumber": p.get("phoneNumber"),
                    },
                    "dateAgreed": f"{p['dateAgreed']}T00:00:00Z",
                    "templateId": self._agreement_template,
                    "type": p["type"],
                }
            ),
        )
        result.message = f"Microsoft Customer Agreement recorded for {p['firstName']} {p['lastName']}"

    def _do_order_subscription(self, action: Action, result: ActionResult) -> None:
        customer_id = self._customer_id(action)
        p = action.payload
        wanted = folded(p["friendlyName"])
        for sub in self.client.list_subscriptions(customer_id):
            if folded(sub.friendly_name) == wanted and (sub.status or "").lower() not in ("deleted", "expired"):
                result.status = "already-done"
                result.details["subscriptionId"] = sub.id
                result.message = f"{p['friendlyName']} already exists ({sub.id})"
                return
        availabilities = self.client.availabilities(p["productId"], p["skuId"], p["country"])
        if not availabilities:
            raise CspsyncError(
                f"{p['productId']}:{p['skuId']} is not available in {p['country']} (Partner Center error 800070)"
            )
        term = p.get("termDuration")
        chosen = availabilities[0]
        if term:
            for availability in availabilities:
                if any(t.duration == term for t in availability.terms):
                    chosen = availability
                    break
        catalog_item = chosen.catalog_item_id or f"{p['productId']}:{p['skuId']}:{chosen.id}"
        line = CartLineItem(
            catalog_item_id=catalog_item,
            quantity=p["quantity"],
            billing_cycle=p["billingCycle"],
            term_duration=term,
            friendly_name=p["friendlyName"],
        )
        cart = self.client.create_cart(customer_id, [line])
        checkout = self.client.checkout(customer_id, cart.id)
        if checkout.order_errors:
            error = checkout.order_errors[0]
            raise CspsyncError(f"order for {p['friendlyName']} failed: {error.code} {error.description}")
        subscription_id = None
        for order in checkout.orders:
            for item in order.line_items:
                if item.subscription_id:
                    subscription_id = item.subscription_id
        if subscription_id is None:  # recovered checkout or slow provisioning: find it by name
            for sub in self.client.list_subscriptions(customer_id):
                if folded(sub.friendly_name) == wanted:
                    subscription_id = sub.id
        result.details["subscriptionId"] = subscription_id
        if subscription_id and not p.get("azurePlan") and p.get("autoRenew") is False:
            sub = self.client.get_subscription(customer_id, subscription_id)
            self.client.update_subscription(customer_id, sub.model_copy(update={"auto_renew_enabled": False}))
        result.message = f"ordered {p['friendlyName']} ({subscription_id or 'subscription id pending'})"

    def _patch_subscription(self, action: Action, result: ActionResult) -> None:
        customer_id = self._customer_id(action)
        p = action.payload
        sub = self.client.get_subscription(customer_id, p["subscriptionId"])
        names = {
            "friendlyName": "friendly_name",
            "quantity": "quantity",
            "autoRenewEnabled": "auto_renew_enabled",
            "status": "status",
        }
        update = {names[k]: v for k, v in p["set"].items() if k in names}
        self.client.update_subscription(customer_id, sub.model_copy(update=update))
        result.details["subscriptionId"] = p["subscriptionId"]
        result.message = f"{p['friendlyName']}: " + ", ".join(f"{k} → {v}" for k, v in p["set"].items())

    _do_update_subscription = _patch_subscription
    _do_suspend_subscription = _patch_subscription
    _do_cancel_subscription = _patch_subscription
