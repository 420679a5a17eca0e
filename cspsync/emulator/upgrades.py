"""Which new-commerce offer can move to which: mid-term upgrades and changes at renewal.

Microsoft publishes its upgrade paths as a matrix in Partner Center, not as data, so this ladder is the
emulator's own: the Microsoft 365 business ladder (Business Basic -> Standard -> Premium -> Microsoft 365
E3) and the enterprise ladder (Office 365 E3 -> Microsoft 365 E3 -> E5). "Transition a new commerce
subscription" serves it as the ``immediate`` eligibilities; "Create scheduled changes" lets
``scheduledNextTermInstructions.product`` name any offer of the ``scheduled`` eligibilities: the ladder up
and down, and the product's other SKUs.
"""

from __future__ import annotations

from cspsync.emulator.catalog import Catalog, Offer

#: product -> products it upgrades to mid-term (Business Basic -> Standard -> Premium -> Microsoft 365 E3;
#: Office 365 E3 -> Microsoft 365 E3 -> E5)
UPGRADES: dict[str, tuple[str, ...]] = {
    "CFQ7TTC0LH18": ("CFQ7TTC0LDPB", "CFQ7TTC0LCHC"),
    "CFQ7TTC0LDPB": ("CFQ7TTC0LCHC",),
    "CFQ7TTC0LCHC": ("CFQ7TTC0LFLX",),
    "CFQ7TTC0LF8Q": ("CFQ7TTC0LFLX", "CFQ7TTC0LFLZ"),
    "CFQ7TTC0LFLX": ("CFQ7TTC0LFLZ",),
}


def _reachable(product_id: str) -> set[str]:
    """Every product up the ladder from ``product_id``."""
    found: set[str] = set()
    todo = [product_id.upper()]
    while todo:
        for target in UPGRADES.get(todo.pop(), ()):
            if target not in found:
                found.add(target)
                todo.append(target)
    return found


def immediate_targets(item: Offer, catalog: Catalog) -> list[Offer]:
    """The offers ``item`` upgrades to now: its product's ladder upwards (every SKU of those products)."""
    up = _reachable(item.product_id)
    return [o for o in catalog.offers if o.product_id.upper() in up and o.kind == item.kind]


def scheduled_targets(item: Offer, catalog: Catalog) -> list[Offer]:
    """The offers ``item`` can change to at renewal: its ladder up and down, and the product's other SKUs."""
    product = item.product_id.upper()
    ladder = _reachable(product) | {p for p in UPGRADES if product in _reachable(p)}
    return [
        o
        for o in catalog.offers
        if o.kind == item.kind
        and o.catalog_item_id != item.catalog_item_id
        and (o.product_id.upper() in ladder or o.product_id.upper() == product)
    ]
