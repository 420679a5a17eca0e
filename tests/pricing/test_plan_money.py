"""The money pass on a plan: figures of an order and of added seats, the decrease window, totals, budget."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from decimal import Decimal
from typing import Any

import pytest

from cspsync.declarations import Repository
from cspsync.declarations.pricebooks import OfferKey
from cspsync.errors import ApplyError, RequestRejectedError
from cspsync.observe.state import Observation, ObservedCustomer, ObservedSubscription
from cspsync.plan import payloads
from cspsync.plan.builder import Builder
from cspsync.plan.costs import SeatChange, commitment
from cspsync.plan.digest import actions_digest
from cspsync.plan.model import Action, CustomerPlan, Kind, Plan, make_action
from cspsync.plan.money import price_plan
from cspsync.plan.subscriptions import plan_subscription
from cspsync.plan.totals import refuse_over_budget
from cspsync.pricing.pricesheet import PriceSheetIndex, parse_rows
from cspsync.render import render

from .conftest import row, sheet_text

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
SUB_ID = "5d0c2f1a-0000-4000-8000-000000000001"


class Sheet:
    """Costs from one GB price sheet in the published format."""

    def __init__(self) -> None:
        self.text = sheet_text(
            [
                row("CFQ7TTC0LCHC", "0002", "P1Y", "Monthly", "18.10"),  # Microsoft 365 Business Premium
                row("CFQ7TTC0LFLX", "0001", "P1Y", "Annual", "355.20"),  # Microsoft 365 E3, 29.60 a month
            ]
        )
        self.asked: list[tuple[str, set[OfferKey]]] = []

    def index(self, market: str, wanted: Collection[OfferKey]) -> PriceSheetIndex:
        self.asked.append((market, set(wanted)))
        return parse_rows(self.text.splitlines(keepends=True), market, wanted)


def _plan(*actions: Action, created_at: dt.datetime = NOW) -> Plan:
    return Plan(
        cspsync_version="0.1.0", created_at=created_at, target="emulator",
        partner_tenant_id="6f1d2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b", correlation_id="c0ffee00-0000-4000-8000-000000000000",
        scope=("examples/customers/contoso-bikes.yaml",), observed_fingerprint="sha256:0",
        declarations_fingerprint="sha256:0",
        customers=(CustomerPlan(name="contoso-bikes", file="examples/customers/contoso-bikes.yaml",
                                company="Contoso Bikes Ltd", mode="create", state="linked",
                                actions=tuple(a.id for a in actions)),),
        actions=actions,
    )  # fmt: skip


def _action(kind: Kind, subject: str, payload: payloads.Payload, status: str = "ready") -> Action:
    return make_action(
        kind, payload, id=f"contoso-bikes/{kind.value}/{subject}", customer="contoso-bikes",
        summary=f"{kind.value} {subject}", status=status,
    )  # fmt: skip


ORDER = _action(
    Kind.ORDER_SUBSCRIPTION,
    "fabrikam-contosobikes-m365bp",
    payloads.OrderSubscription(
        friendly_name="fabrikam-contosobikes-m365bp", product_id="CFQ7TTC0LCHC", sku_id="0002", quantity=12,
        term_duration="P1Y", billing_cycle="monthly", auto_renew=True, country="GB", azure_plan=False,
    ),
)  # fmt: skip
AZURE = _action(
    Kind.ORDER_SUBSCRIPTION,
    "fabrikam-contosobikes-azure",
    payloads.OrderSubscription(
        friendly_name="fabrikam-contosobikes-azure", product_id="DZH318Z0BPS6", sku_id="0001", quantity=1,
        term_duration=None, billing_cycle="monthly", auto_renew=True, country="GB", azure_plan=True,
    ),
)  # fmt: skip


def _seats(quantity: int) -> Action:
    payload = payloads.UpdateSubscription(
        subscription_id=SUB_ID,
        friendly_name="fabrikam-contosobikes-m365bp",
        set=payloads.SubscriptionFields(quantity=quantity),
    )
    return _action(Kind.UPDATE_SUBSCRIPTION, "fabrikam-contosobikes-m365bp", payload)


def _observed(quantity: int = 12, *, until: str | None = None, refundable: Any = None) -> Observation:
    subscription = ObservedSubscription(
        id=SUB_ID, friendly_name="fabrikam-contosobikes-m365bp", offer_id="CFQ7TTC0LCHC:0002:CFQ7TTC0J1FX",
        quantity=quantity, status="active", auto_renew=True, billing_cycle="monthly", term="P1Y",
        cancellation_allowed_until=until, commitment_end="2027-03-31T00:00:00+00:00", refundable=refundable,
    )  # fmt: skip
    customer = ObservedCustomer(
        id="c1", domain="contosobikes.onmicrosoft.com", company_name="Contoso Bikes Ltd", subscriptions=(subscription,)
    )
    return Observation(customers={"contoso-bikes": customer})


def test_an_order_shows_monthly_and_term_totals_at_price_and_cost_and_its_commitment(repo: Repository) -> None:
    sheet = Sheet()
    priced = price_plan(_plan(ORDER, AZURE), repo, repo.customers, Observation(), sheet)
    money = priced.action(ORDER.id).money
    assert money is not None
    # cost 18.10 a seat (price sheet); price 21.50 a seat (retail-gbp's fixed price for this offer)
    assert (money.currency, money.seats, money.unit_cost, money.unit_price) == ("GBP", 12, Decimal("18.10"),
                                                                                 Decimal("21.50"))  # fmt: skip
    assert (money.monthly_price, money.monthly_cost, money.margin, money.margin_percent) == (
        Decimal("258.00"), Decimal("217.20"), Decimal("40.80"), Decimal("15.8"),
    )  # fmt: skip
    assert (money.term_price, money.term_cost) == (Decimal("3096.00"), Decimal("2606.40"))
    assert money.commitment is not None
    assert money.commitment.months == 12
    assert money.commitment.ends_on == dt.date(2027, 11, 25)
    assert money.commitment.cancellable_until == dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)  # 168 hours
    azure = priced.action(AZURE.id).money
    assert azure is not None and azure.consumption and azure.monthly_cost is None
    assert sheet.asked == [("GB", {OfferKey("CFQ7TTC0LCHC", "0002", "P1Y", "monthly")})]


def test_a_plan_read_before_it_was_priced_shows_the_priced_actions(repo: Repository) -> None:
    """Renderers look actions up by id; a plan looked up before the money pass (or any copy with other
    actions) answered with the actions it was copied from, so the priced plan printed no money."""
    unpriced = _plan(ORDER)
    assert unpriced.action(ORDER.id).money is None and unpriced.adoptions == () and unpriced.stuck == ()
    priced = price_plan(unpriced, repo, repo.customers, Observation(), Sheet())
    money = priced.action(ORDER.id).money
    assert money is not None and money.monthly_price == Decimal("258.00")
    assert "258.00" in render(priced, "text")
    blocked = priced.model_copy(update={"actions": (ORDER.model_copy(update={"status": "blocked", "reason": "x"}),)})
    assert [a.id for a in blocked.stuck] == [ORDER.id] and blocked.action(ORDER.id).status == "blocked"


def test_added_seats_cost_what_is_left_of_the_term(repo: Repository) -> None:
    priced = price_plan(_plan(_seats(15)), repo, repo.customers, _observed(12), Sheet())
    money = priced.action(_seats(15).id).money
    assert money is not None
    assert (money.seats, money.monthly_price, money.monthly_cost, money.margin) == (
        3, Decimal("64.50"), Decimal("54.30"), Decimal("10.20"),
    )  # fmt: skip
    # 126 days from 26 November to 31 March inclusive: 126 x 12 / 365 = 4.1425 months
    assert money.commitment is not None
    assert (money.commitment.months, money.commitment.ends_on) == (Decimal("4.14"), dt.date(2027, 3, 31))
    assert (money.term_price, money.term_cost) == (Decimal("267.19"), Decimal("224.94"))
    customer = priced.customers[0].money
    assert customer is not None
    assert (customer.monthly_price, customer.monthly_cost, customer.added_monthly_cost) == (
        Decimal("64.50"), Decimal("54.30"), Decimal("54.30"),
    )  # fmt: skip


WINDOW_END = "2026-12-03T10:00:00+00:00"


def _planned(repo: Repository, observation: Observation, now: dt.datetime, **declared: Any) -> Action:
    """What the planner makes of the Business Premium subscription declared with ``declared`` changes."""
    item = next(d for d in repo.customers if d.customer.metadata.name == "contoso-bikes")
    sub = next(s for s in item.customer.spec.subscriptions if s.friendlyName == "fabrikam-contosobikes-m365bp")
    opt_in = {"allowQuantityDecrease": True, "allowCancel": True}
    config = repo.config.model_copy(update={"destructive": repo.config.destructive.model_copy(update=opt_in)})
    observed = observation.customers["contoso-bikes"]
    assert observed is not None and observed.subscriptions is not None
    b = Builder("contoso-bikes")
    plan_subscription(b, sub.model_copy(update=declared), observed.subscriptions[0], [], config, "GB", now)
    (action,) = b.actions
    return action


@pytest.mark.parametrize(
    ("created_at", "blocked"),
    [
        (dt.datetime(2026, 12, 3, 9, 59, 59, tzinfo=dt.UTC), False),
        (dt.datetime(2026, 12, 3, 10, 0, 0, tzinfo=dt.UTC), False),
        (dt.datetime(2026, 12, 3, 10, 0, 0, 1, tzinfo=dt.UTC), True),
    ],
)
def test_the_decrease_window_flips_exactly_at_its_boundary(
    repo: Repository, created_at: dt.datetime, blocked: bool
) -> None:
    observed = _observed(12, until=WINDOW_END)
    planned = _planned(repo, observed, created_at, quantity=10)
    priced = price_plan(_plan(planned, created_at=created_at), repo, repo.customers, observed, Sheet())
    action = priced.action(planned.id)
    if not blocked:
        assert (action.symbol.value, action.status) == ("~", "ready")
        assert action.money is not None and action.money.monthly_cost == Decimal("-36.20")
        assert action.money.note == "can still be reduced until 2026-12-03 10:00 UTC"
        return
    # past the window: the decrease is scheduled for renewal instead (scheduledNextTermInstructions)
    assert (action.symbol.value, action.status) == ("~", "ready")
    assert action.id.endswith("/next-term/quantity")
    assert "at renewal on 2027-04-01" in action.summary


def test_seats_added_later_open_their_own_window(repo: Repository) -> None:
    """Partner Center's refundableQuantity: 3 seats added on 1 December can go until 8 December, the rest not."""
    observed = _observed(15, until=WINDOW_END, refundable=((3, "2026-12-08T09:00:00+00:00"),))
    when = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)
    assert _planned(repo, observed, when, quantity=12).status == "ready"
    action = _planned(repo, observed, when, quantity=11)  # 4 seats: only 3 are inside a window
    assert action.id.endswith("/next-term/quantity") and action.status == "ready"
    assert isinstance(action.payload, payloads.UpdateSubscription)
    assert action.payload.set.next_term == payloads.NextTermFields(quantity=11)


