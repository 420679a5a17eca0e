"""Desired (declarations) against observed (Partner Center), field by field.

Both sides are first put in the same normal form, the way Partner Center normalises: whitespace
collapsed, e-mail addresses and domains case-folded, country codes upper case, empty equals absent.
Server-managed fields (ids, etags, dates, order ids) never enter the comparison. deepdiff then finds
what differs, and each difference becomes a :class:`~cspsync.plan.model.Change` a reviewer can read.
"""

from __future__ import annotations

import re
from typing import Any

from deepdiff import DeepDiff

from cspsync.declarations.keys import address_form, contact_key, folded, phone, text
from cspsync.declarations.models import Agreement, CustomerSpec, Subscription
from cspsync.observe.state import ObservedAgreement, ObservedSubscription
from cspsync.plan.model import Change

_PATH_PART = re.compile(r"\['([^']*)'\]")


def billing_fields(spec: CustomerSpec) -> dict[str, Any]:
    """The billing profile a declaration asks for, in Partner Center's field names and normal form."""
    return normalise_billing(declared_billing(spec))


def declared_billing(spec: CustomerSpec) -> dict[str, Any]:
    """The billing profile as the declaration writes it (what is sent to Partner Center)."""
    company = spec.company
    address = company.address
    contact = company.primaryContact
    return {
        "companyName": company.name,
        "email": company.billingEmail,
        "culture": company.culture,
        "language": company.language,
        "firstName": contact.firstName,
        "lastName": contact.lastName,
        "defaultAddress": {
            "addressLine1": address.addressLine1,
            "addressLine2": address.addressLine2,
            "city": address.city,
            "state": address.state,
            "postalCode": address.postalCode,
            "country": address.country,
            "phoneNumber": contact.phone,
        },
    }


def normalise_billing(profile: dict[str, Any]) -> dict[str, Any]:
    """Normal form of a billing profile, whichever side it comes from."""
    address = profile.get("defaultAddress") or {}
    return {
        "companyName": text(profile.get("companyName")),
        "email": folded(profile.get("email")),
        "culture": folded(profile.get("culture")),
        "language": folded(profile.get("language")),
        "firstName": text(profile.get("firstName")),
        "lastName": text(profile.get("lastName")),
        "defaultAddress": {**address_form(address), "phoneNumber": phone(address.get("phoneNumber"))},
    }


def _field_name(path: str) -> str:
    return ".".join(_PATH_PART.findall(path))


def changes_between(actual: dict[str, Any], desired: dict[str, Any]) -> list[Change]:
    """Every leaf that differs, as ``Change(field, before=actual, after=desired)``, in field order."""
    if actual == desired:  # the common case (in sync) needs no deepdiff, which costs ~0.1 ms a call
        return []
    found = DeepDiff(actual, desired, verbose_level=2)
    changes: list[Change] = []
    for path, detail in found.get("values_changed", {}).items():
        changes.append(Change(field=_field_name(path), before=detail["old_value"], after=detail["new_value"]))
    for path, detail in found.get("type_changes", {}).items():
        changes.append(Change(field=_field_name(path), before=detail["old_value"], after=detail["new_value"]))
    for path, value in found.get("dictionary_item_added", {}).items():
        changes.append(Change(field=_field_name(path), before=None, after=value))
    for path, value in found.get("dictionary_item_removed", {}).items():
        changes.append(Change(field=_field_name(path), before=value, after=None))
    order = _flatten_keys(desired)
    changes.sort(key=lambda c: order.index(c.field) if c.field in order else len(order))
    return changes


def _at(document: dict[str, Any], field: str) -> Any:
    value: Any = document
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def as_written(changes: list[Change], actual: dict[str, Any], desired: dict[str, Any]) -> list[Change]:
    """The same changes, showing the values as Partner Center and the file have them (not case-folded)."""
    return [
        Change(field=c.field, before=_at(actual, c.field) or c.before, after=_at(desired, c.field) or c.after)
        for c in changes
    ]


def _flatten_keys(document: dict[str, Any], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for key, value in document.items():
        if isinstance(value, dict):
            keys += _flatten_keys(value, f"{prefix}{key}.")
        else:
            keys.append(f"{prefix}{key}")
    return keys


def subscription_fields(declared: Subscription) -> dict[str, Any]:
    """The mutable fields of a subscription as declared (offer, term and cycle are checked apart)."""
    status = {"active": "active", "suspended": "suspended", "cancelled": "deleted"}[declared.status]
    return {
        "friendlyName": text(declared.friendlyName),
        "quantity": declared.quantity,
        "autoRenewEnabled": declared.autoRenew if declared.offer != "azure-plan" else None,
        "status": status,
    }


def observed_subscription_fields(actual: ObservedSubscription, *, azure_plan: bool) -> dict[str, Any]:
    return {
        "friendlyName": text(actual.friendly_name),
        "quantity": actual.quantity,
        "autoRenewEnabled": actual.auto_renew if not azure_plan else None,
        "status": actual.status,
    }


def agreement_matches(declared: Agreement, actual: ObservedAgreement) -> bool:
    """Is ``actual`` the declared acceptance already recorded? An acceptance is who (names, e-mail) and when.

    The same contact with the same phone is one record whatever its date: Partner Center keeps one record
    per names, e-mail and phone and refuses another (409 600061, partner-center-api.md §6). The same person
    on the same date with another phone is the same acceptance, its phone corrected: a new record would
    attest a second, backdated acceptance. Another person, or a new phone on another date, is a new one."""
    contact = declared.acceptedBy
    if actual.type != declared.type:
        return False
    person = contact_key(actual.first_name, actual.last_name, actual.email, None)
    if person != contact_key(contact.firstName, contact.lastName, contact.email, None):
        return False
    same_date = (actual.date_agreed or "")[:10] == declared.dateAgreed.isoformat()
    return same_date or phone(actual.phone) == phone(contact.phone)
