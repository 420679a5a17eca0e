"""One handler per action kind, looked up in :data:`HANDLERS`: each does one action against Partner Center.

Every handler first checks whether its effect already exists (the customer by domain, the agreement by
contact, the subscription by friendly name — the natural keys of :mod:`cspsync.declarations.keys`), so an
apply that was killed half-way is repaired by running it again. Handlers read their action's typed payload
and nothing else of the declarations, except the invitation, which renders the customer file's template.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import SecretStr

from cspsync import secrets
from cspsync.apply import azure, gdap
from cspsync.declarations.keys import contact_key, find_subscription, folded, live_offer_key, offer_key
from cspsync.errors import ApplyStopped, CredentialsError, CspsyncError, ThrottledError, TransientError
from cspsync.invitations.ledger import ledger_entries
from cspsync.invitations.sending import send_invitation
from cspsync.observe.read import observed_subscription
from cspsync.partnercenter.models import (
    Address,
    BillingProfile,
    CartLineItem,
    CompanyProfileCreate,
    CustomerAgreement,
    CustomerCreateRequest,
    NextTermProduct,
    ScheduledNextTermInstructions,
    Subscription,
    Transition,
)
from cspsync.plan import payloads
from cspsync.plan.diff import observed_subscription_fields
from cspsync.plan.model import Action, Kind

if TYPE_CHECKING:
    from cspsync.apply.record import ActionResult
    from cspsync.apply.run import Applier

Handler = Callable[["Applier", Action, "ActionResult"], None]


def billing_profile(wanted: payloads.BillingDetails, current: BillingProfile | None = None) -> BillingProfile:
    """The declared billing profile on top of ``current`` (fields cspsync does not manage are kept)."""
    address = wanted.default_address
    base = current or BillingProfile()
    return base.model_copy(
        update={
            "company_name": wanted.company_name or base.company_name,
            "email": wanted.email,
            "culture": wanted.culture,
            "language": wanted.language,
            "first_name": wanted.first_name,
            "last_name": wanted.last_name,
            "default_address": (base.default_address or Address()).model_copy(
                update={
                    "country": address.country,
                    "address_line1": address.address_line1,
                    "address_line2": address.address_line2,
                    "city": address.city,
                    "state": address.state,
                    "postal_code": address.postal_code,
                    "phone_number": address.phone_number,
                    "first_name": wanted.first_name,
                    "last_name": wanted.last_name,
                }
            ),
        }
    )


def create_customer(applier: Applier, action: Action, result: ActionResult) -> None:
    """Create the customer and store its one-time password before anything else runs.

    A customer already at the domain is never adopted here: that needs the proof a plan shows
    (:mod:`cspsync.plan.identity`), so the action fails and a fresh plan says what was found.
    """
    p = action.payload
    assert isinstance(p, payloads.CreateCustomer)
    client = applier.client
    existing = client.find_customer_by_domain(p.domain)
    if existing is not None:
        company = existing.company_profile.company_name if existing.company_profile else None
        raise CspsyncError(
            f"{p.domain} already belongs to customer {company or '(no name)'} (tenant {existing.id}) although the plan "
            "found it free: nothing was written to it; run plan again to see whether it can be adopted"
        )
    directory = applier.credentials_dir()
    try:
        secrets.check_writable(directory)
    except CredentialsError as err:
        raise ApplyStopped(err.message, hint=err.hint) from None
    request = CustomerCreateRequest(
        company_profile=CompanyProfileCreate(
            domain=p.domain, organization_registration_number=p.organization_registration_number
        ),
        billing_profile=billing_profile(p.billing_profile),
        associated_partner_id=p.associated_partner_id or None,
        enable_gdap_by_default=p.enable_gdap_by_default,
    )
    intent = {
        "domain": p.domain,
        "companyName": p.billing_profile.company_name,
        "billingEmail": p.billing_profile.email,
        "startedAt": applier.clock().isoformat(),
    }
    applier.record_intent(action, intent)
    result.details["intent"] = intent
    try:
        created = client.create_customer(request)
    except (TransientError, ThrottledError):
        result.details["mayHaveLanded"] = True  # the intent stays: a later plan may adopt what landed
        raise
    customer = created.customer
    applier.customer_ids[action.customer] = customer.id
    result.details.update({"tenantId": customer.id, "domain": p.domain})
    if created.credentials is None:
        result.status = "failed"
        result.details["passwordLost"] = True
        why = (
            "the create response was lost in transit"
            if created.credentials_lost
            else "the response carried no admin credentials"
        )
        recovery = applier.lost_password(action.customer, p.domain, customer.id)
        result.message = f"created tenant {p.domain} ({customer.id}), but {why}: {recovery}"
        return
    try:
        path = secrets.store(
            directory,
            secrets.TenantCredentials(
                customer=action.customer,
                tenant_id=customer.id,
                domain=p.domain,
                user_name=f"{created.credentials.user_name}@{p.domain}",
                password=SecretStr(created.credentials.password.get_secret_value()),
                created_at=applier.clock(),
            ),
            applier.repo.config.credentials.ageRecipients,
        )
    except CredentialsError as err:
        result.details["passwordLost"] = True
        recovery = applier.lost_password(action.customer, p.domain, customer.id)
        raise ApplyStopped(
            f"created tenant {p.domain} ({customer.id}), but {err.message}; the apply stops so no other tenant's "
            f"password is lost",
            hint=f"fix the credentials folder, then {recovery.split(': ', 1)[1]}",
        ) from None
    result.details["credentials"] = str(path)
    result.message = f"created tenant {p.domain} ({customer.id}); admin credentials encrypted to {path}"


def adopt_customer(applier: Applier, action: Action, result: ActionResult) -> None:
    """Bring a reviewed customer cspsync did not create under management, if it is still who was reviewed."""
    p = action.payload
    assert isinstance(p, payloads.AdoptCustomer)
    found = applier.client.get_customer(p.tenant_id)
    company = found.company_profile.company_name if found.company_profile else None
    domains = {d.casefold() for d in [found.domain or "", *(found.custom_domains or [])] if d}
    if folded(company) != folded(p.company_name) or not {d.casefold() for d in p.domains[:1]} <= domains:
        raise CspsyncError(
            f"tenant {p.tenant_id} is now {company or '(no name)'} with domains {', '.join(sorted(domains))}, not what "
            "the plan showed: nothing was written to it; run plan again"
        )
    applier.customer_ids[action.customer] = p.tenant_id
    domain = p.domains[0] if p.domains else ""
    result.details.update({"tenantId": p.tenant_id, "domain": domain, "evidence": p.evidence})
    result.message = f"adopted {company} ({p.tenant_id}), {p.evidence}"
    if p.password_lost:
        result.details["passwordLost"] = True
        result.message += "; " + applier.lost_password(action.customer, domain, p.tenant_id)


def request_invitation(applier: Applier, action: Action, result: ActionResult) -> None:
    p = action.payload
    assert isinstance(p, payloads.RequestInvitation)
    declared = next(d for d in applier.repo.customers if d.customer.metadata.name == action.customer)
    earlier = ledger_entries(applier.workspace).get(action.customer)
    if earlier is not None and not applier.resend and earlier.to.casefold() == p.to.casefold():
        result.status = "already-done"
        result.details.update(earlier.details())
        result.message = (
            f"invitation already sent to {earlier.to} on {earlier.sent.at[:10]} ({earlier.sent.message_id}); "
            "apply --resend sends it again"
        )
        return
    ledger = applier.workspace.invitations_ledger
    if os.environ.get("GITHUB_ACTIONS") == "true" and not ledger.exists():
        # a CI job starts from nothing: without the ledger it cannot know what earlier runs sent
        raise CspsyncError(
            f"not sending {action.customer}'s invitation: the invitations ledger {ledger} is missing, so every "
            "waiting invitation may have been sent already",
            hint="restore it from the previous run's state, or start a new one on purpose "
            "(cspsync-apply.yml by hand with new-ledger)",
        )
    link = applier.client.relationship_request_link(p.indirect_reseller_id or None)
    approvals = gdap.approval_links(applier, action.customer, p.admin_approvals)
    delivery, entry = send_invitation(
        applier.repo,
        declared,
        link=link,
        transport=applier.transport(),
        workspace=applier.workspace,
        when=applier.clock(),
        approvals=approvals,
    )
    result.details.update({**entry.details(), "link": link})
    if approvals:
        result.details["approvalLinks"] = [approval.link for approval, _ in approvals]
    if delivery.by_hand:
        result.message = f"invitation for {p.domain} written to {delivery.file}: send it to {delivery.to}"
    else:
        result.message = (
            f"invitation for {p.domain} sent to {delivery.to} by {delivery.transport} "
            f"({delivery.detail}, Message-ID {delivery.message_id})"
        )


def update_billing_profile(applier: Applier, action: Action, result: ActionResult) -> None:
    p = action.payload
    assert isinstance(p, payloads.UpdateBillingProfile)
    if p.billing_profile is None:
        raise CspsyncError(f"{action.id} has no billing profile to send (it was planned as blocked)")
    customer_id = applier.customer_id(action)
    current = applier.client.get_billing_profile(customer_id)
    applier.client.update_billing_profile(customer_id, billing_profile(p.billing_profile, current))
    result.message = "billing profile updated: " + ", ".join(c.field for c in action.changes)


def create_agreement(applier: Applier, action: Action, result: ActionResult) -> None:
    p = action.payload
    assert isinstance(p, payloads.CreateAgreement)
    customer_id = applier.customer_id(action)
    wanted = contact_key(p.first_name, p.last_name, p.email, p.phone_number)
    for agreement in applier.client.list_agreements(customer_id):
        contact = agreement.primary_contact
        if contact_key(contact.first_name, contact.last_name, contact.email, contact.phone_number) == wanted:
            result.status = "already-done"
            result.message = "the agreement is already recorded for this contact"
            return
    template = applier.agreement_template(p.type)
    applier.client.create_agreement(
        customer_id,
        CustomerAgreement.model_validate(
            {
                "primaryContact": {
                    "firstName": p.first_name,
                    "lastName": p.last_name,
                    "email": p.email,
                    "phoneNumber": p.phone_number,
                },
                "dateAgreed": f"{p.date_agreed.isoformat()}T00:00:00Z",
                "templateId": template,
                "type": p.type,
            }
        ),
    )
    result.message = f"Microsoft Customer Agreement recorded for {p.first_name} {p.last_name}"


def order_subscription(applier: Applier, action: Action, result: ActionResult) -> None:
    p = action.payload
    assert isinstance(p, payloads.OrderSubscription)
    client = applier.client
    customer_id = applier.customer_id(action)
    sub = find_subscription(None, p.friendly_name, client.list_subscriptions(customer_id))
    if sub is not None:
        result.status = "already-done"
        result.details["subscriptionId"] = sub.id
        result.message = f"{p.friendly_name} already exists ({sub.id})"
        return
    placed = applier.provisioning_order(customer_id, p.friendly_name)
    if placed is not None:
        result.status = "already-done"
        result.details["orderId"] = placed
        result.message = (
            f"{p.friendly_name} is still being provisioned (order {placed} of an earlier apply); Partner Center "
            "lists an order's subscriptions up to 15 minutes after checkout"
        )
        return
    line = CartLineItem(
        catalog_item_id=_catalog_item(applier, p.product_id, p.sku_id, p.country, p.term_duration),
        quantity=p.quantity,
        billing_cycle=p.billing_cycle,
        term_duration=p.term_duration,
        friendly_name=p.friendly_name,
    )
    cart = client.create_cart(customer_id, [line])
    checkout = client.checkout(customer_id, cart.id)
    if checkout.order_errors:
        error = checkout.order_errors[0]
        raise CspsyncError(f"order for {p.friendly_name} failed: {error.code} {error.description}")
    result.details.update(customerId=customer_id, friendlyName=p.friendly_name)
    if checkout.orders:
        result.details["orderId"] = checkout.orders[0].id
    subscription_id = next(
        (item.subscription_id for order in checkout.orders for item in order.line_items if item.subscription_id),
        None,
    )
    if subscription_id is None:  # recovered checkout or slow provisioning: find it by name
        found = find_subscription(None, p.friendly_name, client.list_subscriptions(customer_id))
        subscription_id = found.id if found is not None else None
    result.details["subscriptionId"] = subscription_id
    if subscription_id and not p.azure_plan and p.auto_renew is False:
        sub = client.get_subscription(customer_id, subscription_id)
        client.update_subscription(customer_id, sub.model_copy(update={"auto_renew_enabled": False}))
    result.message = f"ordered {p.friendly_name} ({subscription_id or 'subscription id pending'})"


def _catalog_item(applier: Applier, product_id: str, sku_id: str, country: str, term: str | None) -> str:
    """The catalog item id of an offer in a market, of the availability with ``term`` (else the first): read
    at apply, because availability ids change over time ("Get a list of availabilities for a SKU")."""
    availabilities = applier.client.availabilities(product_id, sku_id, country)
    if not availabilities:
        raise CspsyncError(f"{product_id}:{sku_id} is not available in {country} (Partner Center error 800070)")
    chosen = next((a for a in availabilities if any(t.duration == term for t in a.terms)), availabilities[0])
    return chosen.catalog_item_id or f"{product_id}:{sku_id}:{chosen.id}"


def upgrade_subscription(applier: Applier, action: Action, result: ActionResult) -> None:
    """Move every seat to the new offer (POST transitions), then give the new subscription the declared name.

    Already done when the subscription is gone and a live one of the new offer carries the name (or when the
    source no longer has the old offer); a lost answer is recovered by listing the subscriptions."""
    p = action.payload
    assert isinstance(p, payloads.UpgradeSubscription)
    client = applier.client
    customer_id = applier.customer_id(action)
    wanted = offer_key(p.product_id, p.sku_id)
    live = client.list_subscriptions(customer_id)
    source = next((s for s in live if s.id == p.subscription_id), None)
    target_id: str | None = None
    before = {s.id for s in live}
    new_ids: set[str] = set()
    if source is not None and (source.status or "").lower() == "active" and live_offer_key(source.offer_id) != wanted:
        if live_offer_key(source.offer_id) != offer_key(p.from_product_id, p.from_sku_id):
            raise CspsyncError(f"{p.friendly_name} is now {source.offer_id}, not the offer this plan upgrades")
        catalog_item = _catalog_item(applier, p.product_id, p.sku_id, p.country, source.term_duration)
        done = client.create_transition(
            customer_id,
            p.subscription_id,
            Transition(
                to_catalog_item_id=catalog_item,
                from_subscription_id=p.subscription_id,
                from_catalog_item_id=source.offer_id,
                quantity=p.quantity,
                transition_type="transition_only",
            ),
        )
        target_id = done.to_subscription_id
        live = client.list_subscriptions(customer_id)
        new_ids = {s.id for s in live} - before
    else:
        result.status = "already-done"
    named = find_subscription(None, p.friendly_name, live)
    target: Subscription | None = named
    if named is None or live_offer_key(named.offer_id) != wanted:
        # the transition's new subscription: its id as answered, else the one subscription of the new offer
        # that appeared with it; never a guess among older ones (that could be another declaration's)
        made = [s for s in live if live_offer_key(s.offer_id) == wanted and (s.id == target_id or s.id in new_ids)]
        target = made[0] if len(made) == 1 else None
    if target is None:
        raise CspsyncError(
            f"the upgrade of {p.friendly_name} to {wanted} made no subscription cspsync can prove is its own: find "
            f"the new subscription in Partner Center and add its id as subscriptionId to the declaration"
        )
    if (target.friendly_name or "") != p.friendly_name:
        client.rename(customer_id, client.get_subscription(customer_id, target.id), p.friendly_name)
        result.status = "done"
    result.details.update(subscriptionId=target.id, upgradedFrom=p.subscription_id)
    result.message = f"{p.friendly_name}: {p.quantity} × {wanted} ({target.id}, upgraded from {p.subscription_id})"


def _wire_value(value: object) -> str:
    """A field's new value as Partner Center writes it (``autoRenewEnabled → false``, not Python's False)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def patch_subscription(applier: Applier, action: Action, result: ActionResult) -> None:
    """Update, suspend and cancel are one PATCH of the whole subscription with the changed fields."""
    p = action.payload
    if isinstance(p, payloads.UpdateSubscription):
        if p.subscription_id is None:
            raise CspsyncError(f"{action.id} names no subscription (it was planned as blocked)")
        subscription_id, update = p.subscription_id, p.set.model_dump(exclude_none=True)
    elif isinstance(p, payloads.SuspendSubscription):
        subscription_id, update = p.subscription_id, {"status": "suspended"}
    elif isinstance(p, payloads.CancelSubscription):
        subscription_id, update = p.subscription_id, {"status": "deleted"}
    else:
        raise TypeError(f"{action.kind} is not a subscription change")
    customer_id = applier.customer_id(action)
    sub = applier.client.get_subscription(customer_id, subscription_id)
    result.details["subscriptionId"] = subscription_id
    if "next_term" not in update and _already_done(action, sub, p.friendly_name, result):
        return
    if "next_term" in update:
        wanted = payloads.NextTermFields(**update.pop("next_term"))
        availability = None
        if wanted.product_id and wanted.sku_id:
            term = wanted.term_duration or sub.term_duration
            catalog_item = _catalog_item(applier, wanted.product_id, wanted.sku_id, wanted.country or "", term)
            availability = catalog_item.split(":")[2]
        sub = _schedule(sub, wanted, availability)
        applier.client.update_subscription(customer_id, sub)
    elif set(update) == {"friendly_name"}:  # a rename: PATCH friendlyName
        applier.client.rename(customer_id, sub, update["friendly_name"])
    else:
        applier.client.update_subscription(customer_id, sub.model_copy(update=update))
    if isinstance(p, payloads.UpdateSubscription) and p.set.next_term is not None:
        scheduled = p.set.next_term.model_dump(exclude_none=True)
        result.message = f"{p.friendly_name}: at renewal " + ", ".join(
            f"{_WIRE[k]} → {_wire_value(v)}" for k, v in scheduled.items()
        )
        return
    result.message = f"{p.friendly_name}: " + ", ".join(f"{_WIRE[k]} → {_wire_value(v)}" for k, v in update.items())


