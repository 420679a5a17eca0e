"""``cspsync emulator``: serve, seed and steer the built-in Partner Center emulator."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import click

from cspsync.commands._options import FiniteRange
from cspsync.errors import ConfigError
from cspsync.signals import stop_requests

F = TypeVar("F", bound=Callable[..., Any])


def _default_db(config_path: Path | None = None, *, ensure: bool = True) -> Path:
    """The emulator file of the state folder plan and apply use: next to ``config_path`` when given, else
    next to the cspsync.yaml at or above the working folder (``$CSPSYNC_STATE_DIR`` wins over both)."""
    from cspsync.workspace import Workspace

    workspace = Workspace.from_environment(repository=config_path.resolve().parent if config_path else None)
    if ensure:
        workspace.ensure()  # .cspsync/ with its .gitignore, as every command that writes state makes it
    return workspace.emulator_db


def _existing_db(db: Path | None, config_path: Path | None) -> Path:
    """The emulator file a command that acts on the existing world (plays a customer, resets it) uses: the one
    plan and apply use.

    With no cspsync.yaml at or above the working folder (and no --config or $CSPSYNC_STATE_DIR) the
    folder is a guess: a world made there would be one no apply reads, so the approval would go nowhere, and a
    reset there would say there is nothing to delete while the world plan and apply use lives on.
    A missing file there is an error that names the cspsync.yaml files nearby.
    """
    if db is not None:
        return db
    found = _default_db(config_path, ensure=False)
    if found.exists() or _state_is_known(config_path):
        return _default_db(config_path)
    hint = (
        _nearby_hint(config_path)
        or "run plan or apply first (they create it from the seed), or pass --db with the file"
    )
    raise ConfigError(f"No emulator state at {found}: nothing has been planned or applied against it.", hint=hint)


def _new_db(db: Path | None, config_path: Path | None) -> Path:
    """Where ``seed`` makes a world: the state folder plan and apply read, never a guess (a world seeded in
    a folder without cspsync.yaml was one no plan read, so its prices were silently not used)."""
    if db is not None:
        return db
    if _state_is_known(config_path):
        return _default_db(config_path)
    raise ConfigError(
        "no cspsync.yaml in . or any folder above it, so the emulator state plan and apply read is not known",
        hint=_nearby_hint(config_path) or "run it in the repository (next to or below cspsync.yaml), or pass --db",
    )


def _state_is_known(config_path: Path | None) -> bool:
    """A state folder was named (--config, $CSPSYNC_STATE_DIR) or a cspsync.yaml is at or above this folder."""
    import os

    from cspsync.workspace import CONFIG_NAMES

    here = Path(".").resolve()
    return (
        config_path is not None
        or bool(os.environ.get("CSPSYNC_STATE_DIR"))
        or any((folder / name).is_file() for folder in (here, *here.parents) for name in CONFIG_NAMES)
    )


def _repository_seed(config_path: Path | None) -> Path | None:
    """The emulator-seed.yaml next to the cspsync.yaml plan and apply would use, which they seed a new state
    from (:func:`cspsync.target.open_emulator`): a served new world is then the world they would have made."""
    from cspsync.declarations.repository import find_config
    from cspsync.target import SEED_FILE

    try:
        config = config_path if config_path is not None else find_config([Path(".")])
    except ConfigError:
        return None
    seed = config.parent / SEED_FILE
    return seed if seed.is_file() else None


def _nearby_hint(config_path: Path | None) -> str | None:
    from cspsync.workspace import CONFIG_NAMES

    nearby = sorted(str(p) for name in CONFIG_NAMES for p in Path(".").glob(f"*/{name}"))
    if not nearby or config_path is not None:
        return None
    return (
        "plan and apply keep it next to their cspsync.yaml: pass --config "
        + " or --config ".join(nearby[:3])
        + ", or --db with the file"
    )


def state_options(fn: F) -> F:
    """--db, and --config for the state folder next to a cspsync.yaml (the one plan and apply use)."""
    fn = db_option(fn)
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False, exists=True),
        default=None,
        help="cspsync.yaml whose state folder holds the emulator (default: the one at or above this folder).",
    )(fn)


def db_option(fn: F) -> F:
    return click.option(
        "--db",
        "db",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Emulator state file (default: .cspsync/emulator.db next to cspsync.yaml, or emulator.db in "
        "$CSPSYNC_STATE_DIR).",
    )(fn)


def _latency(value: str) -> float | tuple[float, float]:
    from cspsync.emulator.injection import parse_latency

    try:
        return parse_latency(value)
    except ValueError:
        raise ConfigError(
            f"--latency-ms takes milliseconds (e.g. 20) or a range (e.g. 10-50), not {value!r}."
        ) from None


@click.group()
def emulator() -> None:
    """Run and steer the built-in Partner Center emulator.

    Its state (tenants, customers, agreements, subscriptions) lives in a SQLite file that survives
    restarts; the world it starts with comes from a seed file such as examples/emulator-seed.yaml.
    """


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port (default: any free port).")
@state_options
@click.option(
    "--seed",
    "seed_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="Seed file to load before serving (default, when the state is new: the emulator-seed.yaml next to "
    "cspsync.yaml, as plan and apply seed it, else the built-in world).",
)
@click.option(
    "--page-size",
    type=click.IntRange(1, 500),
    default=100,
    show_default=True,
    help="Customers per page when a request names no size.",
)
@click.option("--latency-ms", default="0", show_default=True, help="Added latency: milliseconds, or LOW-HIGH.")
@click.option("--error-rate", type=float, default=0.0, show_default=True, help="Share of requests answered 500/503.")
@click.option(
    "--drop-rate", type=float, default=0.0, show_default=True, help="Share of connections closed without an answer."
)
@click.option(
    "--timeout-rate",
    type=float,
    default=0.0,
    show_default=True,
    help="Share of requests held, then closed without an answer.",
)
@click.option(
    "--timeout-after-commit-rate",
    type=float,
    default=0.0,
    show_default=True,
    help="Share of successful writes whose answer is lost after they took effect.",
)
@click.option(
    "--throttle-rate",
    type=float,
    default=None,
    help="Requests per second before answering 429 (default: no throttling).",
)
@click.option(
    "--throttle-burst",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Requests allowed at once above the throttle rate.",
)
@click.option("--fault-seed", type=int, default=None, help="Seed of the fault dice, so a run repeats exactly.")
@click.option(
    "--profile",
    type=click.Choice(["production", "sandbox"]),
    default="production",
    show_default=True,
    help="sandbox: the integration sandbox's limits (75 customers, 5 subscriptions each, 25 licences a "
    "subscription, no invitations, customers can be deleted).",
)
@click.option(
    "--order-delay-seconds",
    type=FiniteRange(min=0, max=86_400),
    default=0.0,
    show_default=True,
    help="How long a new order stays pending and out of the lists (Partner Center: up to 15 minutes).",
)
@click.option("--accept-patches", is_flag=True, help="Answer subscription updates 202 Accepted with a Location.")
def serve(
    host: str,
    port: int,
    db: Path | None,
    config_path: Path | None,
    seed_file: Path | None,
    page_size: int,
    latency_ms: str,
    error_rate: float,
    drop_rate: float,
    timeout_rate: float,
    timeout_after_commit_rate: float,
    throttle_rate: float | None,
    throttle_burst: int,
    fault_seed: int | None,
    profile: str,
    order_delay_seconds: float,
    accept_patches: bool,
) -> None:
    """Serve the emulator on loopback HTTP until Ctrl-C."""
    from cspsync.emulator import EmulatorApp, Faults, Store, load_seed
    from cspsync.emulator import serve as serve_app
    from cspsync.emulator.rules import Rules
    from cspsync.emulator.server import check_loopback

    check_loopback(host)  # refuse before touching any state
    faults = Faults(
        seed=fault_seed,
        latency_ms=_latency(latency_ms),
        error_rate=error_rate,
        drop_rate=drop_rate,
        timeout_rate=timeout_rate,
        timeout_after_commit_rate=timeout_after_commit_rate,
        throttle_rate=throttle_rate,
        throttle_burst=throttle_burst,
    )
    note = None if db is not None or _state_is_known(config_path) else _nearby_hint(config_path)
    db = db or _default_db(config_path)
    new = not db.exists()
    store = Store(db)
    seed_file = seed_file or (_repository_seed(config_path) if new else None)
    if seed_file is not None:
        store.seed(load_seed(seed_file))
    from cspsync.emulator.handlers.gdap import timing_from_environment

    rules = Rules(
        profile="sandbox" if profile == "sandbox" else "production",
        order_delay=timedelta(seconds=order_delay_seconds),
        accept_patches=accept_patches,
    )
    app = EmulatorApp(store, faults=faults, page_size=page_size, rules=rules, gdap_timing=timing_from_environment())
    # a flag the loop below reads, not a KeyboardInterrupt raised wherever the main thread is: one raised inside
    # the server's shutdown, a thread join or the store's close left the process running after Ctrl-C now and then
    with stop_requests() as stop:
        try:
            server = serve_app(app, host, port)
            click.echo(f"Partner Center emulator listening on {server.url} (state: {db})")
            if note is not None:  # a world no plan or apply of the repository below would read without the URL
                click.echo(
                    f"note: no cspsync.yaml here or above, so this is not the state plan and apply use: {note}",
                    err=True,
                )
            sandbox = "; the integration sandbox's limits" if profile == "sandbox" else ""
            click.echo(f"Partner: {store.world().partner.name}; {store.customer_count()} customer(s){sandbox}")
            click.echo(f"Point cspsync at it:       export CSPSYNC_EMULATOR_URL={server.url}")
            click.echo(f"Rehearse a real target:    export CSPSYNC_REHEARSAL_URL={server.url}  (sign-in included)")
            click.echo("Press Ctrl-C to stop")
            try:
                while not stop.requested and not server.wait(0.1):
                    pass
                if stop.requested:
                    click.echo("Stopping.")
            finally:
                server.shutdown()
        finally:
            app.close()


def _sheet_rows(paths: tuple[Path, ...]) -> list[dict[str, str]]:
    """Every row of the price sheets at ``paths`` (plain or zipped CSV, as Partner Center serves them)."""
    from cspsync.pricing.pricesheet import parse_sheet

    rows: list[dict[str, str]] = []
    for path in paths:
        index = parse_sheet(path, path.name)
        for prices in index.rows.values():
            for price in prices:
                if not price.market:
                    raise ConfigError(f"{path}: a row of {price.key.product_id}:{price.key.sku_id} has no Market.")
                rows.append(
                    {
                        "ProductId": price.key.product_id,
                        "SkuId": price.key.sku_id,
                        "ProductTitle": price.product_title,
                        "SkuTitle": price.sku_title,
                        "Publisher": price.publisher,
                        "TermDuration": price.key.term,
                        "BillingPlan": price.key.billing_cycle,
                        "Market": price.market,
                        "Currency": price.currency,
                        "UnitPrice": str(price.unit_price),
                    }
                )
    return rows


@emulator.command()
@click.argument("seed_file", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@state_options
@click.option(
    "--price-sheet",
    "price_sheets",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A Partner Center license-based price sheet (CSV or zip); repeat for more markets. Its offers and "
    "prices replace the built-in catalog.",
)
def seed(seed_file: Path, db: Path | None, config_path: Path | None, price_sheets: tuple[Path, ...]) -> None:
    """Load the world from FILE: partner, resellers and tenants (listed tenants are overwritten).

    With --price-sheet, the emulator sells the partner's own catalog at the sheet's prices, so plans and
    their money match the partner's real catalog.
    """
    from cspsync.emulator import Store, load_seed
    from cspsync.emulator.catalog import catalog_from_price_rows

    catalog = None
    if price_sheets:
        try:
            catalog = catalog_from_price_rows(_sheet_rows(price_sheets))
        except ValueError as err:
            raise ConfigError(f"--price-sheet: {err}") from None
    db = _new_db(db, config_path)
    with Store(db) as store:
        counts = store.seed(load_seed(seed_file))
        if catalog is not None:
            store.set_catalog(catalog)
        partner = store.world().partner
    if catalog is not None:  # the month's sheets cached from the old catalog would keep its prices
        from cspsync.workspace import Workspace

        shutil.rmtree(Workspace(db.parent).price_sheets("emulator"), ignore_errors=True)
    click.echo(
        f"Seeded {db} from {seed_file}: partner {partner.name}, {counts['resellers']} reseller(s), "
        f"{counts['tenants']} tenant(s) of which {counts['customers']} already customers."
    )
    if catalog is not None:
        markets = sorted(catalog.currencies)
        unpriced = sorted(set(partner.markets) - set(markets))
        click.echo(
            f"Catalog from {len(price_sheets)} price sheet(s): {len(catalog.offers)} offer(s) in "
            f"{', '.join(markets) or 'no market'}."
        )
        if unpriced:
            click.echo(f"Warning: the sheets price nothing in {', '.join(unpriced)}, where the partner sells.")


def _domain(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A domain as customer files declare it (the schema's pattern): a tenant made here is read back by
    ``import``, which must not write a file ``validate`` refuses."""
    import re

    from cspsync.declarations.models import DOMAIN

    if len(value) > 253 or not re.fullmatch(DOMAIN, value):
        raise click.BadParameter(
            f"{value!r} is not a domain name (labels of 1 to 63 letters, digits or hyphens, dot-separated, "
            "ending in a top-level domain), such as litware.ie"
        )
    return value


