"""The emulator's state in SQLite: tenants of the world, customers, agreements, carts, subscriptions.

One connection behind a re-entrant lock (callers use thread pools), WAL for files so a second process
(``cspsync emulator accept-invitation``) can write while a server runs. Resources that Partner Center
returns whole (agreements, carts, orders, subscriptions) are kept as JSON documents; tenants get
columns because they are listed, filtered and paged.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from cspsync.emulator.catalog import DEFAULT_CATALOG, Catalog
from cspsync.emulator.records import (
    SCHEMA,
    SCHEMA_VERSION,
    TENANT_BY_DOMAIN,
    TENANT_BY_ID,
    CustomerSummary,
    DuplicateError,
    Tenant,
    check_reseller,
    contact_key,
    dumps,
    new_etag,
    seeded_billing,
    tenant_from_row,
)
from cspsync.emulator.world import DEFAULT_WORLD, TenantSeed, WorldSeed, parse_tenant, parse_world
from cspsync.errors import ConfigError, OutputError, unwritable_reason

__all__ = ["CustomerSummary", "DuplicateError", "Store", "Tenant"]


class Store:
    """SQLite state of one emulated Partner Center; ``path`` None or ":memory:" keeps it in memory."""

    def __init__(self, path: str | Path | None = None) -> None:
        in_memory = path is None or str(path) == ":memory:"
        self.path: Path | None = None if in_memory else Path(path)  # type: ignore[arg-type]
        self._lock = threading.RLock()
        self._depth = 0
        self._catalog: tuple[str, Catalog] | None = None  # (version, catalog) of a seeded catalog
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                ":memory:" if self.path is None else str(self.path),
                check_same_thread=False,
                isolation_level=None,
                timeout=10.0,
            )
            if self.path is not None:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as err:
            if isinstance(err, sqlite3.OperationalError):
                raise self._unusable(err) from None
            raise OutputError(  # a file written over it (a plan, a copy gone wrong): the user's to move aside
                f"the emulator's database {self.path} is not an emulator database ({err})",
                hint="move it aside and run again, or start a new emulator world from the seed with "
                "`cspsync emulator reset`",
            ) from None
        except OSError as err:  # the user's --db or state folder, not a bug
            raise self._unusable(err) from None
        self._conn.executescript(SCHEMA)
        self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        #: the emulator's now for audit records (EmulatorApp sets its own clock here)
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def _unusable(self, err: OSError | sqlite3.OperationalError) -> OutputError:
        """The user's --db or state folder cannot be opened: not a bug."""
        assert self.path is not None  # an in-memory database opens
        reason = unwritable_reason(self.path.parent, err) if isinstance(err, OSError) else str(err)
        return OutputError(
            f"cannot open the emulator's database {self.path}: {reason}",
            hint="name a file in a folder you can write to (--db, or CSPSYNC_STATE_DIR for the state folder)",
        )

    # ------------------------------------------------------------------------------------- plumbing

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One transaction: other threads wait, and a failure inside undoes every write of the block."""
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                self._conn.execute("COMMIT")

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        with self._lock:
            row: tuple[Any, ...] | None = self._conn.execute(sql, args).fetchone()
            return row

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def _write(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        with self._lock:
            return self._conn.execute(sql, args).rowcount

    # ---------------------------------------------------------------------------------------- world

    def seed(self, world: Mapping[str, Any] | None = None) -> dict[str, int]:
        """Load a world (the built-in default when None); listed tenants are created or overwritten.

        Returns counts: resellers, tenants, customers.
        """
        parsed = parse_world(dict(world if world is not None else DEFAULT_WORLD))
        reseller_ids = {reseller.tenantId for reseller in parsed.resellers}
        for tenant in parsed.tenants:
            check_reseller(tenant, reseller_ids)
        with self.atomic():
            self._write(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('world', ?)",
                (dumps(parsed.model_dump(include={"partner", "resellers"})),),
            )
            for tenant in parsed.tenants:
                self._upsert_tenant(tenant)
        return {
            "resellers": len(parsed.resellers),
            "tenants": len(parsed.tenants),
            "customers": sum(1 for tenant in parsed.tenants if tenant.customer),
        }

    def _upsert_tenant(self, seed: TenantSeed) -> None:
        tenant_id = seed.tenantId or str(uuid.uuid4())
        billing = seeded_billing(seed)
        existing = self.tenant_by_domain(seed.domain)
        if existing is not None and existing.id != tenant_id:
            raise ConfigError(f"emulator seed: domain {seed.domain} already belongs to tenant {existing.id}.")
        self._write(
            "INSERT INTO tenants (id, domain, company_name, country, is_customer, associated_partner_id, "
            "commerce_id, billing, billing_etag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET domain = excluded.domain, company_name = excluded.company_name, "
            "country = excluded.country, is_customer = excluded.is_customer, "
            "associated_partner_id = excluded.associated_partner_id, billing = excluded.billing, "
            "billing_etag = excluded.billing_etag",
            (
                tenant_id,
                seed.domain,
                seed.companyName,
                seed.country,
                int(seed.customer),
                seed.associatedPartnerId,
                str(uuid.uuid4()),
                dumps(billing),
                new_etag(),
            ),
        )
        self._write("DELETE FROM custom_domains WHERE tenant_id = ?", (tenant_id,))
        for custom in seed.customDomains:
            owner = self._one("SELECT tenant_id FROM custom_domains WHERE domain = ?", (custom.lower(),))
            if (owner is not None and owner[0] != tenant_id) or self.tenant_by_domain(custom) not in (None, existing):
                raise ConfigError(f"emulator seed: domain {custom} already belongs to another tenant.")
            self._write("INSERT INTO custom_domains (domain, tenant_id) VALUES (?, ?)", (custom.lower(), tenant_id))
        self._write("DELETE FROM tenant_partners WHERE tenant_id = ?", (tenant_id,))
        for partner in seed.partners:
            self._write(
                "INSERT INTO tenant_partners (tenant_id, partner_tenant_id, name, mpn_id, location) "
                "VALUES (?, ?, ?, ?, ?)",
                (tenant_id, partner.tenantId, partner.name, partner.mpnId, partner.location),
            )

    def world(self) -> WorldSeed:
        """The partner and its resellers (``tenants`` left empty); seeds the default world if none."""
        row = self._one("SELECT value FROM meta WHERE key = 'world'")
        if row is None:
            self.seed()
            row = self._one("SELECT value FROM meta WHERE key = 'world'")
            assert row is not None
        return WorldSeed.model_validate(json.loads(row[0]))

    def catalog(self) -> Catalog:
        """The catalog: the partner's own when one was seeded from a price sheet, else the built-in one.
        Parsed once per version, so a seed written by another process is seen at the next request."""
        row = self._one("SELECT value FROM meta WHERE key = 'catalog_version'")
        if row is None:
            return DEFAULT_CATALOG
        version = str(row[0])
        cached = self._catalog
        if cached is not None and cached[0] == version:
            return cached[1]
        doc = self._one("SELECT value FROM meta WHERE key = 'catalog'")
        catalog = DEFAULT_CATALOG if doc is None else Catalog.from_json(json.loads(doc[0]))
        self._catalog = (version, catalog)
        return catalog

    def set_catalog(self, catalog: Catalog | None) -> None:
        """Replace the catalog (None: back to the built-in one)."""
        with self.atomic():
            if catalog is None:
                self._write("DELETE FROM meta WHERE key IN ('catalog', 'catalog_version')")
                return
            self._write("INSERT OR REPLACE INTO meta (key, value) VALUES ('catalog', ?)", (dumps(catalog.to_json()),))
            self._write("INSERT OR REPLACE INTO meta (key, value) VALUES ('catalog_version', ?)", (uuid.uuid4().hex,))

    def is_seeded(self) -> bool:
        return self._one("SELECT 1 FROM meta WHERE key = 'world'") is not None

    def set_markets(self, markets: Iterable[str]) -> None:
        """Change the countries the partner may sell in."""
        with self.atomic():
            world = self.world().model_dump(include={"partner", "resellers"})
            world["partner"]["markets"] = list(markets)
            parsed = parse_world(world)
            self._write(
                "UPDATE meta SET value = ? WHERE key = 'world'",
                (dumps(parsed.model_dump(include={"partner", "resellers"})),),
            )

    # -------------------------------------------------------------------------------------- tenants

    def tenant_by_id(self, tenant_id: str) -> Tenant | None:
        return tenant_from_row(self._one(TENANT_BY_ID, (tenant_id.lower(),)))

    def tenant_by_domain(self, domain: str) -> Tenant | None:
        return tenant_from_row(self._one(TENANT_BY_DOMAIN, (domain.lower(),)))

    def domain_taken(self, domain: str) -> bool:
        """A tenant's default or verified custom domain (verify-domain-availability)."""
        key = domain.lower()
        return (
            self._one("SELECT 1 FROM tenants WHERE domain = ?", (key,)) is not None
            or self._one("SELECT 1 FROM custom_domains WHERE domain = ?", (key,)) is not None
        )

    def custom_domains(self, tenant_id: str) -> list[str]:
        """The tenant's verified custom domains, in name order."""
        rows = self._all("SELECT domain FROM custom_domains WHERE tenant_id = ? ORDER BY domain", (tenant_id.lower(),))
        return [row[0] for row in rows]

    def create_customer(
        self,
        *,
        domain: str,
        company_name: str,
        country: str,
        billing: Mapping[str, Any],
        associated_partner_id: str | None = None,
    ) -> Tenant:
        """A new tenant that is the partner's customer; DuplicateError when the domain is taken."""
        tenant_id = str(uuid.uuid4())
        try:
            self._write(
                "INSERT INTO tenants (id, domain, company_name, country, is_customer, associated_partner_id, "
                "commerce_id, billing, billing_etag) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)",
                (
                    tenant_id,
                    domain.lower(),
                    company_name,
                    country.upper(),
                    associated_partner_id,
                    str(uuid.uuid4()),
                    dumps(dict(billing)),
                    new_etag(),
                ),
            )
        except sqlite3.IntegrityError:
            raise DuplicateError(f"domain {domain} is taken") from None
        tenant = self.tenant_by_id(tenant_id)
        assert tenant is not None
        self.record_audit(
            tenant_id, "add_customer", "customer", customer_name=company_name,
            data={"PrimaryDomainName": domain.lower(), "Relationship": "Reseller"},
        )  # fmt: skip
        return tenant

    def add_customer(
        self,
        domain: str,
        company_name: str,
        country: str,
        *,
        tenant_id: str | None = None,
        associated_partner_id: str | None = None,
    ) -> str:
        """Add one customer behind cspsync's back; returns its tenant id."""
        record: dict[str, Any] = {"domain": domain, "companyName": company_name, "country": country}
        if tenant_id:
            record["tenantId"] = tenant_id
        if associated_partner_id:
            record["associatedPartnerId"] = associated_partner_id
        return self.add_customers([record])[0]

    def add_customers(self, records: Iterable[Mapping[str, Any]]) -> list[str]:
        """Bulk-add customers (seed tenant shape: domain, companyName, country, optional tenantId,
        associatedPartnerId, billingProfile) in one transaction; returns their tenant ids.
        DuplicateError when a domain or tenant id exists already."""
        reseller_ids = {reseller.tenantId for reseller in self.world().resellers}
        rows: list[tuple[Any, ...]] = []
        for record in records:
            seed = parse_tenant({**record, "customer": True})
            check_reseller(seed, reseller_ids)
            rows.append(
                (
                    seed.tenantId or str(uuid.uuid4()),
                    seed.domain,
                    seed.companyName,
                    seed.country,
                    seed.associatedPartnerId,
                    str(uuid.uuid4()),
                    dumps(seeded_billing(seed)),
                    new_etag(),
                )
            )
        try:
            with self.atomic():
                self._conn.executemany(
                    "INSERT INTO tenants (id, domain, company_name, country, is_customer, "
                    "associated_partner_id, commerce_id, billing, billing_etag) "
                    "VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)",
                    rows,
                )
        except sqlite3.IntegrityError as err:
            raise DuplicateError(f"a domain or tenant id exists already: {err}") from None
        return [row[0] for row in rows]

    def customer_count(self) -> int:
        row = self._one("SELECT count(*) FROM tenants WHERE is_customer = 1")
        assert row is not None
        return int(row[0])

    def list_customers(
        self, *, after: int = 0, limit: int = 100, field: str | None = None, prefix: str | None = None
    ) -> list[CustomerSummary]:
        """Customers in creation order after sequence number ``after``; ``field`` "domain",
        "company_name" or "associated_partner_id" (the indirect reseller's tenant id) with ``prefix``
        keeps those starting with it, ignoring case."""
        sql = "SELECT seq, id, domain, company_name FROM tenants WHERE is_customer = 1 AND seq > ?"
        args: list[Any] = [after]
        if field is not None and prefix is not None:
            if field not in ("domain", "company_name", "associated_partner_id"):
                raise ValueError(f"cannot filter customers on {field}")
            escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            sql += f" AND {field} LIKE ? ESCAPE '\\'"
            args.append(escaped + "%")
        sql += " ORDER BY seq LIMIT ?"
        args.append(limit)
        return [CustomerSummary(*row) for row in self._all(sql, tuple(args))]

    def update_billing(self, tenant_id: str, billing: Mapping[str, Any]) -> str:
        """Replace a tenant's billing profile; returns its new etag."""
        etag = new_etag()
        self._write(
            "UPDATE tenants SET billing = ?, billing_etag = ? WHERE id = ?",
            (dumps(dict(billing)), etag, tenant_id.lower()),
        )
        self.record_audit(tenant_id, "update_customer_billing_profile", "customer")
        return etag

    def accept_invitation(
        self,
        domain: str,
        *,
        reseller_id: str | None = None,
        company_name: str | None = None,
        country: str | None = None,
    ) -> Tenant:
        """The tenant's global admin accepts the reseller relationship: it becomes a customer.

        A domain unknown to the world gets a new tenant (named after the domain, in ``country`` or the
        partner's first market). ``reseller_id`` links it to one of the partner's resellers.
        """
        world = self.world()
        if reseller_id is not None and reseller_id.lower() not in {r.tenantId for r in world.resellers}:
            raise ConfigError(f"{reseller_id} is not one of the partner's resellers.")
        with self.atomic():
            tenant = self.tenant_by_domain(domain)
            if tenant is None:
                name = company_name or domain.split(".")[0].replace("-", " ").title()
                record = {"domain": domain, "companyName": name, "country": country or world.partner.markets[0]}
                self._upsert_tenant(parse_tenant(record))
                tenant = self.tenant_by_domain(domain)
                assert tenant is not None
            self._write(
                "UPDATE tenants SET is_customer = 1, associated_partner_id = "
                "coalesce(?, associated_partner_id) WHERE id = ?",
                (reseller_id.lower() if reseller_id else None, tenant.id),
            )
        accepted = self.tenant_by_id(tenant.id)
        assert accepted is not None
        return accepted

    def incumbent_partners(self, tenant_id: str) -> list[dict[str, Any]]:
        rows = self._all(
            "SELECT partner_tenant_id, name, mpn_id, location FROM tenant_partners WHERE tenant_id = ? ORDER BY name",
            (tenant_id.lower(),),
        )
        return [{"id": row[0], "name": row[1], "mpnId": row[2], "location": row[3]} for row in rows]

    # ---------------------------------------------------------------------- validation, qualifications

    def record_created(self, tenant_id: str, created_at: str) -> None:
        """When a customer was created through the API (seeded customers have no such record)."""
        self._write(
            "INSERT INTO customer_records (tenant_id, created_at) VALUES (?, ?) "
            "ON CONFLICT (tenant_id) DO UPDATE SET created_at = excluded.created_at",
            (tenant_id.lower(), created_at),
        )

    def created_at(self, tenant_id: str) -> str | None:
        row = self._one("SELECT created_at FROM customer_records WHERE tenant_id = ?", (tenant_id.lower(),))
        return None if row is None else row[0]

    def qualifications(self, tenant_id: str) -> list[dict[str, Any]]:
        row = self._one("SELECT qualifications FROM customer_records WHERE tenant_id = ?", (tenant_id.lower(),))
        return [] if row is None else list(json.loads(row[0]))

    def set_qualifications(self, tenant_id: str, qualifications: list[dict[str, Any]]) -> None:
        self._write(
            "INSERT INTO customer_records (tenant_id, qualifications) VALUES (?, ?) "
            "ON CONFLICT (tenant_id) DO UPDATE SET qualifications = excluded.qualifications",
            (tenant_id.lower(), dumps(qualifications)),
        )
        self.record_audit(tenant_id, "update_customer_qualification", "customer")

    # -------------------------------------------------------------------------------------- linking

    def record_relationship_request(self, indirect_reseller_id: str | None, requested_at: str) -> None:
        self._write(
            "INSERT INTO relationship_requests (indirect_reseller_id, requested_at) VALUES (?, ?)",
            (indirect_reseller_id, requested_at),
        )

    def relationship_requests(self) -> list[dict[str, Any]]:
        rows = self._all("SELECT indirect_reseller_id, requested_at FROM relationship_requests ORDER BY seq")
        return [{"indirectResellerId": row[0], "requestedAt": row[1]} for row in rows]

    # ----------------------------------------------------------------------------------- agreements

    def add_agreement(self, customer_id: str, agreement: Mapping[str, Any]) -> None:
        """DuplicateError when the customer has this agreement type with the same primary contact."""
        try:
            self._write(
                "INSERT INTO agreements (customer_id, type, contact_key, doc) VALUES (?, ?, ?, ?)",
                (
                    customer_id.lower(),
                    agreement["type"],
                    contact_key(agreement["primaryContact"]),
                    dumps(dict(agreement)),
                ),
            )
        except sqlite3.IntegrityError:
            raise DuplicateError("the agreement exists already") from None
        self.record_audit(customer_id, "create_agreement", "customer", data={"AgreementType": str(agreement["type"])})

    def agreements(self, customer_id: str, agreement_type: str | None = None) -> list[dict[str, Any]]:
        sql, args = "SELECT doc FROM agreements WHERE customer_id = ?", [customer_id.lower()]
        if agreement_type is not None:
            sql += " AND type = ?"
            args.append(agreement_type)
        return [json.loads(row[0]) for row in self._all(sql + " ORDER BY seq", tuple(args))]

    # ------------------------------------------------------------------------------- carts, orders

    def put_cart(self, customer_id: str, cart: Mapping[str, Any]) -> None:
        self._write(
            "INSERT OR REPLACE INTO carts (id, customer_id, doc) VALUES (?, ?, ?)",
            (cart["id"], customer_id.lower(), dumps(dict(cart))),
        )

    def cart(self, customer_id: str, cart_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT doc FROM carts WHERE id = ? AND customer_id = ?", (cart_id, customer_id.lower()))
        return None if row is None else dict(json.loads(row[0]))

    def put_order(self, customer_id: str, order: Mapping[str, Any]) -> None:
        self._write(
            "INSERT OR REPLACE INTO orders (id, customer_id, doc) VALUES (?, ?, ?)",
            (order["id"], customer_id.lower(), dumps(dict(order))),
        )
        self.record_audit(customer_id, "create_order", "order", data={"OrderId": str(order["id"])})

    # -------------------------------------------------------------------------------- subscriptions

    def orders(self, customer_id: str) -> list[dict[str, Any]]:
        """Every order of a customer as stored (tests count writes with it; the API serves them with delay)."""
        rows = self._all("SELECT doc FROM orders WHERE customer_id = ? ORDER BY rowid", (customer_id.lower(),))
        return [json.loads(row[0]) for row in rows]

    def put_subscription(self, customer_id: str, subscription: Mapping[str, Any], *, audit: str | None = None) -> None:
        """Insert or replace a subscription document (keyed by its ``id``); ``audit`` names the partner
        operation that changed it (``update_subscription``), None for the service's own changes (a renewal)."""
        self._write(
            "INSERT INTO subscriptions (id, customer_id, friendly_name, doc) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET friendly_name = excluded.friendly_name, doc = excluded.doc",
            (
                subscription["id"],
                customer_id.lower(),
                subscription.get("friendlyName") or "",
                dumps(dict(subscription)),
            ),
        )
        if audit is not None:
            self.record_audit(customer_id, audit, "subscription", data={"SubscriptionId": str(subscription["id"])})

    def subscription(self, customer_id: str, subscription_id: str) -> dict[str, Any] | None:
        row = self._one(
            "SELECT doc FROM subscriptions WHERE id = ? AND customer_id = ?",
            (subscription_id.lower(), customer_id.lower()),
        )
        return None if row is None else dict(json.loads(row[0]))

    def subscriptions(self, customer_id: str) -> list[dict[str, Any]]:
        rows = self._all("SELECT doc FROM subscriptions WHERE customer_id = ? ORDER BY seq", (customer_id.lower(),))
        return [json.loads(row[0]) for row in rows]

    def subscription_docs(self) -> Iterator[dict[str, Any]]:
        """Every customer's subscriptions (for partner-wide limits such as the sandbox's Azure plans)."""
        for row in self._all("SELECT doc FROM subscriptions ORDER BY seq"):
            yield json.loads(row[0])

    def delete_customer(self, tenant_id: str) -> None:
        """Purge a customer and its tenant with everything cspsync could read about it (sandbox only)."""
        key = tenant_id.lower()
        with self.atomic():
            for statement in (
                "DELETE FROM subscriptions WHERE customer_id = ?",
                "DELETE FROM orders WHERE customer_id = ?",
                "DELETE FROM carts WHERE customer_id = ?",
                "DELETE FROM agreements WHERE customer_id = ?",
                "DELETE FROM customer_records WHERE tenant_id = ?",
                "DELETE FROM tenant_partners WHERE tenant_id = ?",
                "DELETE FROM custom_domains WHERE tenant_id = ?",
                "DELETE FROM tenants WHERE id = ?",
            ):
                self._write(statement, (key,))
            self.record_audit(key, "delete_customer", "customer")

    def set_subscription_fields(self, customer_id: str, friendly_name: str, **fields: Any) -> dict[str, Any]:
        """Change a subscription behind cspsync's back (drift for tests and benchmarks).

        ``fields`` are camelCase subscription fields (``quantity=5``, ``status="suspended"``,
        ``friendlyName="renamed"``); the etag changes. LookupError when no subscription has that name.
        """
        with self.atomic():
            row = self._one(
                "SELECT doc FROM subscriptions WHERE customer_id = ? AND friendly_name = ? ORDER BY seq",
                (customer_id.lower(), friendly_name),
            )
            if row is None:
                raise LookupError(f"customer {customer_id} has no subscription named {friendly_name!r}")
            subscription = json.loads(row[0])
            subscription.update(fields)
            subscription.setdefault("attributes", {})["etag"] = new_etag()
            self.put_subscription(customer_id, subscription, audit="update_subscription")
        return dict(subscription)

    # ------------------------------------------------------------------------------- customer users
    #
    # Each customer tenant has its global admin ``admin@<domain>`` (Partner Center: "Create a customer"
    # returns it). A password reset keeps only a sha256 of the password, so a test can check that what
    # cspsync stored encrypted is what was set; no password itself is ever kept.

    # ------------------------------------------------------------------------------------ audit

    def record_audit(
        self,
        customer_id: str | None,
        operation_type: str,
        resource_type: str,
        *,
        customer_name: str | None = None,
        data: Mapping[str, str] | None = None,
    ) -> None:
        """One audit record of a partner operation, dated by ``clock`` (Partner Center: "Auditing
        resources", AuditRecord). No old or new resource values: a created customer's would hold the
        user name, and Partner Center blanks the password there anyway."""
        when = self.clock().astimezone(UTC)
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond:06d}0Z"
        record: dict[str, Any] = {
            "id": f"{customer_id or 'partner'}_{operation_type.replace('_', '')}_{uuid.uuid4().hex[:12]}",
            "partnerId": self._partner_id(),
            "customerId": customer_id.lower() if customer_id else None,
            "customerName": customer_name,
            "userPrincipalName": "cspsync@emulator",
            "applicationId": "cspsync-emulator",
            "resourceType": resource_type,
            "operationType": operation_type,
            "operationDate": stamp,
            "operationStatus": "succeeded",
            "customizedData": [{"key": k, "value": v} for k, v in (data or {}).items()],
            "attributes": {"objectType": "AuditRecord"},
        }
        self._write("INSERT INTO audit_records (operation_date, doc) VALUES (?, ?)", (stamp, dumps(record)))

    def _partner_id(self) -> str | None:
        row = self._one("SELECT json_extract(value, '$.partner.tenantId') FROM meta WHERE key = 'world'")
        return str(row[0]) if row is not None and row[0] is not None else None

    def audit_records(
        self, start: str, end: str, *, before: int | None, limit: int
    ) -> list[tuple[int, dict[str, Any]]]:
        """Records dated in [start, end) (ISO strings as stored), newest first, below sequence ``before``."""
        sql = "SELECT seq, doc FROM audit_records WHERE operation_date >= ? AND operation_date < ?"
        args: list[Any] = [start, end]
        if before is not None:
            sql += " AND seq < ?"
            args.append(before)
        sql += " ORDER BY seq DESC LIMIT ?"
        args.append(limit)
        return [(int(seq), json.loads(doc)) for seq, doc in self._all(sql, tuple(args))]

    def _password_resets_table(self) -> None:
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS password_resets (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
            "customer_id TEXT NOT NULL, user_id TEXT NOT NULL, reset_at TEXT NOT NULL, sha256 TEXT NOT NULL)"
        )

    def record_password_reset(self, customer_id: str, user_id: str, reset_at: str, sha256: str) -> None:
        with self._lock:
            self._password_resets_table()
            self._write(
                "INSERT INTO password_resets (customer_id, user_id, reset_at, sha256) VALUES (?, ?, ?, ?)",
                (customer_id.lower(), user_id.lower(), reset_at, sha256),
            )

    def password_resets(self, customer_id: str) -> list[dict[str, str]]:
        with self._lock:
            self._password_resets_table()
            rows = self._all(
                "SELECT user_id, reset_at, sha256 FROM password_resets WHERE customer_id = ? ORDER BY seq",
                (customer_id.lower(),),
            )
        return [{"userId": row[0], "resetAt": row[1], "sha256": row[2]} for row in rows]
