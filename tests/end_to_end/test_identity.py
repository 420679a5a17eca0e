"""Identity is evidence: a file that claims another customer's prefix, tenant id or domain never writes to it.

Every reproduction of issue 13 runs through the CLI against the emulator and compares the emulator's
state of the customer at risk before and after: zero writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

import cspsync.emulator
from cspsync.emulator import EmulatorApp, Store
from tests.cli import Run

from .test_saved_plan_contract import emulator_state

TAILSPIN_ID = "3c9d7a10-2b4e-4f6a-8c1d-5e7f9a0b1c2d"
TAILSPIN_DOMAIN = "tailspintoys.onmicrosoft.com"


def write_file(workdir: Path, name: str, text: str) -> str:
    folder = workdir / "examples" / "other"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yaml").write_text(text)
    return f"examples/other/{name}.yaml"


def taken_prefix(workdir: Path) -> str:
    """Contoso's file made into "Taken Prefix Ltd", claiming Tailspin Toys' prefix (issue 13, finding 1)."""
    text = (workdir / "examples/customers/contoso-bikes.yaml").read_text()
    text = (
        text.replace("name: contoso-bikes", "name: taken-prefix")
        .replace("Contoso Bikes Ltd", "Taken Prefix Ltd")
        .replace("accounts@contosobikes.co.uk", "accounts@takenprefix.co.uk")
        .replace("domainPrefix: contosobikes", "domainPrefix: tailspintoys")
        .replace("fabrikam-contosobikes-", "fabrikam-takenprefix-")
    )
    return write_file(workdir, "taken-prefix", text)


def tailspin(workdir: Path) -> dict[str, Any]:
    state: dict[str, Any] = emulator_state(workdir)[TAILSPIN_DOMAIN]
    return state


def test_a_create_file_claiming_another_customers_prefix_never_writes_to_it(cspsync: Run, workdir: Path) -> None:
    path = taken_prefix(workdir)
    assert cspsync("validate", path).code == 0
    before = tailspin(workdir)

    plan = cspsync("plan", path)
    assert plan.code == 1, plan.out + plan.err
    assert f"taken-prefix  ({path})  create {TAILSPIN_DOMAIN} · conflict" in plan.out
    assert (
        f"blocked: {TAILSPIN_DOMAIN} already belongs to Tailspin Toys AS (tenant {TAILSPIN_ID}, domains "
        f"{TAILSPIN_DOMAIN}), and no apply of this repository created it: nothing is applied to it. Choose another "
        "tenant.domainPrefix" in plan.out
    )
    assert "blocked: blocked by taken-prefix/adopt-customer" in plan.out
    assert "Error: 4 action(s) are blocked or refused" in plan.err

    applied = cspsync("apply", path, "--yes")
    assert applied.code == 1, applied.out + applied.err
    assert tailspin(workdir) == before
    assert "Traceback" not in applied.err


def test_existing_mode_with_another_tenants_id_never_writes_to_it(cspsync: Run, workdir: Path) -> None:
    """adatum.yaml with Tailspin's tenant id (issue 13, finding 2): the declared domain is checked."""
    text = (workdir / "examples/customers/adatum.yaml").read_text()
    path = write_file(workdir, "adatum", text.replace("7e2f4b6c-8a0d-4c2e-9f1b-3d5a7c9e0f12", TAILSPIN_ID))
    before = tailspin(workdir)

    plan = cspsync("plan", path)
    assert plan.code == 1
    assert (
        f"blocked: tenant {TAILSPIN_ID} is Tailspin Toys AS (tenant {TAILSPIN_ID}, domains {TAILSPIN_DOMAIN}, "
        "tailspintoys.no); "
        "the declared domain adatum.de is not one of its domains: nothing is applied to it. Correct "
        "tenant.tenantId (or tenant.domain) in the file" in plan.out
    )
    assert "40 × CFQ7TTC0LF8Q:0001" in plan.out  # shown, blocked
    assert "blocked: blocked by adatum/adopt-customer" in plan.out

    applied = cspsync("apply", path, "--yes")
    assert applied.code == 1
    assert tailspin(workdir) == before