@emulator.command("accept-invitation")
@click.argument("domain", callback=_domain)
@state_options
@click.option(
    "--reseller",
    "reseller_id",
    default=None,
    metavar="TENANT_ID",
    help="Accept the indirect reseller relationship of this reseller (its tenant id).",
)
@click.option("--company-name", default=None, help="Name of a tenant new to the emulator (default: from DOMAIN).")
@click.option("--country", default=None, help="Country of a tenant new to the emulator (default: first market).")
def accept_invitation(
    domain: str,
    db: Path | None,
    config_path: Path | None,
    reseller_id: str | None,
    company_name: str | None,
    country: str | None,
) -> None:
    """Act as DOMAIN's global admin accepting the reseller relationship: the tenant becomes a customer."""
    from cspsync.emulator import Store

    with Store(_existing_db(db, config_path)) as store:
        known = store.tenant_by_domain(domain) is not None
        tenant = store.accept_invitation(domain, reseller_id=reseller_id, company_name=company_name, country=country)
        partner = store.world().partner
    created = "" if known else " (a new tenant in the emulator's world)"
    click.echo(
        f"{tenant.domain}{created} accepted the reseller relationship: {tenant.company_name} "
        f"(tenant {tenant.id}) is now a customer of {partner.name}."
    )


@emulator.command("approve-gdap")
@click.argument("key", metavar="DOMAIN|ID")
@state_options
def approve_gdap(key: str, db: Path | None, config_path: Path | None) -> None:
    """Act as a global admin approving admin relationships (GDAP): every request waiting for DOMAIN's
    tenant, or the relationship with this ID. They become active after the emulator's activation delay."""
    import datetime as dt

    from cspsync.emulator import Store
    from cspsync.emulator.handlers.gdap import approval_delay, approve

    delay = approval_delay()  # a wrong setting stops before anything is approved
    with Store(_existing_db(db, config_path)) as store:
        approved = approve(store, key.strip(), dt.datetime.now(dt.UTC))
    when = f"active in {delay:g} s" if delay else "active now"
    for relationship in approved:
        tenant = (relationship.get("customer") or {}).get("tenantId")
        name, relationship_id = relationship["displayName"], relationship["id"]
        click.echo(f"approved admin relationship {name} ({relationship_id}) for tenant {tenant}: {when}.")