def _already_done(action: Action, fresh: Subscription, name: str, result: ActionResult) -> bool:
    """Whether the subscription as read now already has what ``action`` changes (a resumed apply); raises when
    a field it changes is neither as the plan saw it nor as the plan wants it: only what was reviewed is sent.

    The fields are compared in the plan's own normal form (:func:`cspsync.plan.diff.observed_subscription_fields`).
    """
    now = observed_subscription_fields(observed_subscription(fresh), azure_plan=False)
    moved = [c for c in action.changes if now.get(c.field) not in (c.before, c.after)]
    if moved:
        found = ", ".join(f"{c.field} is now {now.get(c.field)!r}, the plan saw {c.before!r}" for c in moved)
        raise CspsyncError(
            f"{name} changed since the plan: {found}; nothing was written to it",
            hint="run plan again and review the change against what Partner Center has now",
        )
    if not all(now.get(c.field) == c.after for c in action.changes):
        return False
    result.status = "already-done"
    result.message = f"{name}: already " + ", ".join(f"{c.field} {c.after}" for c in action.changes)
    return True


def subscription_of(action: Action) -> tuple[str, str] | None:
    """(customer, subscription id) of an action that writes to a Partner Center subscription, else None:
    apply runs such actions one at a time, since each PATCH needs the etag of the state the last one left."""
    subscription_id = getattr(action.payload, "subscription_id", None)
    if action.kind not in _ONE_AT_A_TIME or not subscription_id:
        return None
    return action.customer, str(subscription_id).lower()


