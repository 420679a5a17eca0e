"""Identity is evidence, not a lookup: is the customer found at a declared domain or tenant id the declared one?

A customer found by domain or tenant id is only acted on with evidence that cannot belong to someone else:

- ``create``: the apply records (or a credentials file) say this repository created that tenant for this
  file; or this repository's own interrupted create explains it (an intent recorded before the create call)
  *and* the company name and billing e-mail match what that create sent. That is an adoption, shown loudly.
  A tenant the applies created or adopted under another metadata.name stays a conflict (the file was
  renamed: metadata.name is the identity, so the reason says to put the old name back).
- ``existing``: the declared domain, when given, is one of the tenant's domains. The first plan after that
  adopts it (a reviewer sees who it is); later plans know it from the apply records.
- ``invite``: the tenant was found by the customer's own domain: its global admin accepted the
  relationship. The first plan adopts it, as above.

Anything else is a conflict: a blocked ``adopt-customer`` action names what was found (company, tenant id,
domains) and says what to change; nothing else of that customer can run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cspsync.declarations import Declared
from cspsync.declarations.keys import domain_key, folded
from cspsync.observe.state import Observation, ObservedCustomer
from cspsync.plan import payloads
from cspsync.records import shared_text
from cspsync.secrets import recovery_steps

Verdict = Literal["proven", "adopt", "conflict"]


@dataclass(frozen=True)
class Identity:
    verdict: Verdict
    #: the adopt-customer payload (for ``adopt`` and ``conflict``)
    found: payloads.AdoptCustomer | None = None
    #: why it is not proven, and what to change (``conflict``)
    reason: str | None = None
    #: what the adoption rests on, in words (``adopt``)
    evidence: str | None = None
    #: the other metadata.name(s) this repository's applies know the tenant under (``conflict``)
    known_as: tuple[str, ...] = ()


def _found(observed: ObservedCustomer, found_by: Literal["domain", "tenant-id"]) -> payloads.AdoptCustomer:
    return payloads.AdoptCustomer(
        tenant_id=observed.id,
        company_name=observed.company_name,
        domains=observed.domains or ((observed.domain.lower(),) if observed.domain else ()),
        found_by=found_by,
    )


def describe(found: payloads.AdoptCustomer) -> str:
    """``Tailspin Toys AS (tenant 3c9d…, domains tailspintoys.onmicrosoft.com)``."""
    domains = ", ".join(found.domains) or "none read"
    return f"{found.company_name} (tenant {found.tenant_id}, domains {domains})"


def _billing_email(observed: ObservedCustomer) -> str | None:
    return folded((observed.billing or {}).get("email"))


def identify(declared: Declared, observed: ObservedCustomer, observation: Observation) -> Identity:
    """The verdict on ``observed``, the Partner Center customer found for ``declared``."""
    customer = declared.customer
    name = customer.metadata.name
    tenant = customer.spec.tenant
    applied = observation.applied
    known = applied.proves(name, observed.id) or observed.id.lower() in observation.stored_credentials.get(name, ())
    wrong_domain = tenant.mode == "existing" and tenant.domain and domain_key(tenant.domain) not in observed.domains
    if known and not wrong_domain:  # a declared domain that is not the tenant's is a conflict even when known
        return Identity("proven")
    if tenant.mode == "create":
        found = _found(observed, "domain")
        earlier = applied.tenant_of(name)
        intent = applied.intents.get(name)
        if earlier is not None:
            return Identity(
                "conflict",
                found,
                f"this repository created tenant {earlier} for {name}, but {observed.domain} now belongs to "
                f"{describe(found)}: nothing is applied to it; find out what happened to tenant {earlier} before "
                "changing the file",
            )
        if (
            intent is not None
            and domain_key(intent.domain) == domain_key(observed.domain)
            and folded(intent.company_name) == folded(observed.company_name)
            and folded(intent.billing_email) == _billing_email(observed)
        ):
            adopted = found.model_copy(update={"evidence": "interrupted-create", "password_lost": True})
            return Identity(
                "adopt",
                adopted,
                evidence=(
                    f"this repository's create of {intent.domain}, started {intent.started_at[:19]} (apply record "
                    f"{intent.record.rsplit('/', 1)[-1]}), was interrupted before its answer was recorded; the "
                    "company name and billing e-mail match what it sent"
                ),
            )
        others = _known_as(observed, observation, name)
        if others:
            return Identity("conflict", found, _renamed(observed, others, name), known_as=tuple(sorted(others)))
        why = (
            "an interrupted create of this repository names another company or billing e-mail"
            if intent is not None
            else "no apply of this repository created it"
        )
        return Identity(
            "conflict",
            found,
            f"{observed.domain} already belongs to {describe(found)}, and {why}: nothing is applied to it. "
            "Choose another tenant.domainPrefix (the prefix is permanent); if it really is this customer, declare "
            f"it with tenant.mode: existing and tenantId: {observed.id}. If this repository did create it and its "
            "apply records were lost, restore the state folder's applies/ (CSPSYNC_STATE_DIR)",
        )
    if tenant.mode == "existing":
        found = _found(observed, "tenant-id")
        if tenant.domain and domain_key(tenant.domain) not in found.domains:
            return Identity(
                "conflict",
                found,
                f"tenant {observed.id} is {describe(found)}; the declared domain {tenant.domain} is not one of its "
                "domains: nothing is applied to it. Correct tenant.tenantId (or tenant.domain) in the file",
            )
        adopted = found.model_copy(update={"evidence": "declared-tenant-id"})
        matched = f" and the declared domain {tenant.domain} is one of its domains" if tenant.domain else ""
        return Identity("adopt", adopted, evidence=f"the file declares its tenant id{matched}")
    found = _found(observed, "domain")
    adopted = found.model_copy(update={"evidence": "accepted-invitation"})
    return Identity(
        "adopt",
        adopted,
        evidence=f"it is the customer's own domain {tenant.domain}: its global admin accepted the relationship",
    )


def _known_as(observed: ObservedCustomer, observation: Observation, name: str) -> dict[str, str]:
    """The other metadata.names whose applies created or adopted ``observed`` (or whose stored credentials
    hold it), each with its verb: a file whose metadata.name changed finds its tenant here under the old one."""
    known = observation.applied.customers_of(observed.id)
    tenant = observed.id.lower()
    for other, tenants in observation.stored_credentials.items():
        if tenant in tenants:
            known.setdefault(other, "created")
    known.pop(name, None)
    return known


def _renamed(observed: ObservedCustomer, known: dict[str, str], name: str) -> str:
    """metadata.name is the customer's identity here (apply records and credentials are kept under it), so a
    tenant is never taken over under a new name: the reason says what was found and to put the old name back."""
    then = " and ".join(f'{verb} it for the customer then named "{other}"' for other, verb in sorted(known.items()))
    back = " or ".join(f"metadata.name: {other}" for other in sorted(known))
    return (
        f"{observed.domain} belongs to {describe(_found(observed, 'domain'))}; an apply of this repository {then}, "
        f'not for "{name}": nothing is applied to it. metadata.name is a customer\'s identity in this repository '
        f"(its apply records and credentials are kept under it): if this file is that customer, put {back} back"
    )


def adopt_summary(found: payloads.AdoptCustomer, known_as: tuple[str, ...] = ()) -> str:
    if known_as:
        return f"adopt {describe(found)}: a customer this repository knows as {', '.join(known_as)}"
    return f"adopt {describe(found)}: a customer cspsync did not create"


def adopt_warnings(identity: Identity, name: str) -> list[str]:
    # most adoptions share one of a few texts: a portfolio's adoptions keep one copy of each
    warnings = [
        shared_text(f"adopted because {identity.evidence}; check it is the declared customer before you approve")
    ]
    if identity.found is not None and identity.found.password_lost:
        domain = identity.found.domains[0] if identity.found.domains else "the tenant"
        warnings.append(recovery_steps(name, domain))
    return warnings
