"""The tenant link of one customer: create a tenant, invite an existing one and wait, or adopt by id."""

from __future__ import annotations

from collections.abc import Sequence

from cspsync.declarations import Declared
from cspsync.declarations.keys import onmicrosoft_domain, reseller
from cspsync.declarations.models import Config
from cspsync.invitations.schedule import next_reminder_at, times
from cspsync.observe.state import Observation, ObservedCustomer, SentInvitation
from cspsync.plan import payloads
from cspsync.plan.builder import Builder
from cspsync.plan.model import CustomerState, Kind, Status

#: address validation statuses Partner Center treats as a deliverable address ("Validate an address")
VERIFIED = ("VerifiedShippable", "Verified")
#: Partner Center could not check the address (no validation for the market): a warning, not a block
NOT_VALIDATED = "NotValidated"
#: what each status that blocks a create means, in the words of "Validate an address"
_NOT_VERIFIED = {
    "InteractionRequired": "Partner Center's suggestion changes the address significantly and needs a person to "
    "confirm it",
    "StreetPartial": "the street is incomplete",
    "PremisesPartial": "the premises (building, suite or unit number) are incomplete",
    "Multiple": "several parts of the address are incomplete",
    "None": "the address is incorrect",
}


def address_refusal(observation: Observation, name: str) -> str | None:
    """Why a create would meet an invalid address (Partner Center: "Validate an address"), in words.

    Every status but the verified ones and NotValidated blocks; the suggestions are shown for a person to
    copy into the file: cspsync never replaces a declared address by one Partner Center suggests.
    """
    found = observation.address_status.get(name)
    if not found or found[0] in VERIFIED or found[0] == NOT_VALIDATED:
        return None
    status, message = found
    meaning = _NOT_VERIFIED.get(status, "Partner Center did not verify it")
    suggestions = observation.address_suggestions.get(name, ())
    if suggestions:
        offered = "; Partner Center suggests: " + "; or ".join(f"“{s}”" for s in suggestions)
        fix = "copy the right suggestion into company.address (or correct it yourself) and plan again"
    else:
        offered = "; Partner Center suggests no other address"
        fix = "correct company.address and plan again"
    return (
        f"Partner Center did not verify company.address ({status}: {meaning}"
        + (f"; {message}" if message else "")
        + f"){offered}. A customer must be created with a valid physical address: {fix}"
    )


def address_warnings(observation: Observation, name: str) -> list[str]:
    """Statuses that let the create go ahead but that a reviewer should see."""
    found = observation.address_status.get(name)
    if found and found[0] == NOT_VALIDATED:
        return ["address validation: NotValidated (Partner Center could not check the address)"]
    if found and found[0] == "Verified":
        return [
            "address validation: Verified, not VerifiedShippable (the address exists; Partner Center does not "
            "confirm that it can be shipped to, as a post-office box)"
        ]
    return []


def reseller_refusal(observation: Observation, config: Config, name: str | None) -> str | None:
    """Why Partner Center would refuse the reseller a customer file names (800016), read before the plan."""
    found = reseller(config, name)
    if found is None or observation.resellers is None:
        return None
    state = observation.resellers.get(found.tenantId.lower())
    if state is not None and state.lower() == "active":
        return None
    why = "does not list it among your indirect resellers" if state is None else f"lists its relationship as {state}"
    return (
        f"Partner Center {why} ({found.name}, tenant {found.tenantId}), so it would refuse this (800016): check "
        "partner.resellers in cspsync.yaml, or the reseller relationship in Partner Center"
    )


def plan_tenant(
    b: Builder,
    declared: Declared,
    observed: ObservedCustomer | None,
    observation: Observation,
    config: Config,
    *,
    admin_approvals: Sequence[payloads.AdminApproval] = (),
    admin_deps: Sequence[str] = (),
) -> tuple[list[str], CustomerState, str | None]:
    """Actions that establish the tenant link; returns (dependencies for later actions, state, note).

    ``admin_approvals`` are GDAP approval links an invitation sent now carries (after ``admin_deps``)."""
    if observed is not None:
        return [], "linked", None
    tenant = declared.customer.spec.tenant
    if tenant.mode == "create":
        return _create(b, declared, observation, config)
    if tenant.mode == "invite":
        return _invite(b, declared, observation, config, admin_approvals, admin_deps)
    action = b.add(
        Kind.AWAIT_ACCEPTANCE,
        f"adopt existing tenant {tenant.tenantId}",
        payloads.AwaitAcceptance(tenant_id=tenant.tenantId),
        status="blocked",
        reason=(
            f"tenant {tenant.tenantId} is not in your Partner Center customer list; an existing relationship "
            "cannot be adopted until it exists: use tenant.mode: invite to request it"
        ),
    )
    return [action], "missing", None


