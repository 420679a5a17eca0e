"""Pricing checks ``cspsync validate`` runs: pricebook files, and what customer files say about money.

Every problem is located (file, line, column) and says what to change: a pricebook a customer names must
exist, its currency must be the customer's, the customer's currency must be the one Partner Center bills
its market in, and every license offer the customer declares must be priced by a rule or a default markup.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from cspsync.currency import is_currency, market_currency, minor_digits
from cspsync.declarations.load import Document
from cspsync.declarations.models import CustomerFile, LicenseOffer
from cspsync.declarations.pricebooks import OfferKey, Pricebook, PricebookFile, parse_pricebook, pricebook_files
from cspsync.declarations.problems import Finding, JsonPath, Problem, did_you_mean


@dataclass(frozen=True)
class _Book:
    document: Document
    model: PricebookFile
    path: Path


@dataclass(frozen=True)
class Pricing:
    """A repository's valid pricebooks, which customer files are checked against one by one."""

    root: Path
    books: dict[str, _Book]
    broken: frozenset[str]  # names of pricebooks whose file has problems of its own

    def findings(self, customer: CustomerFile) -> list[Finding]:
        """What ``customer`` says about money that is wrong (nothing more when its pricebook is broken: the
        pricebook's own problems say what to fix)."""
        if customer.spec.pricebook in self.broken:
            return []
        return list(_customer_findings(customer, self.books, self.root))


def load_pricing(root: Path) -> tuple[Pricing, list[Problem]]:
    """The pricebooks of ``root/pricebooks/*.yaml`` and the problems in those files."""
    problems: list[Problem] = []
    books: dict[str, _Book] = {}
    broken: set[str] = set()
    claimed: dict[str, Document] = {}  # name -> the first file that has it
    for path in pricebook_files(root):
        document, model, found = parse_pricebook(path, str(path))
        problems += found
        if document is None or model is None:
            name = document.data.get("name") if document is not None else None
            broken.update([name] if isinstance(name, str) else [])
            continue
        findings = list(_pricebook_findings(model))
        first = claimed.setdefault(model.name, document)
        if first is not document:
            findings.append(Finding(("name",), f"is already the name of the pricebook in {first.where(('name',))}"))
        elif findings:
            broken.add(model.name)
        else:
            books[model.name] = _Book(document, model, path)
        problems += [document.problem(f) for f in findings]
    return Pricing(root, books, frozenset(broken)), problems


def _pricebook_findings(book: PricebookFile) -> Iterator[Finding]:
    if not is_currency(book.currency):
        yield Finding(("currency",), f"{book.currency} is not an ISO 4217 currency code")
        return
    digits = minor_digits(book.currency)
    seen: dict[tuple[str | None, ...], int] = {}
    for index, rule in enumerate(book.rules):
        path: JsonPath = ("rules", index)
        earlier = seen.setdefault(rule.selector, index)
        if earlier != index:
            yield Finding(
                path,
                f"selects the same offers as rules[{earlier}] ({rule.describe()}); keep one of them",
            )
        price = rule.monthlyPrice
        if price is not None and _decimals(price) > digits:
            whole = "a whole number" if digits == 0 else f"at most {digits} decimals"
            yield Finding(
                (*path, "monthlyPrice"),
                f"{price} has more decimals than {book.currency} has (write {whole})",
            )


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _customer_findings(customer: CustomerFile, books: dict[str, _Book], root: Path) -> Iterator[Finding]:
    spec = customer.spec
    country = spec.company.address.country
    billed_in = market_currency(country)
    currency = spec.currency
    if currency is not None:
        if not is_currency(currency):
            yield Finding(("spec", "currency"), f"{currency} is not an ISO 4217 currency code")
            return
        if billed_in is None:
            yield Finding(
                ("spec", "currency"),
                f"cspsync does not know which currency Partner Center bills customers in {country} in; "
                "remove currency and let the price sheet say",
            )
        elif currency != billed_in:
            yield Finding(
                ("spec", "currency"),
                f"Partner Center bills customers in {country} in {billed_in}, not {currency}; "
                f"write currency: {billed_in}",
            )
            return
    if spec.pricebook is None:
        return
    found = books.get(spec.pricebook)
    if found is None:
        names = sorted(books)
        guess = did_you_mean(spec.pricebook, names)
        listed = ", ".join(names) if names else "none"
        hint = f'; did you mean "{guess}"?' if guess else f" (pricebooks found: {listed})"
        yield Finding(
            ("spec", "pricebook"),
            f'no pricebook named "{spec.pricebook}" in {root / "pricebooks"}{hint}',
        )
        return
    book = found.model
    wanted = currency or billed_in
    if wanted is not None and book.currency != wanted:
        why = "the customer's currency" if currency is not None else f"the currency of its market {country}"
        yield Finding(
            ("spec", "pricebook"),
            f"pricebook {book.name} is in {book.currency}, but {why} is {wanted}; name a {wanted} pricebook",
        )
        return
    priced = Pricebook(found.path, book)
    for index, sub in enumerate(spec.subscriptions):
        if not isinstance(sub.offer, LicenseOffer) or sub.term is None:
            continue
        key = OfferKey(sub.offer.productId, sub.offer.skuId, sub.term, sub.billingCycle)
        if priced.resolve(key) is None:
            yield Finding(
                ("spec", "subscriptions", index, "offer"),
                f"pricebook {book.name} ({found.document.file}) does not price {key.label()}: add a rule with "
                f"product: {key.product_id} (or a defaultMarkup) to it",
            )