_ONE_AT_A_TIME = frozenset(
    {Kind.UPDATE_SUBSCRIPTION, Kind.UPGRADE_SUBSCRIPTION, Kind.SUSPEND_SUBSCRIPTION, Kind.CANCEL_SUBSCRIPTION}
)


def _schedule(sub: Subscription, wanted: payloads.NextTermFields, availability: str | None = None) -> Subscription:
    """``sub`` with ``wanted`` merged into its scheduledNextTermInstructions: the product and SKU already
    scheduled (or the subscription's own) unless another offer is asked for, with ``availability`` its
    availability id; the current term and cycle unless one is asked for."""
    current = sub.scheduled_next_term_instructions or ScheduledNextTermInstructions()
    product = current.product or NextTermProduct()
    parts = (sub.offer_id or "").split(":")
    if wanted.product_id and wanted.sku_id:
        product = product.model_copy(
            update={"product_id": wanted.product_id, "sku_id": wanted.sku_id, "availability_id": availability}
        )
    product = product.model_copy(
        update={
            "product_id": product.product_id or (parts[0] if parts else None),
            "sku_id": product.sku_id or (parts[1] if len(parts) > 1 else None),
            "availability_id": product.availability_id or (parts[2] if len(parts) > 2 else None),
            "billing_cycle": wanted.billing_cycle or product.billing_cycle or sub.billing_cycle,
            "term_duration": wanted.term_duration or product.term_duration or sub.term_duration,
        }
    )
    quantity = wanted.quantity or current.quantity or sub.quantity
    instructions = current.model_copy(update={"product": product, "quantity": quantity})
    return sub.model_copy(update={"scheduled_next_term_instructions": instructions})