def _create(
    b: Builder, declared: Declared, observation: Observation, config: Config
) -> tuple[list[str], CustomerState, str | None]:
    spec = declared.customer.spec
    assert spec.tenant.mode == "create"
    domain = onmicrosoft_domain(spec.tenant.domainPrefix)
    status: Status = "ready"
    reason = None
    if observation.domain_available.get(b.name) is False:
        status, reason = (
            "blocked",
            f"{domain} is already taken by another tenant; choose another tenant.domainPrefix "
            "(the prefix is permanent)",
        )
    warnings = address_warnings(observation, b.name)
    refusal = address_refusal(observation, b.name) or reseller_refusal(observation, config, spec.reseller)
    if refusal and status == "ready":
        status, reason = "blocked", refusal
    found = reseller(config, spec.reseller)
    summary = f"create customer {spec.company.name} with new tenant {domain}"
    if found is not None:
        summary += f" for reseller {found.name}"
    settings = config.adminAccess
    default_gdap = settings.enableGDAPByDefault if settings is not None else None
    if default_gdap is True:
        summary += ", with the Default GDAP relationship"
    elif default_gdap is False:
        summary += ", without a Default GDAP relationship"
    action = b.add(
        Kind.CREATE_CUSTOMER,
        summary,
        payloads.CreateCustomer(
            domain=domain,
            billing_profile=payloads.BillingDetails.declared(spec),
            organization_registration_number=spec.company.organizationRegistrationNumber,
            associated_partner_id=found.tenantId if found is not None else None,
            enable_gdap_by_default=default_gdap,
        ),
        status=status,
        reason=reason,
        warnings=warnings,
    )
    return [action], "new", None


def _invite(
    b: Builder,
    declared: Declared,
    observation: Observation,
    config: Config,
    admin_approvals: Sequence[payloads.AdminApproval] = (),
    admin_deps: Sequence[str] = (),
) -> tuple[list[str], CustomerState, str | None]:
    sent = observation.sent_invitations.get(b.name)
    spec = declared.customer.spec
    tenant = spec.tenant
    assert tenant.mode == "invite"
    found = reseller(config, spec.reseller)
    deps: list[str] = []
    note = None
    readdressed = sent is not None and sent.to.casefold() != tenant.invitationEmail.casefold()
    refusal = reseller_refusal(observation, config, spec.reseller)
    if sent is None or sent.resend or readdressed:
        summary = f"request a reseller relationship: invitation to {tenant.invitationEmail} for {tenant.domain}"
        if sent is not None:
            summary += (
                f" (again: the one of {sent.sent_at[:10]} went to {sent.to})"
                if readdressed
                else f" (again: --resend; first sent on {sent.sent_at[:10]})"
            )
        warnings = []
        if admin_approvals:
            summary += " with the approval link of admin relationship " + ", ".join(
                a.display_name for a in admin_approvals
            )
        if config.invitations.transport == "outbox":
            warnings.append(
                "no mail transport is configured (invitations.transport: outbox): apply writes the message to "
                f"outbox/{b.name}.eml in the state folder (.cspsync/) and a person must send it"
            )
        deps.append(
            b.add(
                Kind.REQUEST_INVITATION,
                summary,
                payloads.RequestInvitation(
                    domain=tenant.domain,
                    to=tenant.invitationEmail,
                    indirect_reseller_id=found.tenantId if found is not None else None,
                    resend=sent is not None,
                    admin_approvals=tuple(admin_approvals),
                ),
                warnings=warnings,
                status="blocked" if refusal else "ready",
                reason=refusal,
                depends_on=admin_deps,
            )
        )
    else:
        note = invitation_note(sent, config)
    wait = b.add(
        Kind.AWAIT_ACCEPTANCE,
        f"wait for a global admin of {tenant.domain} to accept the reseller relationship",
        payloads.AwaitAcceptance(domain=tenant.domain),
        status="waiting",
        reason="Partner Center shows the customer once the invitation is accepted; then run plan again",
        depends_on=deps,
    )
    return [wait], "waiting", note


def invitation_note(sent: SentInvitation, config: Config) -> str:
    """``invitation sent to X on D by smtp; waiting since D, reminded N times; next reminder on D``."""
    how = (
        f"via the outbox ({sent.file or '.cspsync/outbox/'}: to be sent by hand)"
        if sent.delivery == "outbox"
        else f"by {sent.delivery}"
    )
    note = (
        f"invitation sent to {sent.to} on {sent.sent_at[:10]} {how}; waiting since {sent.sent_at[:10]}, "
        f"reminded {times(sent.reminders)}"
    )
    settings = config.invitations
    due = next_reminder_at(
        sent.sent_at, sent.reminder_times, after_days=settings.reminderAfterDays, max_reminders=settings.maxReminders
    )
    if due is not None:
        note += f"; next reminder on {due.date().isoformat()} (cspsync invitations remind)"
    elif settings.maxReminders:
        note += f" (no reminders left: invitations.maxReminders is {settings.maxReminders})"
    return note
