"""The apply record: what one apply did, action by action, rewritten after every action (JSON under
``.cspsync/applies/``), so even a killed apply leaves a true account for the auditors and ``history``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cspsync import __version__

ResultStatus = Literal["done", "already-done", "failed", "skipped", "waiting", "blocked", "refused"]
#: 2.0: snake_case keys, like the plan JSON (history still reads the camelCase records of 1.0)
RECORD_FORMAT = "2.0"


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
    #: the digest of the actions applied (equal to the reviewed plan's when a saved plan was applied)
    actions_digest: str | None = None
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
            "format_version": RECORD_FORMAT,
            "cspsync_version": __version__,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "target": self.target,
            "correlation_id": self.correlation_id,
            "git_commit": self.git_commit,
            "observed_fingerprint": self.plan_fingerprint,
            "declarations_fingerprint": self.declarations_fingerprint,
            "actions_digest": self.actions_digest,
            "summary": self.counts(),
            "warnings": self.warnings,
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
                    "details": r.details,
                }
                for r in self.results.values()
            ],
        }