def test_a_cancellation_after_its_window_is_impossible(repo: Repository) -> None:
    late = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)
    action = _planned(repo, _observed(12, until=WINDOW_END), late, status="cancelled", protected=False)
    assert (action.symbol.value, action.status) == ("!", "blocked")
    assert action.reason is not None and action.reason.startswith(
        "impossible: new commerce allows a cancellation only within 168 hours (7 days) of purchase or renewal; "
        "the window closed on 2026-12-03 10:00 UTC; set autoRenew: false"
    )


def test_an_unreadable_price_sheet_leaves_costs_unknown_never_zero(repo: Repository) -> None:
    class Broken:
        def index(self, market: str, wanted: Collection[OfferKey]) -> PriceSheetIndex:
            raise RequestRejectedError("Partner Center refused GET /v1.0/sales/pricesheets: HTTP 403")

    priced = price_plan(_plan(ORDER), repo, repo.customers, Observation(), Broken())
    money = priced.action(ORDER.id).money
    assert money is not None
    assert (money.monthly_cost, money.monthly_price) == (None, Decimal("258.00"))
    assert money.note == "the price sheet for GB could not be read"
    assert priced.money is not None
    assert priced.money.unknown == ("price sheet for GB: Partner Center refused GET /v1.0/sales/pricesheets: HTTP 403",)
    assert priced.money.totals[0].unknown == 1
    # cspsync.yaml of the examples has a GBP ceiling: a plan whose cost is unknown cannot show it is under
    assert priced.over_budget


