"""The integration sandbox's limits, checked by validate when cspsync.yaml's target is partner-center-sandbox.

https://learn.microsoft.com/en-us/partner-center/developer/test-and-debug: a sandbox account holds at
most 75 customers, 5 subscriptions per customer and 25 licences per subscription; sandbox partners cannot
invite customers that already have a tenant (https://learn.microsoft.com/en-us/partner-center/developer/
sandbox-scenario).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from cspsync.declarations.models import Config, CustomerFile
from cspsync.declarations.problems import Finding
from cspsync.declarations.rules import Located

SANDBOX = "partner-center-sandbox"
MAX_CUSTOMERS = 75
MAX_SUBSCRIPTIONS = 5
MAX_LICENCES = 25


def sandbox_findings(config: Config | None, items: Sequence[tuple[Located, CustomerFile]]) -> list[tuple[int, Finding]]:
    """(index into ``items``, finding) pairs; none unless the target is the sandbox."""
    if config is None or config.target != SANDBOX:
        return []
    found = [(index, finding) for index, (_, customer) in enumerate(items) for finding in _per_file(customer)]
    if len(items) > MAX_CUSTOMERS:
        found.append(
            (
                MAX_CUSTOMERS,
                Finding(
                    ("metadata", "name"),
                    f"the integration sandbox holds at most {MAX_CUSTOMERS} customers and {len(items)} files are "
                    "declared; this is customer 76 and later: plan fewer against the sandbox",
                ),
            )
        )
    return found


def _per_file(customer: CustomerFile) -> Iterator[Finding]:
    spec = customer.spec
    if spec.tenant.mode == "invite":
        yield Finding(
            ("spec", "tenant", "mode"),
            "the integration sandbox cannot invite a customer's existing tenant; use mode: create against the "
            "sandbox (invite works against partner-center)",
        )
    if len(spec.subscriptions) > MAX_SUBSCRIPTIONS:
        yield Finding(
            ("spec", "subscriptions", MAX_SUBSCRIPTIONS),
            f"the integration sandbox allows {MAX_SUBSCRIPTIONS} subscriptions per customer; "
            f"{len(spec.subscriptions)} are declared",
        )
    for index, subscription in enumerate(spec.subscriptions):
        if subscription.quantity > MAX_LICENCES:
            yield Finding(
                ("spec", "subscriptions", index, "quantity"),
                f"the integration sandbox allows {MAX_LICENCES} licences per subscription, not {subscription.quantity}",
            )
