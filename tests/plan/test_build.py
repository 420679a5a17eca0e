"""The planner's decisions on crafted observations: ordering, waiting, refusals and blocks."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import pytest

from cspsync.declarations import Repository, load_repository
from cspsync.declarations.access import resolve
from cspsync.declarations.roles import DEFAULT_GDAP_ROLES
from cspsync.observe.applied import AppliedIdentities
from cspsync.observe.state import (
    NextTerm,
    Observation,
    ObservedAdminRelationship,
    ObservedAgreement,
    ObservedAssignment,
    ObservedCustomer,
    ObservedSubscription,
)
from cspsync.plan import payloads
from cspsync.plan.build import make_plan
from cspsync.plan.model import Kind, Plan

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return load_repository([tmp_path / "examples" / "customers"])


def _with_config(repo: Repository, **destructive: bool) -> Repository:
    config = repo.config.model_copy(update={"destructive": repo.config.destructive.model_copy(update=destructive)})
    return dataclasses.replace(repo, config=config)


def _linked(repo: Repository, name: str, *, subscriptions: tuple[ObservedSubscription, ...] = ()) -> Observation:
    """Everything of customer ``name`` exists as declared, with the given subscriptions; this repository's
    apply records say it created that tenant (the identity evidence, cspsync.plan.identity)."""
    declared = next(d for d in repo.customers if d.customer.metadata.name == name)
    spec = declared.customer.spec
    agreement = spec.agreement
    assert agreement is not None
    contact = agreement.acceptedBy
    from cspsync.plan.diff import billing_fields

    customer = ObservedCustomer(
        id="11111111-2222-4333-8444-555555555555",
        domain="contosobikes.onmicrosoft.com",
        company_name=spec.company.name,
        billing=billing_fields(spec),
        agreements=(
            ObservedAgreement(
                "MicrosoftCustomerAgreement",
                contact.firstName,
                contact.lastName,
                contact.email,
                contact.phone,
                "2026-10-01",
            ),
        ),
        subscriptions=subscriptions,
    )
    # its declared admin access, as Graph has it: the Default GDAP relationship with its assignments active
    assignments = tuple(
        ObservedAssignment(f"assignment-{a.group}", a.group_id, a.roles, "active")
        for r in resolve(declared.customer, repo.config)
        for a in r.assignments
    )
    default = ObservedAdminRelationship(
        id="default-relationship",
        display_name="Default_ContosoBikesLtd_0a1b2c3d",
        status="active",
        customer_tenant_id=customer.id,
        roles=tuple(sorted(DEFAULT_GDAP_ROLES)),
        duration="P730D",
        auto_extend="PT0S",
        activated="2026-10-01T00:00:00+00:00",
        ends="2099-10-01T00:00:00+00:00",
        assignments=assignments,
    )
    return Observation(
        customers={name: customer},
        applied=AppliedIdentities(created={name: customer.id}),
        admin_relationships={name: (default,)},
    )


def _sub(name: str, offer: str, quantity: int = 12, status: str = "active", **kw: Any) -> ObservedSubscription:
    fields: dict[str, Any] = {"auto_renew": True, "billing_cycle": "monthly", "term": "P1Y"}
    fields.update(kw)
    return ObservedSubscription(
        id=f"sub-{name}", friendly_name=name, offer_id=offer, quantity=quantity, status=status, **fields
    )


def _plan(repo: Repository, observation: Observation, name: str = "contoso-bikes") -> Plan:
    declared = [d for d in repo.customers if d.customer.metadata.name == name]
    return make_plan(repo, declared, observation, target="emulator", correlation_id="test")


IN_SYNC = (
    _sub(
        "fabrikam-contosobikes-azure",
        "DZH318Z0BPS6:0001:DZH318Z0BML6",
        quantity=1,
        auto_renew=None,
        billing_cycle="monthly",
        term=None,
    ),
    _sub("fabrikam-contosobikes-m365bp", "CFQ7TTC0LCHC:0002:CFQ7TTC0XXXX"),
)


def test_a_customer_matching_its_declaration_plans_nothing(repo: Repository) -> None:
    plan = _plan(repo, _linked(repo, "contoso-bikes", subscriptions=IN_SYNC))
    assert plan.actions == ()
    assert plan.customers[0].state == "linked"


def test_a_new_customer_plans_create_then_agreement_then_orders(repo: Repository) -> None:
    plan = _plan(repo, Observation(customers={"contoso-bikes": None}, domain_available={"contoso-bikes": True}))
    kinds = [a.kind for a in plan.actions]
    assert kinds == [
        Kind.CREATE_CUSTOMER,
        Kind.CREATE_AGREEMENT,
        Kind.ORDER_SUBSCRIPTION,
        Kind.ORDER_SUBSCRIPTION,
        Kind.CREATE_ACCESS_ASSIGNMENT,  # in the Default GDAP relationship the new tenant comes with
    ]
    create, agreement, *orders, assignment = plan.actions
    assert agreement.depends_on == (create.id,)
    assert all(set(o.depends_on) == {create.id, agreement.id} for o in orders)
    assert assignment.depends_on == (create.id,) and assignment.status == "ready"


def test_a_taken_domain_blocks_the_create_and_everything_after_it(repo: Repository) -> None:
    plan = _plan(repo, Observation(customers={"contoso-bikes": None}, domain_available={"contoso-bikes": False}))
    assert [a.status for a in plan.actions] == ["blocked"] * 5
    assert "contosobikes.onmicrosoft.com is already taken by another tenant" in (plan.actions[0].reason or "")
    assert not plan.has_changes


def test_an_existing_tenant_that_is_not_a_customer_is_blocked_with_the_way_out(repo: Repository) -> None:
    plan = _plan(repo, Observation(customers={"adatum": None}), name="adatum")
    first = plan.actions[0]
    assert first.status == "blocked"
    assert "use tenant.mode: invite to request it" in (first.reason or "")
    assert plan.customers[0].state == "missing"


def test_cancel_is_refused_without_the_config_opt_in(repo: Repository, tmp_path: Path) -> None:
    # (a protected subscription declared cancelled never gets here: validate rejects the file)
    path = tmp_path / "examples" / "customers" / "contoso-bikes.yaml"
    cancelled = "      autoRenew: true\n      status: cancelled\n      protected: false\n"
    path.write_text(path.read_text().replace("      autoRenew: true\n", cancelled))
    repo = load_repository([tmp_path / "examples" / "customers"])
    observation = _linked(repo, "contoso-bikes", subscriptions=IN_SYNC)
    cancel = next(a for a in _plan(repo, observation).actions if a.kind is Kind.CANCEL_SUBSCRIPTION)
    assert cancel.status == "refused" and cancel.destructive
    assert cancel.reason == "cancel needs destructive.allowCancel: true in cspsync.yaml"

    allowed = _with_config(repo, allowCancel=True)
    cancel = next(a for a in _plan(allowed, observation).actions if a.kind is Kind.CANCEL_SUBSCRIPTION)
    assert cancel.status == "ready"
    assert cancel.payload == payloads.CancelSubscription(
        subscription_id=cancel.payload.subscription_id, friendly_name="fabrikam-contosobikes-m365bp"
    )


def test_a_changed_billing_cycle_is_scheduled_for_renewal_and_a_changed_product_is_blocked(repo: Repository) -> None:
    changed = (
        IN_SYNC[0],
        _sub(
            "fabrikam-contosobikes-m365bp", "CFQ7TTC0LCHC:0002:X", billing_cycle="annual", commitment_end="2027-10-31"
        ),
    )
    (action,) = _plan(repo, _linked(repo, "contoso-bikes", subscriptions=changed)).actions
    assert action.status == "ready"
    assert action.id == "contoso-bikes/update-subscription/fabrikam-contosobikes-m365bp/next-term/billingCycle"
    assert action.summary == (
        "update subscription fabrikam-contosobikes-m365bp at renewal on 2027-11-01 "
        "(Partner Center changes a billing cycle or term only at renewal)"
    )
    assert isinstance(action.payload, payloads.UpdateSubscription)
    assert action.payload.set == payloads.SubscriptionFields(next_term=payloads.NextTermFields(billing_cycle="monthly"))

    no_path = (IN_SYNC[0], _sub("fabrikam-contosobikes-m365bp", "CFQ7TTC0LH18:0001:X", upgrades=(), renewal_offers=()))
    action = _plan(repo, _linked(repo, "contoso-bikes", subscriptions=no_path)).actions[0]
    assert action.status == "blocked"
    assert "Partner Center lists no upgrade to it and no change to it at renewal" in (action.reason or "")
    assert [(c.field, c.before, c.after) for c in action.changes] == [
        ("offer", "CFQ7TTC0LH18:0001", "CFQ7TTC0LCHC:0002")
    ]


def test_another_offer_is_an_upgrade_where_partner_center_lists_one_else_a_change_at_renewal(repo: Repository) -> None:
    """Transition eligibilities decide: immediate -> upgrade now (and nothing else this plan, the upgrade makes
    a new subscription); scheduled only -> scheduledNextTermInstructions with the new product."""
    basic = _sub(
        "fabrikam-contosobikes-m365bp",
        "CFQ7TTC0LH18:0001:X",
        quantity=10,
        upgrades=("CFQ7TTC0LCHC:0002",),
        renewal_offers=("CFQ7TTC0LCHC:0002",),
        commitment_end="2027-10-31",
    )
    (action,) = _plan(repo, _linked(repo, "contoso-bikes", subscriptions=(IN_SYNC[0], basic))).actions
    assert action.kind is Kind.UPGRADE_SUBSCRIPTION and action.status == "ready"
    assert action.payload == payloads.UpgradeSubscription(
        subscription_id="sub-fabrikam-contosobikes-m365bp",
        friendly_name="fabrikam-contosobikes-m365bp",
        from_product_id="CFQ7TTC0LH18",
        from_sku_id="0001",
        product_id="CFQ7TTC0LCHC",
        sku_id="0002",
        quantity=10,
        country="GB",
    )

    later = dataclasses.replace(basic, upgrades=())
    actions = _plan(repo, _linked(repo, "contoso-bikes", subscriptions=(IN_SYNC[0], later))).actions
    assert [a.id for a in actions] == [
        "contoso-bikes/update-subscription/fabrikam-contosobikes-m365bp/quantity",
        "contoso-bikes/update-subscription/fabrikam-contosobikes-m365bp/next-term/offer",
    ]
    assert isinstance(actions[1].payload, payloads.UpdateSubscription)
    assert actions[1].payload.set.next_term == payloads.NextTermFields(
        product_id="CFQ7TTC0LCHC", sku_id="0002", country="GB"
    )
    assert actions[1].summary.startswith("update subscription fabrikam-contosobikes-m365bp at renewal on 2027-11-01")

    done = dataclasses.replace(later, quantity=12, scheduled=NextTerm(offer="CFQ7TTC0LCHC:0002"))
    assert _plan(repo, _linked(repo, "contoso-bikes", subscriptions=(IN_SYNC[0], done))).actions == ()


def test_undeclared_subscriptions_are_reported_unmanaged_never_touched(repo: Repository) -> None:
    extra = (*IN_SYNC, _sub("someone-elses-sub", "CFQ7TTC0LH18:0001:X", quantity=3))
    plan = _plan(repo, _linked(repo, "contoso-bikes", subscriptions=extra))
    assert plan.actions == ()
    assert [(u.kind, u.name) for u in plan.unmanaged] == [("subscription", "someone-elses-sub")]


def test_a_read_failure_is_unknown_never_no_changes(repo: Repository) -> None:
    plan = _plan(repo, Observation(unknown={"contoso-bikes": "subscriptions could not be read: 503"}))
    assert plan.unknown == ("contoso-bikes: subscriptions could not be read: 503",)
    assert plan.customers[0].state == "unknown"


def test_the_country_of_a_customer_cannot_change(repo: Repository) -> None:
    observation = _linked(repo, "contoso-bikes", subscriptions=IN_SYNC)
    customer = observation.customers["contoso-bikes"]
    assert customer is not None and customer.billing is not None
    billing = {**customer.billing, "defaultAddress": {**customer.billing["defaultAddress"], "country": "IE"}}
    observation.customers["contoso-bikes"] = dataclasses.replace(customer, billing=billing)
    action = _plan(repo, observation).actions[0]
    assert action.kind is Kind.UPDATE_BILLING_PROFILE and action.status == "blocked"
    assert "does not change a customer's country (IE → GB)" in (action.reason or "")


def test_billing_changes_ignore_case_and_spacing_and_show_values_as_written(repo: Repository) -> None:
    observation = _linked(repo, "contoso-bikes", subscriptions=IN_SYNC)
    customer = observation.customers["contoso-bikes"]
    assert customer is not None and customer.billing is not None
    address = {**customer.billing["defaultAddress"], "postalCode": "bs1  4dj", "city": "Old Town"}
    billing = {**customer.billing, "email": "ACCOUNTS@contosobikes.co.uk", "defaultAddress": address}
    observation.customers["contoso-bikes"] = dataclasses.replace(customer, billing=billing)
    action = _plan(repo, observation).actions[0]
    assert action.kind is Kind.UPDATE_BILLING_PROFILE
    assert [(c.field, c.before, c.after) for c in action.changes] == [("defaultAddress.city", "Old Town", "Bristol")]


def _m365(**kw: Any) -> tuple[ObservedSubscription, ...]:
    return (IN_SYNC[0], _sub("fabrikam-contosobikes-m365bp", "CFQ7TTC0LCHC:0002:CFQ7TTC0XXXX", **kw))


def _steps(plan: Plan) -> dict[str, tuple[str, str | None]]:
    return {a.id.rsplit("/", 1)[-1]: (a.status, a.reason) for a in plan.actions}


def test_a_refused_seat_decrease_does_not_hold_back_an_auto_renew_fix(repo: Repository) -> None:
    plan = _plan(repo, _linked(repo, "contoso-bikes", subscriptions=_m365(quantity=20, auto_renew=False)))
    steps = _steps(plan)
    assert steps["quantity"][0] == "refused"
    assert steps["autoRenewEnabled"] == ("ready", None)
    fix = plan.action("contoso-bikes/update-subscription/fabrikam-contosobikes-m365bp/autoRenewEnabled")
    assert fix.payload == payloads.UpdateSubscription(
        subscription_id="sub-fabrikam-contosobikes-m365bp",
        friendly_name="fabrikam-contosobikes-m365bp",
        set=payloads.SubscriptionFields(auto_renew_enabled=True),
    )


def test_a_billing_cycle_change_does_not_hide_the_quantity_change(repo: Repository) -> None:
    plan = _plan(repo, _linked(repo, "contoso-bikes", subscriptions=_m365(quantity=10, billing_cycle="annual")))
    steps = _steps(plan)
    assert steps["billingCycle"] == ("ready", None)  # at renewal, after the mid-term seat change
    assert steps["quantity"] == ("ready", None)
    cycle = plan.action("contoso-bikes/update-subscription/fabrikam-contosobikes-m365bp/next-term/billingCycle")
    assert cycle.depends_on == ("contoso-bikes/update-subscription/fabrikam-contosobikes-m365bp/quantity",)
    assert plan.action("contoso-bikes/update-subscription/fabrikam-contosobikes-m365bp/quantity").changes[0].after == 12


def test_a_sku_change_on_the_same_product_is_planned_not_ignored(repo: Repository) -> None:
    plan = _plan(repo, _linked(repo, "contoso-bikes", subscriptions=_m365()), "contoso-bikes")
    assert plan.actions == ()
    changed = (
        IN_SYNC[0],
        _sub("fabrikam-contosobikes-m365bp", "CFQ7TTC0LCHC:0009:CFQ7TTC0XXXX", upgrades=(), renewal_offers=()),
    )
    plan = _plan(repo, _linked(repo, "contoso-bikes", subscriptions=changed))
    steps = _steps(plan)
    assert steps["offer"][0] == "blocked"
    assert "subscription is CFQ7TTC0LCHC:0009, declared CFQ7TTC0LCHC:0002" in (steps["offer"][1] or "")


SUB_ID = "0b6d2f4e-1a3c-4e5f-8a7b-9c0d1e2f3a4b"


def _renamed(tmp_path: Path, *, with_id: bool) -> Repository:
    path = tmp_path / "examples" / "customers" / "contoso-bikes.yaml"
    new = "friendlyName: fabrikam-contosobikes-office" + (f"\n      subscriptionId: {SUB_ID}" if with_id else "")
    path.write_text(path.read_text().replace("friendlyName: fabrikam-contosobikes-m365bp", new))
    return load_repository([tmp_path / "examples" / "customers"])


def test_a_changed_friendly_name_with_the_same_id_is_a_rename(repo: Repository, tmp_path: Path) -> None:
    live = (IN_SYNC[0], dataclasses.replace(IN_SYNC[1], id=SUB_ID))
    repo = _renamed(tmp_path, with_id=True)
    plan = _plan(repo, _linked(repo, "contoso-bikes", subscriptions=live))
    (rename,) = plan.actions
    assert rename.kind is Kind.UPDATE_SUBSCRIPTION and rename.status == "ready"
    assert rename.summary == "rename subscription fabrikam-contosobikes-m365bp → fabrikam-contosobikes-office"
    assert rename.payload == payloads.UpdateSubscription(
        subscription_id=SUB_ID,
        friendly_name="fabrikam-contosobikes-office",
        set=payloads.SubscriptionFields(friendly_name="fabrikam-contosobikes-office"),
    )
    assert plan.unmanaged == ()


def test_a_new_name_next_to_an_unmanaged_subscription_of_the_same_offer_is_never_bought_twice(
    repo: Repository, tmp_path: Path
) -> None:
    repo = _renamed(tmp_path, with_id=False)
    plan = _plan(repo, _linked(repo, "contoso-bikes", subscriptions=IN_SYNC))
    (order,) = plan.actions
    assert order.kind is Kind.ORDER_SUBSCRIPTION and order.status == "blocked"
    assert "add subscriptionId: sub-fabrikam-contosobikes-m365bp to rename it" in (order.reason or "")
    assert not plan.has_changes


def test_a_mid_term_change_warns_that_it_wipes_the_change_scheduled_for_renewal(repo: Repository) -> None:
    from cspsync.observe.state import NextTerm

    live = _m365(quantity=11, commitment_end="2027-10-31", scheduled=NextTerm(billing_cycle="annual"))
    (fix,) = _plan(repo, _linked(repo, "contoso-bikes", subscriptions=live)).actions
    assert fix.id.endswith("/quantity")
    assert fix.warnings == (
        "this mid-term change wipes the change scheduled for renewal on 2027-11-01 (billingCycle → annual); "
        "the next plan schedules what is still declared again",
    )


def test_a_decrease_past_its_window_is_scheduled_not_refused_when_allowed(repo: Repository) -> None:
    allowed = _with_config(repo, allowQuantityDecrease=True)
    closed = _m365(quantity=20, cancellation_allowed_until="2026-10-01T00:00:00Z", commitment_end="2027-09-30")
    (step,) = _plan(allowed, _linked(allowed, "contoso-bikes", subscriptions=closed)).actions
    assert step.status == "ready"
    assert step.summary.startswith("update subscription fabrikam-contosobikes-m365bp at renewal on 2027-10-01")
    assert isinstance(step.payload, payloads.UpdateSubscription)
    assert step.payload.set == payloads.SubscriptionFields(next_term=payloads.NextTermFields(quantity=12))
    (refused,) = _plan(repo, _linked(repo, "contoso-bikes", subscriptions=closed)).actions
    assert refused.status == "refused"


def _without_assignments(observation: Observation, name: str) -> Observation:
    """The same, but the Default GDAP relationship has no access assignment yet."""
    (default,) = observation.admin_relationships[name]
    bare = dataclasses.replace(default, assignments=())
    return dataclasses.replace(observation, admin_relationships={name: (bare,)})


def test_admin_access_is_planned_only_for_a_customer_whose_identity_is_proven(repo: Repository) -> None:
    proven = _without_assignments(_linked(repo, "contoso-bikes", subscriptions=IN_SYNC), "contoso-bikes")
    assigned = _plan(repo, proven)
    assert [a.id for a in assigned.actions] == ["contoso-bikes/create-access-assignment/default/helpdesk-agents"]

    # the same tenant at the domain, but nothing proves this repository created it: a conflict, and no GDAP
    unproven = dataclasses.replace(proven, applied=AppliedIdentities())
    plan = _plan(repo, unproven)
    assert plan.customers[0].state == "conflict"
    assert plan.actions[0].kind is Kind.ADOPT_CUSTOMER and {a.status for a in plan.actions} == {"blocked"}
    gdap = {Kind.CREATE_ADMIN_RELATIONSHIP, Kind.REQUEST_ADMIN_APPROVAL, Kind.CREATE_ACCESS_ASSIGNMENT}
    assert not [a.id for a in plan.actions if a.kind in gdap or "admin" in a.kind.value]
