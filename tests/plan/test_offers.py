"""New orders against Partner Center's availabilities: one read per offer and market, unknown is not available."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import cast

from cspsync.errors import RequestRejectedError
from cspsync.observe.offers import OfferAt, Offered, read_availabilities
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.plan import payloads
from cspsync.plan.model import Action, Kind, make_action
from cspsync.plan.offers import check_orders

SOLD = Offered(terms=(("P1M", "monthly"), ("P1Y", "monthly")), sold=True)


def _order(customer: str, country: str, term: str = "P1M") -> Action:
    payload = payloads.OrderSubscription(
        friendly_name=f"{customer}-m365bb", product_id="CFQ7TTC0LH18", sku_id="0001", quantity=3,
        term_duration=term, billing_cycle="monthly", auto_renew=True, country=country,
    )  # fmt: skip
    return make_action(
        Kind.ORDER_SUBSCRIPTION, payload, id=f"{customer}/order-subscription/{customer}-m365bb", customer=customer,
        summary="order",
    )  # fmt: skip


class Reader:
    def __init__(self, answers: Mapping[str, Offered]) -> None:
        self.answers = answers
        self.asked: list[OfferAt] = []

    def __call__(self, wanted: Collection[OfferAt]) -> dict[OfferAt, Offered]:
        self.asked += wanted
        return {offer: self.answers[offer.country] for offer in wanted}


def test_a_thousand_customers_in_two_markets_cost_two_reads() -> None:
    actions = [_order(f"c{n}", "FR" if n % 2 else "gb") for n in range(1000)]
    reader = Reader({"FR": SOLD, "GB": SOLD})
    check_orders(actions, reader, {})
    assert sorted(reader.asked) == [OfferAt("CFQ7TTC0LH18", "0001", "FR"), OfferAt("CFQ7TTC0LH18", "0001", "GB")]
    assert all(a.status == "ready" and not a.warnings for a in actions)


def test_no_new_order_reads_nothing() -> None:
    reader = Reader({})
    check_orders([_order("c1", "FR").model_copy(update={"status": "blocked"})], reader, {})
    assert reader.asked == []


def test_a_failed_read_is_not_confirmed_and_a_market_without_the_offer_blocks_what_waits_for_the_order() -> None:
    unknown, absent = _order("c1", "FR"), _order("c2", "NO")
    after = make_action(
        Kind.UPDATE_SUBSCRIPTION,
        payloads.UpdateSubscription(subscription_id="s", friendly_name="x", set=payloads.SubscriptionFields()),
        id="c2/update-subscription/x", customer="c2", summary="then", depends_on=(absent.id,),
    )  # fmt: skip
    actions = [unknown, absent, after]
    check_orders(actions, Reader({"FR": Offered(failure="HTTP 503"), "NO": Offered()}), {"c2": "customers/c2.yaml"})
    assert actions[0].status == "ready"
    assert actions[0].warnings == (
        "availability of CFQ7TTC0LH18:0001 in FR was not confirmed (the catalog could not be read: HTTP 503); "
        "apply reads it again before ordering",
    )
    assert (actions[1].status, actions[1].symbol.value) == ("blocked", "!")
    assert actions[1].reason is not None and actions[1].reason.startswith(
        "customers/c2.yaml: subscription c2-m365bb declares offer CFQ7TTC0LH18:0001, which Partner Center does not "
        "sell in NO (no availability there); declare an offer sold in NO."
    )
    assert (actions[2].status, actions[2].reason) == ("blocked", f"blocked by {absent.id}")


class _NotInCountry:
    """A client whose catalog read answers as Partner Center does for a market it does not sell in."""

    def availabilities(self, product_id: str, sku_id: str, country: str) -> list[object]:
        raise RequestRejectedError(
            "GET availabilities: HTTP 400, error 800070", status=400, code="800070",
            description=f"The catalog is not available in country '{country}'",
        )  # fmt: skip


def test_a_market_whose_catalog_is_not_available_blocks_the_order_not_only_warns() -> None:
    """Error 800070 is a definite "not sold there": the order was only warned about, then failed at apply
    after the customer had been created."""
    offer = OfferAt("CFQ7TTC0LH18", "0001", "FR")
    found = read_availabilities(cast(PartnerCenterClient, _NotInCountry()), [offer])
    assert found == {offer: Offered(sold=False)}
    actions = [_order("c1", "FR")]
    check_orders(actions, lambda wanted: found, {"c1": "customers/c1.yaml"})
    assert actions[0].status == "blocked" and actions[0].warnings == ()
    assert actions[0].reason is not None and "does not sell in FR (no availability there)" in actions[0].reason


def test_the_skus_seat_bounds_block_an_order_outside_them() -> None:
    big = _order("c1", "GB").model_copy(
        update={"payload": _order("c1", "GB").payload.model_copy(update={"quantity": 301})}
    )
    small = _order("c2", "GB")  # 3 seats
    bounded = Offered(terms=SOLD.terms, sold=True, min_quantity=5, max_quantity=300)
    actions = [big, small]
    check_orders(actions, Reader({"GB": bounded}), {"c1": "customers/c1.yaml", "c2": "customers/c2.yaml"})
    assert [a.status for a in actions] == ["blocked", "blocked"]
    assert actions[0].reason is not None
    assert "with 301 seats; Partner Center sells at most 300 seats" in actions[0].reason
    assert (
        actions[1].reason is not None
        and (
            "with 3 seat(s); Partner Center sells it from 5 seats (the SKU's minimumQuantity); raise quantity to at "
            "least 5"
        )
        in actions[1].reason
    )


class _Bounded:
    """A client whose availabilities carry their SKU, as "Get a list of availabilities for a SKU" shows it."""

    def availabilities(self, product_id: str, sku_id: str, country: str) -> list[object]:
        from cspsync.partnercenter.models import Availability

        sku = {"id": sku_id, "minimumQuantity": 1, "maximumQuantity": 300}
        return [
            Availability.model_validate(
                {"id": "A1", "productId": product_id, "skuId": sku_id, "terms": [{"duration": "P1Y"}], "sku": sku}
            ),
            Availability.model_validate(
                {"id": "A2", "productId": product_id, "skuId": sku_id, "sku": {**sku, "maximumQuantity": 250}}
            ),
        ]


def test_the_seat_bounds_are_read_from_the_availabilities_sku_the_narrowest_of_them() -> None:
    offer = OfferAt("CFQ7TTC0LH18", "0001", "GB")
    found = read_availabilities(cast(PartnerCenterClient, _Bounded()), [offer])
    assert (found[offer].min_quantity, found[offer].max_quantity) == (1, 250)
