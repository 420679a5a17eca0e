"""Rules across files and against cspsync.yaml: one tenant per file, markets, naming, resellers, dates."""

from __future__ import annotations

import datetime as dt
import string
import sys
from pathlib import Path

import email_validator
import pytest
from email_validator import validate_email
from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st

from cspsync.declarations import validate
from cspsync.declarations.load import Document, parse_text
from cspsync.declarations.rules import (
    _ALPHANUMERIC,
    _CONTROL,
    _PLAIN_EMAIL,
    SPECIAL_USE_DOMAINS,
    control_character_findings,
    culture_language,
    email_problem,
    latest_date,
    phone_problem,
    plain_email,
    recipient_problem,
)

from .support import CONFIG, CUSTOMER, Repo, edit

TAILSPIN = """\
apiVersion: cspsync.io/v1
kind: Customer
metadata:
  name: tailspin-toys
spec:
  company:
    name: Tailspin Toys AS
    billingEmail: faktura@tailspintoys.no
    culture: nb-NO
    language: nb
    address:
      addressLine1: Karl Johans gate 12
      city: Oslo
      postalCode: "0154"
      country: NO
    primaryContact:
      firstName: Ingrid
      lastName: Solberg
      email: ingrid.solberg@tailspintoys.no
  tenant:
    mode: existing
    tenantId: 3c9d7a10-2b4e-4f6a-8c1d-5e7f9a0b1c2d
    domain: tailspintoys.onmicrosoft.com
"""


def renamed(text: str, name: str, company: str) -> str:
    text = edit(text, "name: contoso-bikes", f"name: {name}")
    return edit(text, "name: Contoso Bikes Ltd", f"name: {company}")


def test_two_files_cannot_claim_the_same_new_tenant(repo: Repo) -> None:
    repo.write("customers/a.yaml", CUSTOMER)
    other = renamed(CUSTOMER, "contoso-two", "Contoso Two Ltd")
    repo.write("customers/b.yaml", edit(other, "domainPrefix: contosobikes", "domainPrefix: ContosoBikes"))
    assert repo.problems() == [
        "customers/b.yaml:23:19: spec.tenant.domainPrefix: domain contosobikes.onmicrosoft.com is already declared "
        "in customers/a.yaml:23:19; each customer (and tenant) has exactly one file"
    ]


def test_a_created_domain_and_an_adopted_one_collide_case_insensitively(repo: Repo) -> None:
    repo.write("customers/a.yaml", edit(TAILSPIN, "tailspintoys.onmicrosoft.com", "TailspinToys.onmicrosoft.com"))
    other = renamed(CUSTOMER, "tailspin-again", "Tailspin Again AS")
    repo.write("customers/b.yaml", edit(other, "domainPrefix: contosobikes", "domainPrefix: tailspintoys"))
    assert repo.problems() == [
        "customers/b.yaml:23:19: spec.tenant.domainPrefix: domain tailspintoys.onmicrosoft.com is already "
        "declared in customers/a.yaml:23:13; each customer (and tenant) has exactly one file"
    ]


def test_two_files_cannot_adopt_the_same_tenant_id(repo: Repo) -> None:
    repo.write("customers/a.yaml", TAILSPIN)
    second = edit(TAILSPIN, "name: tailspin-toys", "name: tailspin-norge")
    second = edit(second, "name: Tailspin Toys AS", "name: Tailspin Norge AS")
    second = edit(second, "domain: tailspintoys.onmicrosoft.com", "domain: tailspin.no")
    repo.write("customers/b.yaml", edit(second, "3c9d7a10-2b4e-4f6a", "3C9D7A10-2B4E-4F6A"))
    assert repo.problems() == [
        "customers/b.yaml:22:15: spec.tenant.tenantId: tenant id is already declared in customers/a.yaml:22:15; "
        "each customer (and tenant) has exactly one file"
    ]