MONTHLY_ORDER = _action(
    Kind.ORDER_SUBSCRIPTION,
    "fabrikam-contosobikes-m365bp",
    payloads.OrderSubscription(
        friendly_name="fabrikam-contosobikes-m365bp", product_id="CFQ7TTC0LCHC", sku_id="0002", quantity=5000,
        term_duration="P1M", billing_cycle="monthly", auto_renew=True, country="GB", azure_plan=False,
    ),
)  # fmt: skip


def test_an_order_missing_from_a_price_sheet_that_was_read_cannot_be_shown_under_budget(repo: Repository) -> None:
    """5000 seats of a way of buying the sheet does not list: its cost is unknown, never GBP 0.00 under the ceiling."""
    priced = price_plan(_plan(MONTHLY_ORDER), repo, repo.customers, Observation(), Sheet())
    assert priced.money is not None and priced.over_budget
    checks = {(check.scope, check.customer): check for check in priced.money.budget}
    for check in (checks["plan", None], checks["customer", "contoso-bikes"]):
        assert (check.over, check.added) == (True, None)
        assert [(u.action, u.reason) for u in check.unknown] == [
            (MONTHLY_ORDER.id, "CFQ7TTC0LCHC:0002 P1M monthly is not in the market's price sheet")
        ]
    text = render(priced, "text")
    assert (
        "OVER BUDGET: the plan cannot be shown to stay under GBP 2,000.00/month (budget.perPlan in cspsync.yaml): "
        f"the cost of {MONTHLY_ORDER.id} is unknown (CFQ7TTC0LCHC:0002 P1M monthly is not in the market's price "
        "sheet)"
    ) in text
    assert "within budget" not in text
    with pytest.raises(ApplyError, match="over budget"):
        refuse_over_budget(priced, allowed=False)


