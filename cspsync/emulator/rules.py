"""How the emulated Partner Center behaves in time: delays and limits that the doc pages describe.

Defaults keep the emulator quick for demos and tests (orders appear at once, PATCH answers 200); a test
or a rehearsal turns on the realistic values. The doc pages behind each: "Create an Azure plan" (an order
may take up to 15 minutes to appear), "Change the quantity of a subscription" (202 with a Location header
when the update takes longer), "Retrieve the validation status of a customer", the new-commerce
cancellation policy (at most 1,200 updates of one subscription), "Test and debug" (the integration
sandbox's limits).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from cspsync.errors import ConfigError

Profile = Literal["production", "sandbox"]


@dataclass(frozen=True)
class Rules:
    """Time-based behaviour; all durations are on the emulator's clock."""

    #: how long an order and its subscriptions stay out of the lists after checkout (pending)
    order_delay: timedelta = timedelta(0)
    #: answer every successful subscription PATCH with 202 Accepted, a Location header and no body
    accept_patches: bool = False
    #: how long a new customer's account validation stays UnderReview
    review_period: timedelta = timedelta(hours=1)
    #: how long an Education or GCC qualification stays InReview before it is Approved
    vetting_period: timedelta = timedelta(days=2)
    #: updates one subscription accepts before Partner Center refuses more
    max_updates: int = 1200
    #: ``sandbox``: the integration sandbox's limits (75 customers, 5 subscriptions each, 25 licences per
    #: subscription, no invitations, customers can be deleted)
    profile: Profile = "production"


SANDBOX_CUSTOMERS = 75
SANDBOX_SUBSCRIPTIONS = 5
SANDBOX_LICENCES = 25
SANDBOX_AZURE_PLANS = 10


#: ``CSPSYNC_EMULATOR_*`` variables for the rules of an emulator that cspsync opens itself
ENVIRONMENT_VARIABLES = {
    "CSPSYNC_EMULATOR_ORDER_DELAY_SECONDS": "order_delay",
    "CSPSYNC_EMULATOR_ACCEPT_PATCHES": "accept_patches",
    "CSPSYNC_EMULATOR_PROFILE": "profile",
}


def rules_from_environment(env: Mapping[str, str]) -> Rules:
    """Rules named by ``CSPSYNC_EMULATOR_*`` variables (see ENVIRONMENT_VARIABLES); defaults otherwise."""
    settings: dict[str, Any] = {}
    delay = env.get("CSPSYNC_EMULATOR_ORDER_DELAY_SECONDS", "").strip()
    if delay:
        try:
            settings["order_delay"] = timedelta(seconds=float(delay))
        except ValueError:
            raise ConfigError(f"CSPSYNC_EMULATOR_ORDER_DELAY_SECONDS={delay!r} is not a number.") from None
    accept = env.get("CSPSYNC_EMULATOR_ACCEPT_PATCHES", "").strip().lower()
    if accept:
        settings["accept_patches"] = accept in ("1", "true", "yes")
    profile = env.get("CSPSYNC_EMULATOR_PROFILE", "").strip().lower()
    if profile:
        if profile not in ("production", "sandbox"):
            raise ConfigError(f"CSPSYNC_EMULATOR_PROFILE={profile!r} must be production or sandbox.")
        settings["profile"] = profile
    return Rules(**settings)
