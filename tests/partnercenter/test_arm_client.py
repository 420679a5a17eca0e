"""The Azure Resource Manager client: its host and token, the alias create with its polls, errors."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from cspsync.errors import PartnerCenterError
from cspsync.partnercenter import Limits, PartnerCenterClient, RetryPolicy
from cspsync.partnercenter.arm import alias_name

from .fakes import BASE, FakeClock, RecordingTokens

SCOPE = "/providers/Microsoft.Billing/billingAccounts/a:b_2019-05-31/customers/c"


def _client(handler: Callable[[httpx.Request], httpx.Response], clock: FakeClock) -> PartnerCenterClient:
    return PartnerCenterClient(
        base_url=BASE,
        transport=httpx.MockTransport(handler),
        tokens=RecordingTokens("partner-center-token"),
        arm_tokens=RecordingTokens("arm-token"),
        limits=Limits(requests_per_second=1000, burst=1000),
        retry=RetryPolicy(max_attempts=3),
        clock=clock,
        sleep=clock.sleep,
    )


def _alias(state: str, subscription_id: str | None = "sub-1") -> dict[str, object]:
    return {"name": "a", "properties": {"provisioningState": state, "subscriptionId": subscription_id}}


def test_a_202_alias_is_polled_after_retry_after_on_arms_host_with_arms_token() -> None:
    seen: list[httpx.Request] = []
    answers = iter(
        [
            httpx.Response(202, json=_alias("Accepted"), headers={"Retry-After": "7"}),
            httpx.Response(200, json=_alias("Accepted"), headers={"Retry-After": "3"}),
            httpx.Response(200, json=_alias("Succeeded")),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return next(answers)

    clock = FakeClock()
    with _client(handler, clock) as client:
        assert client.arm.create_subscription("alias-1", "prod", SCOPE) == "sub-1"
    assert [(r.method, r.url.host, r.url.path) for r in seen] == [
        ("PUT", "management.azure.com", "/providers/Microsoft.Subscription/aliases/alias-1"),
        ("GET", "management.azure.com", "/providers/Microsoft.Subscription/aliases/alias-1"),
        ("GET", "management.azure.com", "/providers/Microsoft.Subscription/aliases/alias-1"),
    ]
    assert {r.url.params["api-version"] for r in seen} == {"2021-10-01"}
    assert {r.headers["Authorization"] for r in seen} == {"Bearer arm-token"}
    body = seen[0].read().decode()
    assert '"displayName":"prod"' in body.replace(" ", "") and '"workload":"Production"' in body.replace(" ", "")
    assert clock.sleeps == [7.0, 3.0]  # Retry-After before each poll


def test_a_201_that_succeeded_is_not_polled_and_a_failed_alias_is_an_error() -> None:
    clock = FakeClock()
    with _client(lambda r: httpx.Response(201, json=_alias("Succeeded", "sub-2")), clock) as client:
        assert client.arm.create_subscription("alias-2", "prod", SCOPE) == "sub-2"
    failing = _client(lambda r: httpx.Response(200, json=_alias("Failed", None)), clock)
    with failing as client, pytest.raises(PartnerCenterError, match="did not create Azure subscription 'prod': failed"):
        client.arm.create_subscription("alias-3", "prod", SCOPE)


def test_the_alias_name_is_the_same_for_the_same_customer_and_name() -> None:
    one = alias_name("7E2F4B6C-8A0D-4C2E-9F1B-3D5A7C9E0F12", "fabrikam-adatum-azure-prod")
    assert one == alias_name("7e2f4b6c-8a0d-4c2e-9f1b-3d5a7c9e0f12", " Fabrikam-Adatum-Azure-Prod ")
    assert one != alias_name("7e2f4b6c-8a0d-4c2e-9f1b-3d5a7c9e0f12", "fabrikam-adatum-azure-dev")
