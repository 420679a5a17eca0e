"""What many customers' billing profiles repeat is held once in an observation of thousands of them."""

from __future__ import annotations

import json

from cspsync.observe.read import observed_billing
from cspsync.partnercenter.models import Address, BillingProfile


def _profile(company: str) -> BillingProfile:
    # each parsed from its own response body, as the client parses them: equal values, separate objects
    address = '"defaultAddress": {"country": "GB", "city": "Leeds"}'
    body = json.loads(f'{{"companyName": "{company}", "culture": "en-GB", "language": "en", {address}}}')
    return BillingProfile.model_validate(body)


def test_a_market_culture_language_and_city_are_one_object_across_customers() -> None:
    first, second = observed_billing(_profile("Contoso")), observed_billing(_profile("Fabrikam"))
    assert first["culture"] is second["culture"] and first["language"] is second["language"]
    assert first["defaultAddress"]["country"] is second["defaultAddress"]["country"] == "GB"
    assert first["defaultAddress"]["city"] is second["defaultAddress"]["city"] == "Leeds"
    assert first["companyName"] == "Contoso" and second["companyName"] == "Fabrikam"
    assert observed_billing(BillingProfile(default_address=Address()))["culture"] is None