def test_names_and_companies_are_unique(repo: Repo) -> None:
    repo.write("customers/a.yaml", CUSTOMER)
    other = edit(CUSTOMER, "domainPrefix: contosobikes", "domainPrefix: contosobikes2")
    repo.write("customers/b.yaml", edit(other, "name: Contoso Bikes Ltd", "name: CONTOSO  Bikes ltd"))
    assert repo.problems() == [
        "customers/b.yaml:4:9: metadata.name: metadata.name is already declared in customers/a.yaml:4:9; each "
        "customer (and tenant) has exactly one file",
        "customers/b.yaml:7:11: spec.company.name: company is already declared in customers/a.yaml:7:11; each "
        "customer (and tenant) has exactly one file",
    ]


def test_country_must_be_a_market(repo: Repo) -> None:
    repo.write("cspsync.yaml", edit(CONFIG, "markets: [GB, IE, NO, DE, NL, FR]", "markets: [GB, IE]"))
    repo.write("customers/t.yaml", TAILSPIN)
    assert repo.problems() == [
        "customers/t.yaml:15:16: spec.company.address.country: NO is not one of the partner's markets in "
        "cspsync.yaml (GB, IE)"
    ]


def test_naming_policy_comes_from_the_config(repo: Repo) -> None:
    policy = "subscriptionPattern: '^[a-z0-9]+-[a-z0-9]+-[a-z0-9-]{2,24}$'"
    repo.write("cspsync.yaml", edit(CONFIG, policy, "subscriptionPattern: '^contoso-.+$'"))
    repo.write("customers/c.yaml", CUSTOMER)
    assert repo.problems() == [
        "customers/c.yaml:31:21: spec.subscriptions[0].friendlyName: does not follow the naming policy in "
        "cspsync.yaml (naming.subscriptionPattern: ^contoso-.+$)",
        "customers/c.yaml:33:21: spec.subscriptions[1].friendlyName: does not follow the naming policy in "
        "cspsync.yaml (naming.subscriptionPattern: ^contoso-.+$)",
    ]


def test_agreement_date_in_the_future_by_the_real_clock(repo: Repo) -> None:
    repo.write("customers/c.yaml", CUSTOMER)
    with freeze_time("2026-09-30"):
        assert repo.problems(today=dt.date.today()) == [
            "customers/c.yaml:29:17: spec.agreement.dateAgreed: is in the future (no time zone has reached it: the "
            "latest date anywhere is 2026-09-30); write the day the customer accepted the agreement"
        ]
    with freeze_time("2026-10-01"):
        assert repo.problems(today=dt.date.today()) == []


def test_validate_takes_today_from_the_clock_by_default(repo: Repo) -> None:
    repo.write("customers/c.yaml", CUSTOMER)
    with freeze_time("2026-09-30"):
        assert [p.message for p in validate([Path("customers")])[1]] == [
            "is in the future (no time zone has reached it: the latest date anywhere is 2026-09-30); write the day "
            "the customer accepted the agreement"
        ]


def test_a_day_begun_somewhere_is_valid_in_ci_too(repo: Repo) -> None:
    """At 12:00 UTC on 30 September it is 1 October in Auckland, where the customer signed: validate used the
    machine's own date, so the file passed on the partner's laptop there and failed in CI (UTC) until UTC's
    midnight."""
    repo.write("customers/c.yaml", CUSTOMER)  # dateAgreed 2026-10-01
    with freeze_time("2026-09-30T12:00:00Z"):
        assert [p.message for p in validate([Path("customers")])[1]] == []
    with freeze_time("2026-09-30T09:59:59Z"):  # not yet 1 October even in UTC+14
        [problem] = validate([Path("customers")])[1]
        assert problem.message.startswith("is in the future (no time zone has reached it: the latest date anywhere")


