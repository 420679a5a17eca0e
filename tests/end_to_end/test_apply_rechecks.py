"""Apply proves the customer again at the moment it acts: what changed in Partner Center between the plan a
person reviewed and its apply makes the action fail, with nothing written to the tenant that is there now."""

from __future__ import annotations

from cspsync.apply.record import ActionResult, ApplyRecord

from .world import World

ADATUM_ID = "7e2f4b6c-8a0d-4c2e-9f1b-3d5a7c9e0f12"


def _refused(world: World, record: ApplyRecord, action_id: str, tenant_id: str) -> tuple[str, str]:
    """The action's status and message, once it is shown that every other step of its customer was skipped
    and the tenant that is there now got no agreement and no subscription."""
    failed: ActionResult = record.results[action_id]
    customer = action_id.split("/", 1)[0]
    others = {r.status for i, r in record.results.items() if i.startswith(f"{customer}/") and i != action_id}
    assert others == {"skipped"}
    assert world.store.subscriptions(tenant_id) == []
    assert world.store.agreements(tenant_id) == []
    return failed.status, failed.message


def test_a_domain_taken_after_the_plan_is_not_created_into_or_ordered_for(world: World) -> None:
    plan = world.plan()
    assert plan.action("contoso-bikes/create-customer").status == "ready"
    other = world.store.create_customer(
        domain="contosobikes.onmicrosoft.com", company_name="Someone Else Ltd", country="GB", billing={}
    )

    record = world.apply_plan(plan)

    assert _refused(world, record, "contoso-bikes/create-customer", other.id) == (
        "failed",
        f"contosobikes.onmicrosoft.com already belongs to customer Someone Else Ltd (tenant {other.id}) although "
        "the plan found it free: nothing was written to it; run plan again to see whether it can be adopted",
    )


def test_a_tenant_that_is_another_company_by_the_apply_is_not_adopted_or_written_to(world: World) -> None:
    plan = world.plan()
    assert plan.action("adatum/adopt-customer").status == "ready"
    world.store.delete_customer(ADATUM_ID)
    world.store.add_customer("fremd.de", "Fremd AG", "DE", tenant_id=ADATUM_ID)

    record = world.apply_plan(plan)

    assert _refused(world, record, "adatum/adopt-customer", ADATUM_ID) == (
        "failed",
        f"tenant {ADATUM_ID} is now Fremd AG with domains fremd.de, not what the plan showed: nothing was written "
        "to it; run plan again",
    )


def test_an_order_declared_without_auto_renew_gets_it_switched_off_after_checkout(world: World) -> None:
    """A cart line has no auto-renew setting ("Create a cart"): the new subscription renews by default, so
    apply switches it off on the subscription it ordered, and the next plan has nothing left to change."""
    world.edit("examples/customers/contoso-bikes.yaml", "autoRenew: true", "autoRenew: false")

    record = world.apply()

    ordered = record.results["contoso-bikes/order-subscription/fabrikam-contosobikes-m365bp"]
    assert ordered.status == "done", ordered.message
    tenant = world.store.tenant_by_domain("contosobikes.onmicrosoft.com")
    assert tenant is not None
    live = world.store.subscription(tenant.id, str(ordered.details["subscriptionId"]))
    assert live is not None and live["autoRenewEnabled"] is False
    assert not [a.id for a in world.plan().actions if a.customer == "contoso-bikes" and a.status == "ready"]


def test_an_order_whose_subscription_appeared_since_the_plan_is_not_placed_twice(world: World) -> None:
    """Someone bought it in the portal after the review: apply finds it by name and orders nothing."""
    plan = world.plan()
    first = world.apply_plan(plan)
    assert first.results["adatum/order-subscription/fabrikam-adatum-o365e3"].status == "done"
    count = len(world.store.subscriptions(ADATUM_ID))

    again = world.apply_plan(plan)

    order = again.results["adatum/order-subscription/fabrikam-adatum-o365e3"]
    assert order.status == "already-done"
    assert order.message.startswith("fabrikam-adatum-o365e3 already exists (")
    assert len(world.store.subscriptions(ADATUM_ID)) == count