@emulator.command("age-gdap")
@click.argument("key", metavar="DOMAIN|NAME|ID")
@click.option("--ends-in", "days", type=click.IntRange(0, 730), required=True, help="Days until it ends.")
@click.option("--auto-extend", type=click.Choice(["on", "off"]), default=None, help="Switch auto-extension too.")
@state_options
def age_gdap(key: str, days: int, auto_extend: str | None, db: Path | None, config_path: Path | None) -> None:
    """Move approved admin relationships behind cspsync's back so they end in DAYS (a demo of renewal)."""
    import datetime as dt

    from cspsync.emulator import Store
    from cspsync.emulator.handlers.gdap import duration_of, find_relationships, set_auto_extend, set_relationship_times

    now = dt.datetime.now(dt.UTC)
    with Store(_existing_db(db, config_path)) as store:
        found = [doc for doc in find_relationships(store, key.strip()) if doc.get("_approvedAt")]
        if not found:
            raise ConfigError(f"No approved admin relationship matches {key}.")
        for doc in found:
            span = duration_of(doc["duration"]) or dt.timedelta(0)
            set_relationship_times(store, doc["id"], activated=now + dt.timedelta(days=days) - span)
            if auto_extend is not None:
                set_auto_extend(store, doc["id"], "P180D" if auto_extend == "on" else "PT0S")
            ends = (now + dt.timedelta(days=days)).date().isoformat()
            click.echo(f"admin relationship {doc['displayName']} ({doc['id']}) now ends on {ends}.")


@emulator.command()
@state_options
def reset(db: Path | None, config_path: Path | None) -> None:
    """Delete the emulator's state; the next use starts from the seed again.

    The invitations ledger next to it (the state folder's invitations.json) records invitations sent in
    the old world: it is moved aside (never deleted), so the new world's customers are invited again.
    """
    from cspsync.workspace import Workspace

    db = _existing_db(db, config_path)  # the working folder's .cspsync/ was a guess: "nothing to delete", exit 0
    files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    existing = [path for path in files if path.exists()]
    for path in existing:
        path.unlink()
    click.echo(f"Deleted the emulator state in {db}." if existing else f"No emulator state at {db}.")
    ledger = Workspace(db.parent).invitations_ledger
    if ledger.exists():
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = ledger.with_name(f"invitations.before-reset-{stamp}.json")
        ledger.rename(kept)
        click.echo(f"Moved the invitations ledger of the old world to {kept}: the new world has sent none.")