def test_an_azure_plan_is_billed_by_consumption_and_stays_within_budget(repo: Repository) -> None:
    priced = price_plan(_plan(AZURE), repo, repo.customers, Observation(), Sheet())
    assert priced.money is not None and not priced.over_budget
    assert all(not check.unknown for check in priced.money.budget)
    refuse_over_budget(priced, allowed=False)


def test_seats_added_the_day_a_monthly_subscription_was_bought_cost_its_month() -> None:
    """A month is the term's own days: by 365/12 days, one seat added minutes after a P1M order of 3 December
    (its term ends 2 January, 31 days) committed 1.02 months, more than the order's whole month."""
    key = OfferKey("CFQ7TTC0LH18", "0001", "P1M", "monthly")
    now = dt.datetime(2026, 12, 3, 9, 16, tzinfo=dt.UTC)
    bought = commitment(SeatChange(key, 8, 8, True), now)
    assert bought is not None and bought.ends_on == dt.date(2027, 1, 2)
    added = commitment(SeatChange(key, 1, 9, False, term_end=bought.ends_on), now)
    assert added is not None and bought.months == added.months == Decimal(1)
    # 16 days left (3 to 18 December) of a term of 30 (19 November to 18 December)
    late = commitment(SeatChange(key, 1, 9, False, term_end=dt.date(2026, 12, 18)), now)
    assert late is not None and late.months == Decimal("0.53")


def test_a_priced_plan_carries_the_digest_of_its_priced_actions_not_the_one_it_was_given(repo: Repository) -> None:
    unpriced = _plan(ORDER, AZURE)
    given = unpriced.model_copy(update={"actions_digest": unpriced.digest})
    priced = price_plan(given, repo, repo.customers, Observation(), Sheet())
    assert priced.actions != given.actions  # money on the order
    assert json.loads(priced.to_json())["actions_digest"] == actions_digest(priced.actions) != given.digest