_WIRE = {
    "friendly_name": "friendlyName",
    "quantity": "quantity",
    "auto_renew_enabled": "autoRenewEnabled",
    "status": "status",
    "billing_cycle": "billingCycle",
    "term_duration": "termDuration",
    "product_id": "productId",
    "sku_id": "skuId",
    "country": "market",
}

#: every kind that apply runs; ``await-acceptance`` and ``await-admin-access`` wait for a person (or
#: Microsoft), and ``update-admin-relationship`` is only ever planned as blocked: they have no handler
HANDLERS: dict[Kind, Handler] = {
    Kind.CREATE_CUSTOMER: create_customer,
    Kind.ADOPT_CUSTOMER: adopt_customer,
    Kind.REQUEST_INVITATION: request_invitation,
    Kind.UPDATE_BILLING_PROFILE: update_billing_profile,
    Kind.CREATE_AGREEMENT: create_agreement,
    Kind.ORDER_SUBSCRIPTION: order_subscription,
    Kind.UPDATE_SUBSCRIPTION: patch_subscription,
    Kind.UPGRADE_SUBSCRIPTION: upgrade_subscription,
    Kind.SUSPEND_SUBSCRIPTION: patch_subscription,
    Kind.CANCEL_SUBSCRIPTION: patch_subscription,
    Kind.CREATE_AZURE_SUBSCRIPTION: azure.create_azure_subscription,
    Kind.RENAME_AZURE_SUBSCRIPTION: azure.rename_azure_subscription,
    Kind.CREATE_ADMIN_RELATIONSHIP: gdap.create_admin_relationship,
    Kind.REQUEST_ADMIN_APPROVAL: gdap.request_admin_approval,
    Kind.CREATE_ACCESS_ASSIGNMENT: gdap.create_access_assignment,
    Kind.UPDATE_ACCESS_ASSIGNMENT: gdap.update_access_assignment,
    Kind.UPDATE_ADMIN_RELATIONSHIP: gdap.update_admin_relationship,
    Kind.TERMINATE_ADMIN_RELATIONSHIP: gdap.terminate_admin_relationship,
}
