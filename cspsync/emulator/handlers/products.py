"""The catalog: products, SKUs and availabilities per country, from the store's catalog.

Doc pages: "Get a list of products" (targetView, targetSegment; 403 400036 and 400030), "Get a product by
ID" (404 400013), "Get a list of SKUs for a product", "Get a SKU by ID" (404 400018), "Get a list of
availabilities for a SKU", "Get an availability by ID" (404 400019), "Get a list of availabilities for
a SKU (by customer)" and "Product resources". Links are written as the pages show them
(``/products/{id}?country=US``, no ``/v1``).
"""

from __future__ import annotations

from typing import Any

import httpx

from cspsync.emulator import codes
from cspsync.emulator.catalog import CURRENCY_SYMBOLS, TARGET_VIEWS, Catalog, Offer
from cspsync.emulator.handlers.common import customer, require_query
from cspsync.emulator.routing import Call
from cspsync.emulator.wire import collection, link, respond

_TERM_NAMES = {"P1M": "One-Month commitment", "P1Y": "One-Year commitment", "P3Y": "Three-Year commitment"}
_SEGMENTS = {"commercial"}  # the emulator sells to commercial customers only


def _country(call: Call, catalog: Catalog) -> str:
    country = require_query(call, "country").upper()
    if catalog.currency(country) is None:
        raise codes.OFFER_NOT_IN_COUNTRY.error(f"The catalog is not available in country {country!r}.")
    segment = call.query("targetSegment")
    if segment and segment.lower() not in _SEGMENTS:
        raise codes.TARGET_SEGMENT_NOT_ALLOWED.error()
    return country


def _offer(call: Call, catalog: Catalog) -> Offer:
    product_id = call.params["productId"]
    sku_id = call.params.get("skuId")
    if not catalog.product_exists(product_id):
        raise codes.PRODUCT_NOT_FOUND.error()
    found = catalog.offer(product_id, sku_id)
    if found is None:
        raise codes.SKU_NOT_FOUND.error()
    return found


def product_document(item: Offer, country: str) -> dict[str, Any]:
    return {
        "id": item.product_id,
        "title": item.title,
        "description": f"{item.title} from {item.publisher}.",
        "productType": item.product_type,
        "isMicrosoftProduct": item.publisher == "Microsoft Corporation",
        "publisherName": item.publisher,
        "links": {
            "skus": link(f"/products/{item.product_id}/skus?country={country}"),
            "self": link(f"/products/{item.product_id}?country={country}"),
        },
        "attributes": {"objectType": "Product"},
    }


def sku_document(item: Offer, country: str) -> dict[str, Any]:
    return {
        "id": item.sku_id,
        "productId": item.product_id,
        "title": item.sku_title,
        "description": item.sku_title,
        "minimumQuantity": 1,
        "maximumQuantity": item.max_quantity,
        "isTrial": False,
        "supportedBillingCycles": item.billing_cycles,
        "purchasePrerequisites": ["MicrosoftCustomerAgreement"],
        "inventoryVariables": [],
        "provisioningVariables": list(item.provisioning_variables),
        "actions": [],
        "dynamicAttributes": {},
        "links": {
            "availabilities": link(f"/products/{item.product_id}/skus/{item.sku_id}/availabilities?country={country}"),
            "self": link(f"/products/{item.product_id}/skus/{item.sku_id}?country={country}"),
        },
        "attributes": {"objectType": "Sku"},
    }


def _term_id(item: Offer, duration: str | None, cycle: str) -> str:
    return f"{item.availability_id.lower()}-{(duration or 'once').lower()}-{cycle}"


