"""The planner on crafted observations: identity verdicts, and what Partner Center would refuse, blocked in
the plan (an address it did not verify, a reseller it does not list) rather than met at apply."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cspsync.declarations import Declared, Repository, load_repository
from cspsync.observe.applied import AppliedIdentities, CreateIntent
from cspsync.observe.state import Observation, ObservedCustomer
from cspsync.plan import payloads
from cspsync.plan.build import make_plan
from cspsync.plan.model import Kind, Plan

REPO = Path(__file__).resolve().parents[2]
ADATUM = "7e2f4b6c-8a0d-4c2e-9f1b-3d5a7c9e0f12"
NORTHWIND = "9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return load_repository([tmp_path / "examples" / "customers"])


def _declared(repo: Repository, name: str) -> Declared:
    return next(d for d in repo.customers if d.customer.metadata.name == name)


def _plan(repo: Repository, observation: Observation, name: str) -> Plan:
    return make_plan(repo, [_declared(repo, name)], observation, target="emulator", correlation_id="t", priced=False)


def test_an_existing_file_may_declare_a_custom_domain_of_its_tenant(repo: Repository) -> None:
    found = ObservedCustomer(
        id=ADATUM,
        domain="adatumgmbh.onmicrosoft.com",
        company_name="Adatum GmbH",
        domains=("adatumgmbh.onmicrosoft.com", "adatum.de"),
    )
    plan = _plan(repo, Observation(customers={"adatum": found}), "adatum")
    adopt = plan.action("adatum/adopt-customer")
    assert adopt.status == "ready"
    assert adopt.payload.evidence == "declared-tenant-id"  # type: ignore[union-attr]
    assert adopt.payload.domains == ("adatumgmbh.onmicrosoft.com", "adatum.de")  # type: ignore[union-attr]


def test_a_known_tenant_with_a_declared_domain_it_does_not_have_is_still_a_conflict(repo: Repository) -> None:
    found = ObservedCustomer(id=ADATUM, domain="other.example", company_name="Adatum GmbH", domains=("other.example",))
    observation = Observation(customers={"adatum": found}, applied=AppliedIdentities(adopted={"adatum": ADATUM}))
    plan = _plan(repo, observation, "adatum")
    assert plan.customers[0].state == "conflict"
    assert plan.action("adatum/adopt-customer").status == "blocked"


def _contoso_found(company: str = "Contoso Bikes Ltd", email: str = "accounts@contosobikes.co.uk") -> ObservedCustomer:
    return ObservedCustomer(
        id="11111111-2222-4333-8444-555555555555",
        domain="contosobikes.onmicrosoft.com",
        company_name=company,
        domains=("contosobikes.onmicrosoft.com",),
        billing={"email": email, "companyName": company},
    )


def _intent(**changes: str) -> CreateIntent:
    fields = {
        "customer": "contoso-bikes",
        "domain": "contosobikes.onmicrosoft.com",
        "company_name": "Contoso Bikes Ltd",
        "billing_email": "accounts@contosobikes.co.uk",
        "started_at": "2026-11-02T09:00:00+00:00",
        "record": "/state/applies/20261102T090000Z-x.json",
    }
    return CreateIntent(**{**fields, **changes})


@pytest.mark.parametrize(
    ("intent", "verdict"),
    [
        (_intent(), "ready"),
        (_intent(billing_email="someone@else.example"), "blocked"),
        (_intent(company_name="Contoso Bicycles Ltd"), "blocked"),
        (_intent(domain="contosobikes2.onmicrosoft.com"), "blocked"),
        (None, "blocked"),
    ],
    ids=["matching", "other-email", "other-company", "other-domain", "no-intent"],
)
def test_a_create_adopts_only_on_its_own_intent_with_the_same_company_and_email(
    repo: Repository, intent: CreateIntent | None, verdict: str
) -> None:
    applied = AppliedIdentities(intents={"contoso-bikes": intent} if intent else {})
    plan = _plan(repo, Observation(customers={"contoso-bikes": _contoso_found()}, applied=applied), "contoso-bikes")
    adopt = plan.action("contoso-bikes/adopt-customer")
    assert adopt.status == verdict
    if verdict == "ready":
        assert adopt.payload.password_lost is True  # type: ignore[union-attr]
        assert any("cspsync credentials reset contoso-bikes" in w for w in adopt.warnings)
    agreement = plan.action("contoso-bikes/create-agreement")
    assert "contoso-bikes/adopt-customer" in agreement.depends_on
    if verdict == "blocked":
        assert agreement.status == "blocked"
        assert not any(a.kind is Kind.UPDATE_BILLING_PROFILE for a in plan.actions)


def test_an_address_partner_center_did_not_verify_blocks_the_create_with_its_suggestions(repo: Repository) -> None:
    observation = Observation(
        customers={"contoso-bikes": None},
        domain_available={"contoso-bikes": True},
        address_status={"contoso-bikes": ("StreetPartial", "The street was not found")},
        address_suggestions={
            "contoso-bikes": (
                "addressLine1: 1 Wheel St, postalCode: BS1 4DJ, city: Bristol, country: GB",
                "addressLine1: 1 Wheeler Street, postalCode: BS1 4DJ, city: Bristol, country: GB",
            )
        },
    )
    plan = _plan(repo, observation, "contoso-bikes")
    create = plan.action("contoso-bikes/create-customer")
    assert create.status == "blocked"
    assert create.reason == (
        "Partner Center did not verify company.address (StreetPartial: the street is incomplete; The street was not "
        "found); Partner Center suggests: “addressLine1: 1 Wheel St, postalCode: BS1 4DJ, city: Bristol, country: "
        "GB”; or “addressLine1: 1 Wheeler Street, postalCode: BS1 4DJ, city: Bristol, country: GB”. A customer "
        "must be created with a valid physical address: copy the right suggestion into company.address (or "
        "correct it yourself) and plan again"
    )
    assert plan.action("contoso-bikes/create-agreement").status == "blocked"
    assert isinstance(create.payload, payloads.CreateCustomer)
    assert create.payload.billing_profile.default_address.address_line1 == "1 Wheel Street"  # never replaced


@pytest.mark.parametrize(
    ("status", "meaning", "blocked"),
    [
        ("VerifiedShippable", None, False),
        ("Verified", None, False),
        ("NotValidated", None, False),
        ("InteractionRequired", "needs a person to confirm it", True),
        ("StreetPartial", "the street is incomplete", True),
        ("PremisesPartial", "the premises (building, suite or unit number) are incomplete", True),
        ("Multiple", "several parts of the address are incomplete", True),
        ("None", "the address is incorrect", True),
        ("SomethingNew", "Partner Center did not verify it", True),
    ],
)
def test_each_documented_address_status_gets_its_reaction(
    repo: Repository, status: str, meaning: str | None, blocked: bool
) -> None:
    """ "Validate an address": verified statuses go ahead, NotValidated warns, every other one blocks."""
    observation = Observation(
        customers={"contoso-bikes": None},
        domain_available={"contoso-bikes": True},
        address_status={"contoso-bikes": (status, None)},
        address_suggestions={"contoso-bikes": ("addressLine1: 1 Wheel Street, city: Bristol",)},
    )
    create = _plan(repo, observation, "contoso-bikes").action("contoso-bikes/create-customer")
    assert create.status == ("blocked" if blocked else "ready")
    if meaning:
        assert meaning in (create.reason or "")
        assert "“addressLine1: 1 Wheel Street, city: Bristol”" in (create.reason or "")
    if status == "Verified":
        assert any("not VerifiedShippable" in w for w in create.warnings)


def test_an_address_that_could_not_be_validated_is_a_warning(repo: Repository) -> None:
    observation = Observation(
        customers={"contoso-bikes": None},
        domain_available={"contoso-bikes": True},
        address_status={"contoso-bikes": ("NotValidated", None)},
    )
    create = _plan(repo, observation, "contoso-bikes").action("contoso-bikes/create-customer")
    assert create.status == "ready"
    assert create.warnings == ("address validation: NotValidated (Partner Center could not check the address)",)


@pytest.mark.parametrize("listed", [{}, {NORTHWIND: "Inactive"}], ids=["not-listed", "inactive"])
def test_a_reseller_partner_center_would_refuse_blocks_the_create_and_the_invitation(
    repo: Repository, listed: dict[str, str]
) -> None:
    observation = Observation(
        customers={"fourth-coffee": None},
        domain_available={"fourth-coffee": True},
        address_status={"fourth-coffee": ("VerifiedShippable", None)},
        resellers=dict(listed),
    )
    create = _plan(repo, observation, "fourth-coffee").action("fourth-coffee/create-customer")
    assert create.status == "blocked"
    assert "(Northwind Traders IT, tenant 9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d), so it would refuse this (800016)" in (
        create.reason or ""
    )
    observation.resellers = {NORTHWIND: "Active"}
    assert _plan(repo, observation, "fourth-coffee").action("fourth-coffee/create-customer").status == "ready"