def test_an_existing_file_may_name_a_verified_custom_domain_of_its_tenant(cspsync: Run, workdir: Path) -> None:
    """get-a-customer-by-id lists a tenant's verified custom domains (``customDomains``) apart from its
    default domain: a file that declares ``tailspintoys.no`` for Tailspin's tenant id is proven by them."""
    path = workdir / "examples/customers/tailspin-toys.yaml"
    path.write_text(path.read_text().replace(f"domain: {TAILSPIN_DOMAIN}", "domain: tailspintoys.no"))
    plan = cspsync("plan", "examples/customers/tailspin-toys.yaml")
    assert (
        f"  @ tailspin-toys ← Tailspin Toys AS, tenant {TAILSPIN_ID}, domains {TAILSPIN_DOMAIN}, tailspintoys.no "
        "(the file declares its tenant id)" in plan.out
    ), plan.out
    applied = cspsync("apply", "examples/customers/tailspin-toys.yaml", "--yes")
    assert applied.code == 0, applied.out + applied.err
    assert f"✓ tailspin-toys/adopt-customer: done — adopted Tailspin Toys AS ({TAILSPIN_ID})" in applied.out
    other = path.read_text().replace("domain: tailspintoys.no", "domain: tailspintoys.se")
    path.write_text(other)
    refused = cspsync("plan", "examples/customers/tailspin-toys.yaml")
    assert refused.code == 1
    assert "the declared domain tailspintoys.se is not one of its domains" in refused.out


def test_the_first_match_is_a_loud_adoption_in_every_format_then_quiet(cspsync: Run, workdir: Path) -> None:
    files = ["examples/customers/adatum.yaml", "examples/customers/tailspin-toys.yaml"]
    text = cspsync("plan", *files, "--detailed-exitcode")
    assert text.code == 2
    assert "ADOPT: this plan brings 2 customer(s) that cspsync did not create under management" in text.out
    assert (
        f"  @ tailspin-toys ← Tailspin Toys AS, tenant {TAILSPIN_ID}, domains {TAILSPIN_DOMAIN} "
        "(the file declares its tenant id)" in text.out
    )
    assert "[ADOPT: cspsync did not create this customer]" in text.out
    assert "Plan: 2 to adopt, " in text.out

    markdown = cspsync("plan", *files, "--format", "markdown").out
    assert "> [!IMPORTANT]\n> **Adopts 2 customer(s) that cspsync did not create.**" in markdown
    assert "| customer | file | adopt | create | update | cancel | waiting |" in markdown
    assert "! @ adopt Adatum GmbH (tenant 7e2f4b6c-8a0d-4c2e-9f1b-3d5a7c9e0f12, domains adatum.de)" in markdown

    document = json.loads(cspsync("plan", *files, "--format", "json").out)
    adoptions = [a for a in document["actions"] if a["kind"] == "adopt-customer"]
    assert [(a["customer"], a["payload"]["evidence"], a["symbol"]) for a in adoptions] == [
        ("adatum", "declared-tenant-id", "@"),
        ("tailspin-toys", "declared-tenant-id", "@"),
    ]
    agreement = next(a for a in document["actions"] if a["id"] == "adatum/create-agreement")
    assert "adatum/adopt-customer" in agreement["depends_on"]

    applied = cspsync("apply", *files, "--yes")
    assert applied.code == 0, applied.out + applied.err
    assert f"✓ tailspin-toys/adopt-customer: done — adopted Tailspin Toys AS ({TAILSPIN_ID})" in applied.out
    again = cspsync("plan", *files)
    assert "adopt" not in again.out.lower()


class LoseCreateAnswer:
    """The emulator, but the answer to ``POST /v1/customers`` is lost after the customer was created."""

    def __init__(self, app: EmulatorApp, raise_: type[BaseException]) -> None:
        self.app = app
        self.raise_ = raise_
        self.armed = True

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = self.app(request)
        if self.armed and request.method == "POST" and request.url.path == "/v1/customers" and response.is_success:
            self.armed = False
            if self.raise_ is httpx.ReadTimeout:
                raise httpx.ReadTimeout("lost on the way back", request=request)
            raise self.raise_()
        return response


