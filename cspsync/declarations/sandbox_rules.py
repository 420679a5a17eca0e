"""The integration sandbox's limits, checked by validate when cspsync.yaml's target is partner-center-sandbox.

https://learn.microsoft.com/en-us/partner-center/developer/test-and-debug: a sandbox account holds at
most 75 customers, 5 subscriptions per customer and 25 licences per subscription; sandbox partners cannot
invite customers that already have a tenant (https://learn.microsoft.com/en-us/partner-center/developer/
sandbox-scenario).
"""

from __future__ import annotations

from collections.abc import Iterator

from cspsync.declarations.models import Config, CustomerFile
from cspsync.declarations.problems import Finding

SANDBOX = "partner-center-sandbox"
MAX_CUSTOMERS = 75
MAX_SUBSCRIPTIONS = 5
MAX_LICENCES = 25


def sandbox_file_findings(config: Config | None, customer: CustomerFile) -> list[Finding]:
    """The limits one customer file must keep; none unless the target is the sandbox."""
    if config is None or config.target != SANDBOX:
        return []
    return list(_per_file(customer))


def sandbox_count_finding(config: Config | None, count: int) -> tuple[int, Finding] | None:
    """(index among the ``count`` valid customer files, finding) when there are more than the sandbox holds."""
    if config is None or config.target != SANDBOX or count <= MAX_CUSTOMERS:
        return None
    return (
        MAX_CUSTOMERS,
        Finding(
            ("metadata", "name"),
            f"the integration sandbox holds at most {MAX_CUSTOMERS} customers and {count} files are "
            "declared; this is customer 76 and later: plan fewer against the sandbox",
        ),
    )


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
