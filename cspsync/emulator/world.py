"""The emulator's "world": the partner, its resellers, and tenants that exist in Microsoft's cloud.

Some tenants are already the partner's customers; the others can become customers when their global
admin accepts a reseller relationship (``Store.accept_invitation``). A seed file describes the world
(examples/emulator-seed.yaml); ``DEFAULT_WORLD`` is the same world, built in so an installed cspsync has
one without the repository (a test keeps the two equal).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml_rs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cspsync.errors import ConfigError

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class _Seed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _country(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{2}", value):
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return value.upper()


def _tenant_id(value: str) -> str:
    if not _UUID.fullmatch(value):
        raise ValueError(f"{value!r} is not a tenant id (a GUID)")
    return value.lower()


class PartnerSeed(_Seed):
    name: str
    tenantId: str
    mpnId: str
    location: str = "GB"
    markets: list[str] = Field(min_length=1)
    #: object ids of the partner's security groups: a GDAP access assignment to any other group ends in
    #: ``error`` (empty: every group exists)
    securityGroups: list[str] = Field(default_factory=list)

    _tenant = field_validator("tenantId")(_tenant_id)
    _location = field_validator("location")(_country)

    @field_validator("securityGroups")
    @classmethod
    def _groups(cls, value: list[str]) -> list[str]:
        return [_tenant_id(item) for item in value]

    @field_validator("markets")
    @classmethod
    def _markets(cls, value: list[str]) -> list[str]:
        return [_country(item) for item in value]


class ResellerSeed(_Seed):
    name: str
    tenantId: str
    mpnId: str
    location: str = "GB"

    _tenant = field_validator("tenantId")(_tenant_id)
    _location = field_validator("location")(_country)


class IncumbentSeed(_Seed):
    """Another indirect reseller still associated with a tenant, say its previous reseller: it appears in
    the tenant's ``GET /v1/customers/{id}/relationships`` (reported by cspsync for housekeeping)."""

    name: str
    tenantId: str
    mpnId: str | None = None
    location: str | None = None

    _tenant = field_validator("tenantId")(_tenant_id)


class AddressSeed(_Seed):
    addressLine1: str
    addressLine2: str | None = None
    city: str
    state: str | None = None
    postalCode: str | None = None
    country: str
    firstName: str | None = None
    lastName: str | None = None
    phoneNumber: str | None = None

    _country = field_validator("country")(_country)


class BillingSeed(_Seed):
    email: str
    culture: str
    language: str
    firstName: str | None = None
    lastName: str | None = None
    defaultAddress: AddressSeed


class TenantSeed(_Seed):
    domain: str
    companyName: str
    country: str
    tenantId: str | None = None  # generated when omitted
    customer: bool = False  # True: already the partner's customer
    associatedPartnerId: str | None = None  # tenant id of one of the partner's resellers
    billingProfile: BillingSeed | None = None  # generated from the country when omitted
    partners: list[IncumbentSeed] = Field(default_factory=list)
    #: the tenant's verified custom domains ("Get a customer by ID": ``customDomains``), besides ``domain``
    customDomains: list[str] = Field(default_factory=list)

    _country = field_validator("country")(_country)

    @field_validator("tenantId", "associatedPartnerId")
    @classmethod
    def _ids(cls, value: str | None) -> str | None:
        return None if value is None else _tenant_id(value)

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", value):
            raise ValueError(f"{value!r} is not a domain name")
        return value.lower()


class WorldSeed(_Seed):
    apiVersion: Literal["cspsync.io/v1"] = "cspsync.io/v1"
    kind: Literal["EmulatorSeed"] = "EmulatorSeed"
    partner: PartnerSeed
    resellers: list[ResellerSeed] = Field(default_factory=list)
    tenants: list[TenantSeed] = Field(default_factory=list)


def _problems(err: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or '(top level)'}: {problem['msg']}"
        for problem in err.errors()
    )


def parse_world(world: dict[str, Any], *, source: str = "emulator seed") -> WorldSeed:
    """The validated world; ConfigError naming every wrong field otherwise."""
    try:
        return WorldSeed.model_validate(world)
    except ValidationError as err:
        raise ConfigError(f"{source} is invalid: {_problems(err)}") from None


