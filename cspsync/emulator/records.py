"""Rows and documents of the emulator's SQLite state: the schema, typed rows, and builders shared by the
store and the handlers."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from cspsync.emulator.addresses import rule_for, sample_address
from cspsync.emulator.world import TenantSeed
from cspsync.errors import ConfigError

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tenants (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    domain TEXT NOT NULL UNIQUE COLLATE NOCASE,
    company_name TEXT NOT NULL COLLATE NOCASE,
    country TEXT NOT NULL,
    is_customer INTEGER NOT NULL DEFAULT 0,
    associated_partner_id TEXT,
    commerce_id TEXT,
    billing TEXT NOT NULL,
    billing_etag TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tenants_customers ON tenants (is_customer, seq);
CREATE INDEX IF NOT EXISTS tenants_company_name ON tenants (company_name COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS custom_domains (
    domain TEXT PRIMARY KEY COLLATE NOCASE,
    tenant_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tenant_partners (
    tenant_id TEXT NOT NULL,
    partner_tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    mpn_id TEXT,
    location TEXT,
    PRIMARY KEY (tenant_id, partner_tenant_id)
);
CREATE TABLE IF NOT EXISTS relationship_requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    indirect_reseller_id TEXT,
    requested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS agreements (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id TEXT NOT NULL,
    type TEXT NOT NULL,
    contact_key TEXT NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (customer_id, type, contact_key)
);
CREATE TABLE IF NOT EXISTS carts (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_customer ON orders (customer_id);
CREATE TABLE IF NOT EXISTS subscriptions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    friendly_name TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS subscriptions_customer ON subscriptions (customer_id, seq);
CREATE TABLE IF NOT EXISTS audit_records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    operation_date TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_records_date ON audit_records (operation_date);
CREATE TABLE IF NOT EXISTS customer_records (
    tenant_id TEXT PRIMARY KEY,
    created_at TEXT,
    qualifications TEXT NOT NULL DEFAULT '[]'
);
"""


class DuplicateError(Exception):
    """A write would break a uniqueness rule (domain, agreement contact)."""


@dataclass(frozen=True)
class Tenant:
    seq: int
    id: str
    domain: str
    company_name: str
    country: str
    is_customer: bool
    associated_partner_id: str | None
    commerce_id: str | None
    billing: dict[str, Any]  # billing profile without id and attributes
    billing_etag: str


class CustomerSummary(NamedTuple):
    """One row of the customer list: what ``GET /v1/customers`` shows."""

    seq: int
    id: str
    domain: str
    company_name: str


def new_etag() -> str:
    return secrets.token_urlsafe(12)


def seeded_billing(seed: TenantSeed) -> dict[str, Any]:
    """The seed's billing profile, or a plausible one in the tenant's country when it gives none."""
    if seed.billingProfile is not None:
        billing = seed.billingProfile.model_dump(exclude_none=True)
    else:
        rule = rule_for(seed.country)
        billing = {
            "email": f"billing@{seed.domain}",
            "culture": rule.culture,
            "language": rule.language,
            "defaultAddress": sample_address(seed.country),
        }
    billing["companyName"] = seed.companyName
    return billing


def check_reseller(seed: TenantSeed, reseller_ids: set[str]) -> None:
    if seed.associatedPartnerId and seed.associatedPartnerId not in reseller_ids:
        raise ConfigError(
            f"Tenant {seed.domain} names associatedPartnerId {seed.associatedPartnerId}, which is not one of "
            "the partner's resellers."
        )


def contact_key(contact: Mapping[str, Any]) -> str:
    parts = (contact.get(field) or "" for field in ("firstName", "lastName", "email", "phoneNumber"))
    return "\x1f".join(str(part).strip().lower() for part in parts)


TENANT_BY_ID = (
    "SELECT seq, id, domain, company_name, country, is_customer, associated_partner_id, commerce_id, "
    "billing, billing_etag FROM tenants WHERE id = ?"
)
TENANT_BY_DOMAIN = (
    "SELECT seq, id, domain, company_name, country, is_customer, associated_partner_id, commerce_id, "
    "billing, billing_etag FROM tenants WHERE domain = ?"
)


def tenant_from_row(row: tuple[Any, ...] | None) -> Tenant | None:
    if row is None:
        return None
    seq, tenant_id, domain, name, country, is_customer, reseller, commerce_id, billing, etag = row
    return Tenant(
        seq, tenant_id, domain, name, country, bool(is_customer), reseller, commerce_id, json.loads(billing), etag
    )


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