def availability_document(item: Offer, country: str, catalog: Catalog) -> dict[str, Any]:
    """An Availability; its terms carry the cancellation policy (refund window) of new commerce, as
    get-an-availability-by-id shows it."""
    currency = catalog.currency(country) or ""
    window = f"P{item.cancellation_days}D"
    terms = []
    for term in item.terms:
        if catalog.unit_price(item, country, term.duration, term.billing_cycle) is None:
            continue
        document: dict[str, Any] = {"id": _term_id(item, term.duration, term.billing_cycle)}
        if term.duration:
            document["duration"] = term.duration
        document["description"] = (
            f"{_TERM_NAMES.get(term.duration or '', 'Perpetual')} for {term.billing_cycle} billing"
        )
        document["billingCycle"] = term.billing_cycle
        if item.cancellation_days:
            refund = {"sequenceId": 0, "type": "Full", "expiresAfter": window}
            document["cancellationPolicies"] = [{"refundOptions": [refund]}]
        terms.append(document)
    base = f"/products/{item.product_id}/skus/{item.sku_id}/availabilities"
    return {
        "id": item.availability_id,
        "productId": item.product_id,
        "skuId": item.sku_id,
        "catalogItemId": item.catalog_item_id,
        "defaultCurrency": {"code": currency, "symbol": CURRENCY_SYMBOLS.get(currency, currency)},
        "segment": "commercial",
        "country": country,
        "isPurchasable": True,
        "isRenewable": item.kind in ("license", "saas"),
        "product": product_document(item, country),
        "sku": sku_document(item, country),
        "terms": terms,
        "links": {"self": link(f"{base}/{item.availability_id}?country={country}")},
        "attributes": {"objectType": "Availability"},
    }


def _sold_in(item: Offer, country: str, catalog: Catalog) -> bool:
    terms = item.terms or ()
    if not terms:
        return catalog.unit_price(item, country, None, "monthly") is not None
    return any(catalog.unit_price(item, country, t.duration, t.billing_cycle) is not None for t in terms)


def list_products(call: Call) -> httpx.Response:
    """``GET /v1/products?country=&targetView=``."""
    catalog = call.store.catalog()
    country = _country(call, catalog)
    view = require_query(call, "targetView")
    kinds = TARGET_VIEWS.get(view.lower())
    if kinds is None:
        raise codes.TARGET_VIEW_NOT_ALLOWED.error()
    seen: set[str] = set()
    items = []
    for item in catalog.offers:
        if item.kind in kinds and item.product_id not in seen and _sold_in(item, country, catalog):
            seen.add(item.product_id)
            items.append(product_document(item, country))
    self_link = link(f"/products?country={country}&targetView={view}")
    return respond(200, collection(items, links={"self": self_link}))


def get_product(call: Call) -> httpx.Response:
    catalog = call.store.catalog()
    country = _country(call, catalog)
    if not catalog.product_exists(call.params["productId"]):
        raise codes.PRODUCT_NOT_FOUND.error()
    found = catalog.offer(call.params["productId"])
    assert found is not None
    return respond(200, product_document(found, country))


def list_skus(call: Call) -> httpx.Response:
    catalog = call.store.catalog()
    country = _country(call, catalog)
    product_id = call.params["productId"].upper()
    if not catalog.product_exists(product_id):
        raise codes.PRODUCT_NOT_FOUND.error()
    skus = [sku_document(other, country) for other in catalog.offers if other.product_id == product_id]
    return respond(200, collection(skus))


def get_sku(call: Call) -> httpx.Response:
    catalog = call.store.catalog()
    country = _country(call, catalog)
    return respond(200, sku_document(_offer(call, catalog), country))


def _availabilities(item: Offer, country: str, catalog: Catalog) -> list[dict[str, Any]]:
    return [availability_document(item, country, catalog)] if _sold_in(item, country, catalog) else []


def list_availabilities(call: Call) -> httpx.Response:
    """``GET /v1/products/{p}/skus/{s}/availabilities?country=`` ("Get a list of availabilities for a SKU (by
    country)"): the SKU's availabilities in the market, an empty collection where it is not sold there; a
    product or SKU that does not exist is 404 400013 / 400018, as "Get a product by ID" and "Get a SKU by ID"
    document."""
    catalog = call.store.catalog()
    country = _country(call, catalog)
    return respond(200, collection(_availabilities(_offer(call, catalog), country, catalog)))


def get_availability(call: Call) -> httpx.Response:
    """``GET /v1/products/{p}/skus/{s}/availabilities/{a}?country=``: 404 400019 for another id."""
    catalog = call.store.catalog()
    country = _country(call, catalog)
    item = _offer(call, catalog)
    if call.params["availabilityId"].upper() != item.availability_id or not _sold_in(item, country, catalog):
        raise codes.AVAILABILITY_NOT_FOUND.error()
    return respond(200, availability_document(item, country, catalog))


def list_customer_availabilities(call: Call) -> httpx.Response:
    """Availabilities in the customer's own country (from its billing address)."""
    tenant = customer(call)
    catalog = call.store.catalog()
    item = _offer(call, catalog)
    if catalog.currency(tenant.country) is None:
        return respond(200, collection([]))
    return respond(200, collection(_availabilities(item, tenant.country, catalog)))