def parse_tenant(record: dict[str, Any]) -> TenantSeed:
    """One validated tenant (seed shape); ConfigError naming every wrong field otherwise."""
    try:
        return TenantSeed.model_validate(record)
    except ValidationError as err:
        raise ConfigError(f"Invalid tenant {record.get('domain')!r}: {_problems(err)}") from None


def load_seed(path: str | Path) -> dict[str, Any]:
    """Read a seed file (YAML 1.2, so ``NO`` stays Norway); ConfigError when unreadable or invalid."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise ConfigError(f"Cannot read emulator seed {path}: {err.strerror or err}") from None
    try:
        # the options cspsync's declarations are read with: dates stay text, a repeated key is an error
        data = yaml_rs.loads(text, parse_datetime=False, duplicate_key_policy=yaml_rs.DuplicateKeyPolicy.Error)
    except (yaml_rs.YAMLDecodeError, ValueError) as err:
        raise ConfigError(f"{path} is not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping with partner, resellers and tenants.")
    parse_world(data, source=str(path))
    return data


_FABRIKAM = "6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
_NORTHWIND = "9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"

DEFAULT_WORLD: dict[str, Any] = {
    "apiVersion": "cspsync.io/v1",
    "kind": "EmulatorSeed",
    "partner": {
        "name": "Fabrikam Cloud Distribution",
        "tenantId": _FABRIKAM,
        "mpnId": "4512345",
        "location": "GB",
        "markets": ["GB", "IE", "NO", "DE", "NL", "FR"],
        "securityGroups": ["0c6f3e2a-8b1d-4c5e-9f7a-2b3c4d5e6f70", "5e1a7b3c-2d4f-4a6b-8c9d-0e1f2a3b4c5d"],
    },
    "resellers": [
        {"name": "Northwind Traders IT", "tenantId": _NORTHWIND, "mpnId": "6712890", "location": "GB"},
    ],
    "tenants": [
        {
            "tenantId": "3c9d7a10-2b4e-4f6a-8c1d-5e7f9a0b1c2d",
            "domain": "tailspintoys.onmicrosoft.com",
            "customDomains": ["tailspintoys.no"],
            "companyName": "Tailspin Toys AS",
            "country": "NO",
            "customer": True,
            "associatedPartnerId": _NORTHWIND,
            "billingProfile": {
                "email": "faktura@tailspintoys.no",
                "culture": "nb-NO",
                "language": "nb",
                "firstName": "Ingrid",
                "lastName": "Solberg",
                "defaultAddress": {
                    "addressLine1": "Karl Johans gate 12",
                    "city": "Oslo",
                    "postalCode": "0154",
                    "country": "NO",
                    "phoneNumber": "+47 22 12 34 56",
                },
            },
        },
        {
            "tenantId": "7e2f4b6c-8a0d-4c2e-9f1b-3d5a7c9e0f12",
            "domain": "adatum.de",
            "companyName": "Adatum GmbH",
            "country": "DE",
            "customer": True,
            "billingProfile": {
                "email": "rechnungen@adatum.de",
                "culture": "de-DE",
                "language": "de",
                "firstName": "Jonas",
                "lastName": "Becker",
                "defaultAddress": {
                    "addressLine1": "Friedrichstraße 100",
                    "city": "Berlin",
                    "postalCode": "10117",
                    "country": "DE",
                },
            },
            "partners": [
                {
                    "name": "Contoso Legacy IT",
                    "tenantId": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
                    "mpnId": "3345678",
                    "location": "DE",
                },
            ],
        },
        {
            "tenantId": "2b7c9d1e-3f4a-4b5c-8d6e-7f8a9b0c1d2e",
            "domain": "litware.ie",
            "companyName": "Litware Ireland Ltd",
            "country": "IE",
        },
        {
            "tenantId": "8d1e2f3a-4b5c-4d6e-9f7a-8b9c0d1e2f3a",
            "domain": "woodgrovebank.nl",
            "companyName": "Woodgrove Bank NV",
            "country": "NL",
        },
    ],
}
