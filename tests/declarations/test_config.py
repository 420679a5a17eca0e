"""cspsync.yaml: where it is found, what it must hold, and that customer files are checked regardless."""

from __future__ import annotations

from pathlib import Path

import pytest

from cspsync.declarations import find_config, load_config, validate
from cspsync.errors import ConfigError, DeclarationError

from .support import CONFIG, CUSTOMER, EXAMPLES, Repo, edit

DEMO_KEY = "age1lpkwk9hjx7l8vyfmkepfmmcnrulum6xhskmhqe8q0vnxuzgteqxs0y05cf"


def test_the_example_config_loads() -> None:
    config = load_config(EXAMPLES / "cspsync.yaml")
    assert config.partner.model == "indirect-provider"
    assert [r.name for r in config.partner.resellers] == ["Northwind Traders IT"]
    assert config.markets == ["GB", "IE", "NO", "DE", "NL", "FR"]


def test_found_next_to_the_declarations_or_above(repo: Repo) -> None:
    repo.write("customers/deep/c.yaml", CUSTOMER)
    assert find_config([Path("customers")]) == Path("cspsync.yaml")
    assert find_config([Path("customers/deep/c.yaml")]) == Path("cspsync.yaml")
    assert find_config([]) == Path("cspsync.yaml")


def test_no_config_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "customers").mkdir()
    with pytest.raises(ConfigError) as caught:
        find_config([Path("customers")])
    assert caught.value.message.startswith("no cspsync.yaml in customers or any folder above it")
    assert caught.value.hint == "create one (see examples/cspsync.yaml) or name it with --config FILE"


def test_a_named_config_must_exist(repo: Repo) -> None:
    with pytest.raises(ConfigError) as caught:
        validate([Path(".")], config_path=Path("other.yaml"))
    assert caught.value.message == "config file other.yaml does not exist"


def test_config_problems_are_located_and_customers_still_checked(repo: Repo) -> None:
    config = edit(CONFIG, "markets: [GB, IE, NO, DE, NL, FR]", "markets: [GB, UK, GB, XX]")
    config = edit(config, "subscriptionPattern: '^[a-z0-9]+-[a-z0-9]+-[a-z0-9-]{2,24}$'", "subscriptionPattern: '[a-z'")
    config = edit(config, f"    - {DEMO_KEY}\n", f"    - {DEMO_KEY}\n    - age1notakey\n    - hello\n")
    repo.write("cspsync.yaml", config)
    repo.write("customers/c.yaml", edit(CUSTOMER, "quantity: 12", "quantity: 0"))
    assert repo.problems() == [
        'cspsync.yaml:15:15: markets[1]: is not an ISO 3166-1 country code; did you mean "GB"?',
        "cspsync.yaml:15:19: markets[2]: GB is listed twice",
        "cspsync.yaml:15:23: markets[3]: is not an ISO 3166-1 alpha-2 country code",
        "cspsync.yaml:18:24: naming.subscriptionPattern: is not a valid regular expression: unterminated "
        "character set at position 0",
        "cspsync.yaml:23:7: credentials.ageRecipients[1]: is not a valid age public key (invalid Bech32 encoding)",
        "cspsync.yaml:24:7: credentials.ageRecipients[2]: must be an age public key (age1...) or an SSH public key "
        "(ssh-ed25519 ..., ssh-rsa ...)",
        "customers/c.yaml:37:17: spec.subscriptions[1].quantity: must be at least 1 (got 0)",
    ]


def test_an_invalid_config_skips_only_the_rules_that_need_it(repo: Repo) -> None:
    repo.write("cspsync.yaml", edit(CONFIG, "  tenantId: 6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b\n", ""))
    repo.write("customers/c.yaml", edit(CUSTOMER, "country: GB", "country: FI"))
    assert repo.problems() == [
        'cspsync.yaml:6:1: partner: missing required field "tenantId"',
        "customers/c.yaml:20:14: spec.company.primaryContact.phone: is a phone number of GB (+44), but the "
        "company's address is in FI",
    ]


def test_resellers(repo: Repo) -> None:
    reseller = "    - name: Northwind Traders IT\n      tenantId: 9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d\n"
    again = (
        "    - name: northwind traders it\n      tenantId: 9B8A7C6D-5E4F-4A3B-9C2D-1E0F9A8B7C6D\n"
        "    - name: Fabrikam Itself\n      tenantId: 6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b\n"
    )
    repo.write("cspsync.yaml", edit(CONFIG, reseller, reseller + again))
    repo.write("customers/c.yaml", CUSTOMER)
    assert repo.problems() == [
        "cspsync.yaml:14:13: partner.resellers[1].name: is already the name of partner.resellers[0]",
        "cspsync.yaml:15:17: partner.resellers[1].tenantId: is already the tenant of partner.resellers[0]",
        "cspsync.yaml:17:17: partner.resellers[2].tenantId: is the partner's own tenant",
    ]


def test_load_config_raises_with_every_problem(repo: Repo) -> None:
    repo.write("cspsync.yaml", edit(CONFIG, "target: emulator", "target: production"))
    with pytest.raises(DeclarationError) as caught:
        load_config(Path("cspsync.yaml"))
    assert [str(p) for p in caught.value.problems] == [
        'cspsync.yaml:24:9: target: must be one of "emulator", "partner-center", "partner-center-sandbox" '
        '(got "production")'
    ]
    assert str(caught.value) == (
        "1 problem in 1 file:\n"
        'cspsync.yaml:24:9: target: must be one of "emulator", "partner-center", "partner-center-sandbox" '
        '(got "production")'
    )


def test_the_config_file_is_not_a_customer_file(repo: Repo) -> None:
    repo.write("c.yaml", CUSTOMER)
    repo.write(".github/workflows/ci.yml", "on: push\n")
    repo.write(".cspsync/state.yaml", "x: 1\n")
    assert repo.problems(".") == []


def test_a_setting_written_in_cspsync_yaml_is_told_from_its_default() -> None:
    """The invitation template uses a written reminder setting and fills one left out (model_fields_set)."""
    from cspsync.declarations.models import Invitations

    assert "reminderAfterDays" in Invitations.model_validate({"reminderAfterDays": 7}).model_fields_set
    assert "reminderAfterDays" not in Invitations.model_validate({}).model_fields_set
