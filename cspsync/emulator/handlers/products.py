"""The catalog: products, SKUs and availabilities per country, as ``catalog.OFFERS`` defines them."""

from __future__ import annotations

from typing import Any

import httpx

from cspsync.emulator import codes
from cspsync.emulator.catalog import (
    CANCELLATION_WINDOW_DAYS,
    CURRENCY_BY_COUNTRY,
    CURRENCY_SYMBOLS,
    OFFERS,
    TARGET_VIEWS,
    Offer,
    offer,
)
from cspsync.emulator.handlers.common import customer, require_query
from cspsync.emulator.routing import Call
from cspsync.emulator.wire import collection, link, respond

_TERM_NAMES = {"P1M": "One-Month commitment", "P1Y": "One-Year commitment", "P3Y": "Three-Year commitment"}


def _country(call: Call) -> str:
    country = require_query(call, "country").upper()
    if country not in CURRENCY_BY_COUNTRY:
        raise codes.OFFER_NOT_IN_COUNTRY.error(f"The catalog is not available in country {country!r}.")
    return country


def _offer(call: Call) -> Offer:
    product_id = call.params["productId"]
    sku_id = call.params.get("skuId")
    found = offer(product_id, sku_id)
    if found is None:
        what = f"Product {product_id}" if sku_id is None else f"SKU {sku_id} of product {product_id}"
        raise codes.CATALOG_ITEM_NOT_FOUND.error(f"{what} was not found in the catalog.")
    return found


def product_document(item: Offer, country: str) -> dict[str, Any]:
    return {
        "id": item.product_id,
        "title": item.title,
        "description": f"{item.title} from Microsoft.",
        "productType": {"id": item.product_type, "displayName": item.product_type},
        "isMicrosoftProduct": True,
        "publisherName": "Microsoft Corporation",
        "links": {"skus": link(f"/v1/products/{item.product_id}/skus?country={country}")},
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
        "purchasePrerequisites": [],
        "inventoryVariables": [],
        "provisioningVariables": [],
        "actions": [],
        "dynamicAttributes": {},
        "links": {
            "availabilities": link(
                f"/v1/products/{item.product_id}/skus/{item.sku_id}/availabilities?country={country}"
            )
        },
        "attributes": {"objectType": "Sku"},
    }


def availability_document(item: Offer, country: str) -> dict[str, Any]:
    currency = CURRENCY_BY_COUNTRY[country]
    terms = [
        {
            "duration": term.duration,
            "description": f"{_TERM_NAMES[term.duration]} for {term.billing_cycle} billing",
            "billingCycle": term.billing_cycle,
            "cancellationPolicies": [
                {"refunds": [{"type": "Full", "sequenceId": 0, "expiresAfter": f"P{CANCELLATION_WINDOW_DAYS}D"}]}
            ],
        }
        for term in item.terms
    ]
    return {
        "id": item.availability_id,
        "productId": item.product_id,
        "skuId": item.sku_id,
        "catalogItemId": item.catalog_item_id,
        "defaultCurrency": {"code": currency, "symbol": CURRENCY_SYMBOLS[currency]},
        "segment": "commercial",
        "country": country,
        "isPurchasable": True,
        "isRenewable": not item.is_azure_plan,
        "product": product_document(item, country),
        "sku": sku_document(item, country),
        "terms": terms,
        "links": {
            "self": link(
                f"/v1/products/{item.product_id}/skus/{item.sku_id}/availabilities/"
                f"{item.availability_id}?country={country}"
            )
        },
        "attributes": {"objectType": "Availability"},
    }


def list_products(call: Call) -> httpx.Response:
    country = _country(call)
    view = require_query(call, "targetView")
    product_type = TARGET_VIEWS.get(view.lower())
    if product_type is None:
        raise codes.INVALID_INPUT.error(f"The targetView {view!r} is not supported.")
    items = [product_document(item, country) for item in OFFERS if item.product_type == product_type]
    return respond(200, collection(items))


def get_product(call: Call) -> httpx.Response:
    country = _country(call)
    return respond(200, product_document(_offer(call), country))


def list_skus(call: Call) -> httpx.Response:
    country = _country(call)
    item = _offer(call)
    skus = [sku_document(other, country) for other in OFFERS if other.product_id == item.product_id]
    return respond(200, collection(skus))


def get_sku(call: Call) -> httpx.Response:
    return respond(200, sku_document(_offer(call), _country(call)))


def list_availabilities(call: Call) -> httpx.Response:
    country = _country(call)
    return respond(200, collection([availability_document(_offer(call), country)]))


def list_customer_availabilities(call: Call) -> httpx.Response:
    """Availabilities in the customer's own country (from its billing address)."""
    tenant = customer(call)
    if tenant.country not in CURRENCY_BY_COUNTRY:
        return respond(200, collection([]))
    return respond(200, collection([availability_document(_offer(call), tenant.country)]))
