"""What Partner Center sells of the offers a plan would order, read once per (product, SKU, market).

Partner Center: "Get a list of availabilities for a SKU (by country)", ``GET
/v1/products/{productId}/skus/{skuId}/availabilities?country={country}``: the items are the ways the SKU can
be bought in that market, each with its ``terms`` (``duration`` and ``billingCycle``) and its ``sku``, whose
``minimumQuantity`` and ``maximumQuantity`` bound the seats of an order ("Product resources"); an empty list
means it is not sold there, and a product or SKU that does not exist answers 404. The plan asks only for the
offers of its new orders, so a plan with none costs no call, and a portfolio of thousands of customers
buying a handful of offers in a few markets costs a read per offer and market. The client caches each answer
for its life, so apply, which reads them again before ordering, costs no second call.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from cspsync.errors import NotFoundError, PartnerCenterError
from cspsync.partnercenter.client import PartnerCenterClient
from cspsync.threads import in_threads

#: partner-center-api.md's error list: "800070 offer not in country", as Partner Center answers an offer (or a
#: whole catalog) that is not sold in the market asked
NOT_IN_COUNTRY = "800070"


@dataclass(frozen=True, order=True)
class OfferAt:
    """One SKU of a product in one market (an ISO country code, upper case)."""

    product_id: str
    sku_id: str
    country: str

    def label(self) -> str:
        return f"{self.product_id}:{self.sku_id}"


@dataclass(frozen=True)
class Offered:
    """What the availabilities of one :class:`OfferAt` said; exactly one of the three outcomes."""

    #: ``(duration, billingCycle)`` of every term of every availability, as read (lower-case cycles); empty
    #: with ``sold`` false: no availability in the market
    terms: tuple[tuple[str, str | None], ...] = ()
    sold: bool = False
    #: the product or SKU does not exist (404): Partner Center's message
    not_found: str | None = None
    #: the read failed otherwise: availability is unknown, not confirmed
    failure: str | None = None
    #: the seats an order may have, from the availabilities' SKU (None: not said)
    min_quantity: int | None = None
    max_quantity: int | None = None


def _read(client: PartnerCenterClient, offer: OfferAt) -> Offered:
    try:
        found = client.availabilities(offer.product_id, offer.sku_id, offer.country)
    except NotFoundError as err:
        return Offered(not_found=err.description or err.message)
    except PartnerCenterError as err:
        if err.code == NOT_IN_COUNTRY:  # a definite answer: nothing of it is sold in that market
            return Offered(sold=False)
        return Offered(failure=err.message)
    terms = tuple(
        (term.duration, term.billing_cycle.lower() if term.billing_cycle else None) for a in found for term in a.terms
    )
    lows = [a.sku.minimum_quantity for a in found if a.sku is not None and a.sku.minimum_quantity is not None]
    highs = [a.sku.maximum_quantity for a in found if a.sku is not None and a.sku.maximum_quantity is not None]
    return Offered(
        terms=terms,
        sold=bool(found),
        min_quantity=max(lows) if lows else None,  # what every availability allows
        max_quantity=min(highs) if highs else None,
    )


def read_availabilities(
    client: PartnerCenterClient, wanted: Collection[OfferAt], workers: int = 8
) -> dict[OfferAt, Offered]:
    """What each offer in ``wanted`` is sold as, read concurrently (one failed read never stops the others)."""
    offers = sorted(set(wanted))
    if not offers:
        return {}
    return dict(zip(offers, in_threads(lambda offer: _read(client, offer), offers, workers), strict=True))