def lose_create_answer(monkeypatch: pytest.MonkeyPatch, raise_: type[BaseException]) -> None:
    monkeypatch.setattr(cspsync.emulator, "transport", lambda app: httpx.MockTransport(LoseCreateAnswer(app, raise_)))


CONTOSO = "examples/customers/contoso-bikes.yaml"
CONTOSO_DOMAIN = "contosobikes.onmicrosoft.com"


def test_a_killed_create_is_adopted_on_its_intent_loudly_and_its_lost_password_fails_the_apply(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        lose_create_answer(patch, KeyboardInterrupt)  # the process dies while the answer is on its way
        killed = cspsync("apply", CONTOSO, "--yes")
    assert killed.code == 130
    records = sorted((workdir / ".cspsync/applies").glob("*.json"))
    record = json.loads(records[-1].read_text())
    create = next(a for a in record["actions"] if a["id"] == "contoso-bikes/create-customer")
    assert create["status"] == "started"
    assert create["details"]["intent"]["companyName"] == "Contoso Bikes Ltd"
    assert record["finished_at"] is not None
    assert {a["status"] for a in record["actions"] if a["id"] != create["id"]} == {"skipped"}

    plan = cspsync("plan", CONTOSO)
    assert "@ contoso-bikes ← Contoso Bikes Ltd" in plan.out
    assert "(this repository's interrupted create explains it); its admin password is lost" in plan.out
    assert "cspsync credentials reset contoso-bikes" in plan.out

    applied = cspsync("apply", CONTOSO, "--yes")
    assert applied.code == 1, applied.out + applied.err
    assert "✓ contoso-bikes/adopt-customer: done" in applied.out
    assert "✓ contoso-bikes/order-subscription/fabrikam-contosobikes-m365bp: done" in applied.out
    assert "the admin password of contosobikes.onmicrosoft.com is lost" in applied.err

    listed = cspsync("credentials", "list", "--config", "examples/cspsync.yaml")
    assert "LOST contoso-bikes" in listed.out
    assert "cspsync credentials reset contoso-bikes" in listed.out
    assert cspsync("plan", CONTOSO, "--detailed-exitcode").code == 0


def test_an_intent_with_another_company_does_not_explain_a_customer(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone else took the prefix while this repository's create was interrupted: no adoption."""
    with monkeypatch.context() as patch:
        lose_create_answer(patch, KeyboardInterrupt)
        assert cspsync("apply", CONTOSO, "--yes").code == 130
    store = Store(workdir / ".cspsync" / "emulator.db")
    try:  # the create never landed as Contoso: another company holds the domain
        tenant = store.tenant_by_domain(CONTOSO_DOMAIN)
        assert tenant is not None
        store._write("UPDATE tenants SET company_name = 'Someone Else Ltd' WHERE id = ?", (tenant.id,))
    finally:
        store.close()
    before = emulator_state(workdir)[CONTOSO_DOMAIN]

    plan = cspsync("plan", CONTOSO)
    assert plan.code == 1
    assert "an interrupted create of this repository names another company or billing e-mail" in plan.out
    assert cspsync("apply", CONTOSO, "--yes").code == 1
    assert emulator_state(workdir)[CONTOSO_DOMAIN] == before


def test_a_timed_out_create_that_lost_its_password_is_a_failure_and_listed(
    cspsync: Run, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        lose_create_answer(patch, httpx.ReadTimeout)
        applied = cspsync("apply", CONTOSO, "--yes")
    assert applied.code == 1, applied.out + applied.err
    assert "✗ contoso-bikes/create-customer: failed — created tenant contosobikes.onmicrosoft.com" in applied.out
    assert "the create response was lost in transit" in applied.out
    assert "· contoso-bikes/create-agreement: skipped" in applied.out

    listed = cspsync("credentials", "list", "--config", "examples/cspsync.yaml")
    assert "LOST contoso-bikes" in listed.out
    shown = cspsync(
        "credentials", "show", "contoso-bikes", "-i", "examples/keys/demo-identity.agekey", "--config", CONFIG
    )
    assert shown.code == 1
    assert "cspsync credentials reset contoso-bikes" in shown.err

    # the record proves cspsync created it: the next apply goes on without an adoption
    again = cspsync("apply", CONTOSO, "--yes")
    assert again.code == 0, again.out + again.err
    assert "adopt" not in again.out
    assert "✓ contoso-bikes/create-agreement: done" in again.out


CONFIG = "examples/cspsync.yaml"


def test_apply_never_adopts_a_customer_found_at_the_domain_without_proof(cspsync: Run, workdir: Path) -> None:
    """The plan found the domain free; someone takes it before apply: the create handler refuses to adopt."""
    assert cspsync("plan", CONTOSO, "--out", "plan.json").code == 0
    from cspsync.apply.run import Applier
    from cspsync.declarations import load_repository
    from cspsync.emulator import transport
    from cspsync.partnercenter import PartnerCenterClient, StaticToken
    from cspsync.plan.model import Plan
    from cspsync.workspace import Workspace

    plan = Plan.from_json((workdir / "plan.json").read_text())
    store = Store(workdir / ".cspsync" / "emulator.db")
    try:
        other = store.add_customer(CONTOSO_DOMAIN, "Someone Else Ltd", "GB")
        before = emulator_state(workdir)[CONTOSO_DOMAIN]
        repo = load_repository([workdir / CONTOSO], config_path=workdir / CONFIG)
        client = PartnerCenterClient(
            base_url="https://api.partnercenter.microsoft.com",
            transport=transport(EmulatorApp(store)),
            tokens=StaticToken(),
        )
        record = Applier(plan, repo, client, Workspace(workdir / ".cspsync")).run()
        client.close()
    finally:
        store.close()
    create = record.results["contoso-bikes/create-customer"]
    assert create.status == "failed"
    assert f"already belongs to customer Someone Else Ltd (tenant {other})" in create.message
    assert "nothing was written to it" in create.message
    assert record.results["contoso-bikes/create-agreement"].status == "skipped"
    assert emulator_state(workdir)[CONTOSO_DOMAIN] == before


def test_a_renamed_metadata_name_is_blocked_and_told_to_put_the_old_name_back(cspsync: Run, workdir: Path) -> None:
    """metadata.name is a customer's identity in the repository: the tenant an apply created under the old
    name is never taken over under the new one, and the plan says what was found and what to change."""
    contoso = "examples/customers/contoso-bikes.yaml"
    assert cspsync("apply", contoso, "--yes").code == 0
    domain = "contosobikes.onmicrosoft.com"
    before = emulator_state(workdir)[domain]
    path = workdir / contoso
    path.write_text(path.read_text().replace("name: contoso-bikes", "name: contoso"))

    plan = cspsync("plan", contoso)
    assert plan.code == 1, plan.out + plan.err
    assert f"contoso  ({contoso})  create {domain} · conflict" in plan.out
    assert ": a customer this repository knows as contoso-bikes" in plan.out
    assert (
        'an apply of this repository created it for the customer then named "contoso-bikes", not for "contoso": '
        "nothing is applied to it. metadata.name is a customer's identity in this repository (its apply records "
        "and credentials are kept under it): if this file is that customer, put metadata.name: contoso-bikes back"
    ) in plan.out
    assert "no apply of this repository created it" not in plan.out
    assert "domainPrefix" not in plan.out  # the prefix is not the problem: choosing another would be a new tenant

    applied = cspsync("apply", contoso, "--yes")
    assert applied.code == 1, applied.out + applied.err
    assert emulator_state(workdir)[domain] == before
    path.write_text(path.read_text().replace("name: contoso", "name: contoso-bikes"))
    back = cspsync("plan", contoso)  # the old name back: the same customer again, in sync
    assert (back.code, "No changes. Partner Center matches the declarations.") == (0, back.out.splitlines()[-1])