@pytest.mark.parametrize("zone", ["Pacific/Auckland", "UTC", "America/Los_Angeles", "Pacific/Kiritimati"])
def test_the_latest_date_is_one_date_per_instant_whatever_the_machines_zone(zone: str) -> None:
    from zoneinfo import ZoneInfo

    instant = dt.datetime(2026, 9, 30, 12, 0, tzinfo=dt.UTC).astimezone(ZoneInfo(zone))
    assert latest_date(instant) == dt.date(2026, 10, 1)
    assert latest_date(instant - dt.timedelta(seconds=7201)) == dt.date(2026, 9, 30)


def test_direct_partners_name_no_reseller(repo: Repo) -> None:
    config = edit(CONFIG, "  model: indirect-provider\n", "  model: direct\n")
    config = config[: config.index("  resellers:")] + config[config.index("markets:") :]
    repo.write("cspsync.yaml", config)
    repo.write("customers/c.yaml", edit(CUSTOMER, "  tenant:\n", "  reseller: Northwind Traders IT\n  tenant:\n"))
    assert repo.problems() == [
        "customers/c.yaml:21:13: spec.reseller: only an indirect provider sells through resellers, and "
        'partner.model in cspsync.yaml is "direct"; remove it'
    ]


def test_a_known_reseller_is_fine(repo: Repo) -> None:
    repo.write("customers/c.yaml", edit(CUSTOMER, "  tenant:\n", "  reseller: Northwind Traders IT\n  tenant:\n"))
    assert repo.problems() == []


HUNGARY = {
    "country: GB": "country: HU",
    "culture: en-GB": "culture: hu-HU",
    "language: en": "language: hu",
    'phone: "+44 117 496 0123"': 'phone: "+36 1 234 5678"',
}


def test_registration_number_and_phone_are_required_in_hungary(repo: Repo) -> None:
    repo.write("cspsync.yaml", edit(CONFIG, "markets: [GB, IE, NO, DE, NL, FR]", "markets: [GB, HU]"))
    text = CUSTOMER
    for old, new in HUNGARY.items():
        text = edit(text, old, new)
    repo.write(
        "customers/ok.yaml",
        edit(text, "    culture: hu-HU\n", '    culture: hu-HU\n    organizationRegistrationNumber: "01-09-123456"\n'),
    )
    missing = edit(text, '      phone: "+36 1 234 5678"\n', "")
    missing = edit(missing, "name: contoso-bikes", "name: contoso-hu")
    missing = edit(missing, "name: Contoso Bikes Ltd", "name: Contoso Bikes Kft")
    repo.write("customers/missing.yaml", edit(missing, "domainPrefix: contosobikes", "domainPrefix: contosohu"))
    assert repo.problems() == [
        'customers/missing.yaml:6:3: spec.company: missing required field "organizationRegistrationNumber": '
        "Partner Center requires it for customers in HU",
        'customers/missing.yaml:16:5: spec.company.primaryContact: missing required field "phone": Partner '
        "Center requires it for customers in HU",
    ]


def test_value_checks() -> None:
    assert email_problem("amelia.hughes@contosobikes.co.uk") is None
    assert email_problem("it@support.microsoft.com") == (
        "is a Microsoft address, which Partner Center refuses; use the customer's own address"
    )
    assert phone_problem("+47 22 12 34 56", "NO") is None
    assert phone_problem("+47 22 12 34 56", None) is None
    assert phone_problem("+44 117 496 0123", "NO") == (
        "is a phone number of GB (+44), but the company's address is in NO"
    )
    assert culture_language("nb-NO") == "nb"
    assert culture_language("en-ZZ") is None  # babel would quietly read en_US
    assert culture_language("no-NO") is None


def test_recipients_are_parsed_and_secrets_never_repeated() -> None:
    demo = "age1lpkwk9hjx7l8vyfmkepfmmcnrulum6xhskmhqe8q0vnxuzgteqxs0y05cf"
    assert recipient_problem(demo) is None
    secret = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"
    message = recipient_problem(secret)
    assert message == (
        "is an age secret key: list the public key (age1...) and keep the secret key out of the repository"
    )
    assert recipient_problem("age1notakey") == "is not a valid age public key (invalid Bech32 encoding)"
    assert recipient_problem("hello") == (
        "must be an age public key (age1...) or an SSH public key (ssh-ed25519 ..., ssh-rsa ...)"
    )
    assert recipient_problem("ssh-ed25519 AAAA") is not None


