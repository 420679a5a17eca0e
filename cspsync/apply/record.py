"""The apply record: what one apply did, action by action, rewritten after every action (JSON under
``.cspsync/applies/``), so even a killed apply leaves a true account for the auditors and ``history``.

It is also the memory of identity (:mod:`cspsync.observe.applied`): a create's intent is written here, durably,
before the create call; the tenant it made and a password that was lost are written after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cspsync import __version__

#: ``started``: written before a create call, replaced when it ends; left as is when the apply was killed
ResultStatus = Literal["done", "already-done", "failed", "skipped", "waiting", "blocked", "refused", "started"]
#: 2.0: snake_case keys, like the plan JSON (history still reads the camelCase records of 1.0); 2.1: identity,
#: scope and outcome fields (partner_tenant_id, dirty, baseline, succeeded, lost_passwords, declared_in)
RECORD_FORMAT = "2.1"


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
    #: the commit that last changed the customer's file (None: uncommitted, or not in git)
    declared_in: str | None = None


@dataclass(frozen=True)
class LostPasswordNote:
    """A one-time admin password this apply could not store: the action that lost it failed."""

    customer: str
    domain: str
    tenant_id: str | None
    recovery: str


@dataclass
class ApplyRecord:
    path: Path
    started_at: str
    target: str
    correlation_id: str
    git_commit: str | None
    plan_fingerprint: str
    declarations_fingerprint: str
    #: the digest of the actions applied (equal to the reviewed plan's when a saved plan was applied)
    actions_digest: str | None = None
    partner_tenant_id: str | None = None
    #: files of the apply's scope with uncommitted changes: the apply did not run from a clean commit
    uncommitted: list[str] = field(default_factory=list)
    #: how the scope was chosen (``--since-last-apply``: the commit it compared with), in words
    scope: str | None = None
    results: dict[str, ActionResult] = field(default_factory=dict)
    finished_at: str | None = None
    #: things a person must know that are not an action's result
    warnings: list[str] = field(default_factory=list)
    lost_passwords: list[LostPasswordNote] = field(default_factory=list)
    #: why the apply stopped before running every action (a credentials write failed, an internal error)
    stopped: str | None = None
    #: the last write of this record failed (disk full): the command prints it instead
    save_error: str | None = None
    #: customers not applied because their state could not be read
    unknown: list[str] = field(default_factory=list)
    #: the scope held every customer file that changed up to the commit (a full or since-last-apply apply)
    baseline: bool = False

    @property
    def failed(self) -> list[ActionResult]:
        return [r for r in self.results.values() if r.status == "failed"]

    @property
    def dirty(self) -> bool:
        return bool(self.uncommitted)

    @property
    def succeeded(self) -> bool:
        """What exit 0 means: finished, nothing failed, stopped, lost, blocked, refused or unknown."""
        return (
            self.finished_at is not None
            and self.stopped is None
            and not self.lost_passwords
            and not self.unknown
            and all(r.status not in ("failed", "blocked", "refused", "started") for r in self.results.values())
        )

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for result in self.results.values():
            counts[result.status] = counts.get(result.status, 0) + 1
        return counts

    def document(self) -> dict[str, Any]:
        return {
            "format_version": RECORD_FORMAT,
            "cspsync_version": __version__,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "target": self.target,
            "partner_tenant_id": self.partner_tenant_id,
            "correlation_id": self.correlation_id,
            "git_commit": self.git_commit,
            "dirty": self.dirty,
            "uncommitted_files": self.uncommitted,
            "scope": self.scope,
            "baseline": self.baseline and not self.dirty,
            "succeeded": self.succeeded,
            "unknown": self.unknown,
            "observed_fingerprint": self.plan_fingerprint,
            "declarations_fingerprint": self.declarations_fingerprint,
            "actions_digest": self.actions_digest,
            "summary": self.counts(),
            "stopped": self.stopped,
            "warnings": self.warnings,
            "lost_passwords": [
                {"customer": n.customer, "domain": n.domain, "tenant_id": n.tenant_id, "recovery": n.recovery}
                for n in self.lost_passwords
            ],
            "actions": [
                {
                    "id": r.id,
                    "customer": r.customer,
                    "kind": r.kind,
                    "status": r.status,
                    "message": r.message,
                    "request_ids": r.request_ids,
                    "started_at": r.started_at,
                    "finished_at": r.finished_at,
                    "declared_in": r.declared_in,
                    "details": r.details,
                }
                for r in self.results.values()
            ],
        }
