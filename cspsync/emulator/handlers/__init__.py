"""The Partner Center endpoints the emulator serves, one module per resource family."""

from __future__ import annotations

from cspsync.emulator.handlers import (
    agreements,
    audit,
    azure,
    carts,
    customers,
    gdap,
    graph,
    linking,
    orders,
    pricesheets,
    products,
    qualifications,
    subscriptions,
    transitions,
    users,
)
from cspsync.emulator.routing import Router

_C = "/v1/customers/{customerId}"


def partner_center_router() -> Router:
    """Every route; literal paths come before templated siblings (``relationshiprequests``)."""
    router = Router()
    add = router.add
    add("GET", "/v1/customers/relationshiprequests", linking.relationship_request)
    add("GET", "/v1/customers", customers.list_customers)
    add("POST", "/v1/customers", customers.create_customer)
    add("GET", _C, customers.get_customer)
    add("DELETE", _C, customers.delete_customer)
    add("GET", _C + "/profiles/company", customers.get_company_profile)
    add("GET", _C + "/profiles/billing", customers.get_billing_profile)
    add("PUT", _C + "/profiles/billing", customers.put_billing_profile)
    add("GET", _C + "/validationStatus", qualifications.validation_status)
    add("GET", _C + "/qualifications", qualifications.list_qualifications)
    add("POST", _C + "/qualifications", qualifications.add_qualification)
    add("HEAD", "/v1/domains/{domain}", customers.domain_exists)
    add("POST", "/v1/validations/address", customers.validate_address)
    add("GET", _C + "/users", users.list_users)
    add("PATCH", _C + "/users/{userId}", users.reset_password)
    add("GET", _C + "/relationships", linking.customer_relationships)
    add("GET", "/v1/relationships", linking.partner_relationships)
    add("GET", "/v1/auditrecords", audit.list_audit_records)
    add("GET", "/v1/agreements", agreements.agreement_templates)
    add("GET", _C + "/agreements", agreements.list_agreements)
    add("POST", _C + "/agreements", agreements.create_agreement)
    add("GET", "/v1/products", products.list_products)
    add("GET", "/v1/products/{productId}", products.get_product)
    add("GET", "/v1/products/{productId}/skus", products.list_skus)
    add("GET", "/v1/products/{productId}/skus/{skuId}", products.get_sku)
    add("GET", "/v1/products/{productId}/skus/{skuId}/availabilities", products.list_availabilities)
    add("GET", "/v1/products/{productId}/skus/{skuId}/availabilities/{availabilityId}", products.get_availability)
    add("GET", _C + "/products/{productId}/skus/{skuId}/availabilities", products.list_customer_availabilities)
    add("POST", _C + "/carts", carts.create_cart)
    add("GET", _C + "/carts/{cartId}", carts.get_cart)
    add("PUT", _C + "/carts/{cartId}", carts.update_cart)
    add("POST", _C + "/carts/{cartId}/checkout", carts.checkout)
    add("GET", _C + "/orders", orders.list_orders)
    add("GET", _C + "/orders/{orderId}", orders.get_order)
    add("GET", _C + "/subscriptions", subscriptions.list_subscriptions)
    add("GET", _C + "/subscriptions/{subscriptionId}", subscriptions.get_subscription)
    add("PATCH", _C + "/subscriptions/{subscriptionId}", subscriptions.update_subscription)
    add("GET", _C + "/subscriptions/{subscriptionId}/provisioningstatus", subscriptions.provisioning_status)
    add("GET", _C + "/subscriptions/{subscriptionId}/transitionEligibilities", transitions.transition_eligibilities)
    add("POST", _C + "/subscriptions/{subscriptionId}/transitions", transitions.create_transition)
    for method, template, handler in azure.routes():  # Azure entitlements, and Azure Resource Manager's aliases
        add(method, template, handler)
    add("POST", "/v1.0/users/{mailbox}/sendMail", graph.send_mail)  # Microsoft Graph, for invitations
    for method, template, handler in gdap.routes():  # Microsoft Graph, granular delegated admin (GDAP)
        add(method, template, handler)
    add("GET", "/v1.0/sales/pricesheets(Market='{market}',PricesheetView='{view}')/$value", pricesheets.get_price_sheet)
    return router