_ATOM = st.text(alphabet=string.ascii_letters + string.digits + "_+-", min_size=1, max_size=14)
_LABEL = st.lists(
    st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=9), min_size=1, max_size=3
).map("-".join)
_TLD = st.one_of(
    st.text(alphabet=string.ascii_lowercase, min_size=2, max_size=6),
    st.sampled_from(["local", "test", "invalid", "onion", "arpa", "localhost", "example"]),
)


@st.composite
def plain_looking_email(draw: st.DrawFn) -> str:
    local = ".".join(draw(st.lists(_ATOM, min_size=1, max_size=6)))
    domain = ".".join([*draw(st.lists(_LABEL, min_size=1, max_size=3)), draw(_TLD)])
    return f"{local}@{domain}"


@settings(max_examples=300, deadline=None)
@given(address=plain_looking_email())
def test_the_email_shortcut_only_takes_addresses_email_validator_accepts(address: str) -> None:
    assert _PLAIN_EMAIL.fullmatch(address)
    if plain_email(address):
        validate_email(address, check_deliverability=False)  # raises if the shortcut was wrong


def test_the_email_shortcut_leaves_the_rest_to_email_validator() -> None:
    assert plain_email("amelia.hughes@contosobikes.co.uk")
    assert not plain_email("it@printer.local")  # special-use: email-validator refuses it
    assert not plain_email("Amelia@ContosoBikes.co.uk")  # upper-case domain: email-validator normalises
    assert not plain_email("amélie@contoso.fr")
    assert not plain_email("a" * 65 + "@contoso.fr")
    assert email_problem("it@printer.local") == (
        "is not a valid email address: The part after the @-sign is a special-use or reserved name that cannot be "
        "used with email."
    )


def test_the_email_shortcut_knows_every_name_email_validator_reserves() -> None:
    assert list(SPECIAL_USE_DOMAINS) == email_validator.SPECIAL_USE_DOMAIN_NAMES
    assert not plain_email("it@printer.onion")
    assert not plain_email("root@localhost.test")
    assert plain_email("it@testing.co.uk")  # a suffix of a label is not the name


def test_a_second_azure_plan_is_an_error(repo: Repo) -> None:
    second = "      offer: azure-plan\n    - friendlyName: fabrikam-contosobikes-azure2\n      offer: azure-plan\n"
    repo.write("customers/c.yaml", edit(CUSTOMER, "      offer: azure-plan\n", second))
    assert repo.problems() == [
        "customers/c.yaml:34:14: spec.subscriptions[1].offer: is a second Azure plan (spec.subscriptions[0] is one): "
        "Partner Center allows one Azure plan per customer; further Azure subscriptions are created under that plan",
    ]


def test_a_name_has_a_letter_or_digit_exactly_when_python_says_so() -> None:
    differ = [c for c in map(chr, range(sys.maxunicode + 1)) if (_ALPHANUMERIC.match(c) is not None) != c.isalnum()]
    assert differ == []


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


_YAMLISH = st.sampled_from(["a", " ", "  ", "\n", "\r\n", "\r", "\t", '"', "'", "\\", "n", "e", "|", ">", "- ", ": "])


@settings(max_examples=600, deadline=None)
@given(pieces=st.lists(_YAMLISH, max_size=24))
def test_no_value_gets_a_control_character_past_the_quick_look(pieces: list[str]) -> None:
    text = "k: " + "".join(pieces)
    document = parse_text("f.yaml", text)
    if not isinstance(document, Document):
        return
    if any(_CONTROL.search(s) for s in _strings(document.data)):
        assert control_character_findings(text, document.data), repr(text)
