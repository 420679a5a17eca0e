from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from cspsync.cli import cli, main
from cspsync.emulator import Store
from cspsync.errors import ConfigError

EXAMPLE_SEED = Path(__file__).parents[2] / "examples" / "emulator-seed.yaml"
REPO = Path(__file__).parents[2]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_seed_then_accept_invitation(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "emulator.db"
    seeded = runner.invoke(cli, ["emulator", "seed", str(EXAMPLE_SEED), "--db", str(db)])
    assert seeded.exit_code == 0, seeded.output
    assert seeded.output == (
        f"Seeded {db} from {EXAMPLE_SEED}: partner Fabrikam Cloud Distribution, 1 reseller(s), 4 tenant(s) of "
        "which 2 already customers.\n"
    )
    accepted = runner.invoke(cli, ["emulator", "accept-invitation", "litware.ie", "--db", str(db)])
    assert accepted.exit_code == 0, accepted.output
    assert accepted.output == (
        "litware.ie accepted the reseller relationship: Litware Ireland Ltd "
        "(tenant 2b7c9d1e-3f4a-4b5c-8d6e-7f8a9b0c1d2e) is now a customer of Fabrikam Cloud Distribution.\n"
    )
    new = runner.invoke(
        cli,
        [
            "emulator",
            "accept-invitation",
            "fineartschool.net",
            "--db",
            str(db),
            "--country",
            "FR",
            "--company-name",
            "Fine Art School",
        ],
    )
    assert new.output.startswith("fineartschool.net (a new tenant in the emulator's world) accepted")
    with Store(db) as store:
        assert store.customer_count() == 4
        tenant = store.tenant_by_domain("fineartschool.net")
        assert tenant is not None and (tenant.company_name, tenant.country) == ("Fine Art School", "FR")


def test_default_db_is_in_the_state_folder(runner: CliRunner, tmp_path: Path) -> None:
    state = tmp_path / "state"
    result = runner.invoke(cli, ["emulator", "accept-invitation", "litware.ie"], env={"CSPSYNC_STATE_DIR": str(state)})
    assert result.exit_code == 0, result.output
    assert (state / "emulator.db").is_file()
    assert (state / ".gitignore").is_file()
    reset = runner.invoke(cli, ["emulator", "reset"], env={"CSPSYNC_STATE_DIR": str(state)})
    assert reset.output == f"Deleted the emulator state in {state / 'emulator.db'}.\n"
    assert not (state / "emulator.db").exists()
    again = runner.invoke(cli, ["emulator", "reset"], env={"CSPSYNC_STATE_DIR": str(state)})
    assert again.output == f"No emulator state at {state / 'emulator.db'}.\n"


def test_errors_are_cspsync_errors(runner: CliRunner, tmp_path: Path) -> None:
    unknown = runner.invoke(
        cli, ["emulator", "accept-invitation", "x.net", "--reseller", "nope", "--db", str(tmp_path / "e.db")]
    )
    assert unknown.exit_code == 1
    assert isinstance(unknown.exception, ConfigError)
    assert str(unknown.exception) == "nope is not one of the partner's resellers."
    bad_seed = tmp_path / "bad.yaml"
    bad_seed.write_text("partner: {}\n", encoding="utf-8")
    result = runner.invoke(cli, ["emulator", "seed", str(bad_seed), "--db", str(tmp_path / "e.db")])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception).startswith(f"{bad_seed} is invalid: partner.name: Field required")


def test_serve_refuses_non_loopback_before_touching_state(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "emulator.db"
    with pytest.raises(SystemExit) as exited:
        main(["emulator", "serve", "--host", "0.0.0.0", "--db", str(db)])  # noqa: S104
    assert exited.value.code == 1
    assert capsys.readouterr().err == (
        "Error: The emulator only listens on loopback (127.0.0.1, ::1 or localhost); refusing to bind '0.0.0.0'.\n"
        "  hint: it has no real authentication, so it must not be reachable from other machines\n"
    )
    assert not db.exists()


def test_serve_rejects_bad_fault_settings(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["emulator", "serve", "--error-rate", "3", "--db", str(tmp_path / "e.db")])
    assert str(result.exception) == "The error rate must be between 0 and 1, not 3.0."
    result = runner.invoke(cli, ["emulator", "serve", "--latency-ms", "fast", "--db", str(tmp_path / "e.db")])
    assert str(result.exception) == "--latency-ms takes milliseconds (e.g. 20) or a range (e.g. 10-50), not 'fast'."


def test_serve_runs_until_ctrl_c(tmp_path: Path) -> None:
    db = tmp_path / "emulator.db"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cspsync",
            "emulator",
            "serve",
            "--db",
            str(db),
            "--seed",
            str(EXAMPLE_SEED),
            "--page-size",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Partner Center emulator listening on http://127.0.0.1:")
        assert first.endswith(f" (state: {db})\n")
        assert process.stdout.readline() == "Partner: Fabrikam Cloud Distribution; 2 customer(s)\n"
        url = first.split(" listening on ")[1].split(" ")[0]
        assert process.stdout.readline() == f"Point cspsync at it:       export CSPSYNC_EMULATOR_URL={url}\n"
        assert process.stdout.readline() == (
            f"Rehearse a real target:    export CSPSYNC_REHEARSAL_URL={url}  (sign-in included)\n"
        )
        assert process.stdout.readline() == "Press Ctrl-C to stop\n"
        page = httpx.get(url + "/v1/customers", headers={"Authorization": "Bearer t"}, timeout=5).json()
        assert page["totalCount"] == 1 and "next" in page["links"]
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert (process.returncode, out, err) == (0, "Stopping.\n", "")


def _served_head(args: list[str], cwd: Path) -> tuple[str, str, str]:
    """``cspsync emulator serve ARGS`` in ``cwd``: its first two lines, then what it says on stderr once stopped."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("CSPSYNC_STATE_DIR", None)
    command = [sys.executable, "-m", "cspsync", "emulator", "serve", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    try:
        assert process.stdout is not None
        first, second = process.stdout.readline(), process.stdout.readline()
        while process.stdout.readline() not in ("Press Ctrl-C to stop\n", ""):  # "" at the end: it stopped
            pass
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    return first, second, err


def test_serve_makes_a_new_state_from_the_repositorys_seed_as_plan_does(tmp_path: Path) -> None:
    """A partner's repository with its own emulator-seed.yaml: plan and apply seed a new state from it, but
    serve made the built-in world, so a plan against the served emulator saw other customers than one without."""
    repo = tmp_path / "declarations"
    repo.mkdir()
    (repo / "cspsync.yaml").write_text((REPO / "examples" / "cspsync.yaml").read_text())
    seed = EXAMPLE_SEED.read_text()
    one_more = seed.replace(
        "tenants:\n",
        "tenants:\n  - domain: wingtip.example\n    companyName: Wingtip Toys Ltd\n    country: GB\n"
        "    customer: true\n",
        1,
    )
    (repo / "emulator-seed.yaml").write_text(one_more)

    first, second, err = _served_head(["--config", "declarations/cspsync.yaml"], tmp_path)

    assert first.endswith(f" (state: {repo / '.cspsync' / 'emulator.db'})\n")
    assert second == "Partner: Fabrikam Cloud Distribution; 3 customer(s)\n"
    assert err == ""


def test_serve_where_no_cspsync_yaml_is_says_that_plan_and_apply_use_another_state(tmp_path: Path) -> None:
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "cspsync.yaml").write_text((REPO / "examples" / "cspsync.yaml").read_text())

    first, second, err = _served_head([], tmp_path)

    assert first.endswith(" (state: .cspsync/emulator.db)\n")
    assert second == "Partner: Fabrikam Cloud Distribution; 2 customer(s)\n"
    assert err == (
        "note: no cspsync.yaml here or above, so this is not the state plan and apply use: plan and apply keep it "
        "next to their cspsync.yaml: pass --config examples/cspsync.yaml, or --db with the file\n"
    )


def test_seed_with_a_price_sheet_sells_the_partners_own_catalog(runner: CliRunner, tmp_path: Path) -> None:
    """The license-based price sheet's columns ("Get a price sheet"); one sheet per market."""
    from cspsync.emulator import EmulatorApp, transport

    header = (
        '"ProductTitle","ProductId","SkuId","SkuTitle","Publisher","SkuDescription","UnitOfMeasure","TermDuration",'
        '"BillingPlan","Market","Currency","UnitPrice","PricingTierRangeMin","PricingTierRangeMax",'
        '"EffectiveStartDate","EffectiveEndDate","Tags","ERP Price"\n'
    )

    def row(term: str, plan: str, market: str, currency: str, price: str) -> str:
        return (
            f'"Microsoft 365 E5","CFQ7TTC0LFLZ","0002","Microsoft 365 E5","Microsoft Corporation","E5","1 License",'
            f'"{term}","{plan}","{market}","{currency}","{price}","","","11/1/2026 12:00:00 AM","","License","0"\n'
        )

    gb = tmp_path / "gb.csv"
    gb.write_text(header + row("P1Y", "Monthly", "GB", "GBP", "41.10") + row("P1Y", "Annual", "GB", "GBP", "493.20"))
    ca = tmp_path / "ca.csv"
    ca.write_text(header + row("P1Y", "Monthly", "CA", "CAD", "70.80"))
    db = tmp_path / "emulator.db"
    args = ["emulator", "seed", str(EXAMPLE_SEED), "--db", str(db), "--price-sheet", str(gb), "--price-sheet", str(ca)]
    seeded = runner.invoke(cli, args)
    assert seeded.exit_code == 0, seeded.output
    assert seeded.output.splitlines()[1:] == [
        "Catalog from 2 price sheet(s): 2 offer(s) in CA, GB.",
        "Warning: the sheets price nothing in DE, FR, IE, NL, NO, where the partner sells.",
    ]
    app = EmulatorApp(Store(db))
    with httpx.Client(transport=transport(app), base_url="https://pc", headers={"Authorization": "Bearer t"}) as http:
        online = http.get("/v1/products", params={"country": "CA", "targetView": "OnlineServices"}).json()
        assert [p["id"] for p in online["items"]] == ["CFQ7TTC0LFLZ"]
        availability = http.get("/v1/products/CFQ7TTC0LFLZ/skus/0002/availabilities", params={"country": "CA"})
        terms = availability.json()["items"][0]["terms"]
        assert [(t["duration"], t["billingCycle"]) for t in terms] == [("P1Y", "monthly")]  # CA has no annual row
        assert http.get("/v1/products/CFQ7TTC0LCHC", params={"country": "GB"}).status_code == 404  # not in the sheet
        sheet = http.get(
            "/v1.0/sales/pricesheets(Market='GB',PricesheetView='updatedlicensebased')/$value",
            headers={"Accept-Encoding": "identity"},
        )
        assert '"CFQ7TTC0LFLZ","0002","Microsoft 365 E5","Microsoft Corporation"' in sheet.text
        assert '"GB","GBP","493.20"' in sheet.text
    app.close()


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_stops_in_order_on_a_signal_at_any_moment_after_start(tmp_path: Path, number: int) -> None:
    """Ctrl-C or a container's SIGTERM, even the moment the first line is out (before the server loop runs):
    the server stops, says so and exits 0, never left running (a KeyboardInterrupt raised inside the
    shutdown used to leave it serving now and then)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "cspsync", "emulator", "serve", "--db", str(tmp_path / "e.db")]
    for attempt in range(3):
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            assert process.stdout is not None
            assert process.stdout.readline().startswith("Partner Center emulator listening on")
            if attempt:
                for _ in range(4):
                    process.stdout.readline()
            process.send_signal(number)
            out, err = process.communicate(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
        assert (process.returncode, out.splitlines()[-1], err) == (0, "Stopping.", ""), attempt


def test_reset_from_a_folder_with_no_cspsync_yaml_is_an_error_not_nothing_to_delete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """From above the repository, reset said "No emulator state at .cspsync/emulator.db." and exited 0, while
    the world plan and apply use (examples/.cspsync) lived on."""
    world = tmp_path / "examples" / ".cspsync" / "emulator.db"
    world.parent.mkdir(parents=True)
    (tmp_path / "examples" / "cspsync.yaml").write_text((REPO / "examples" / "cspsync.yaml").read_text())
    world.write_bytes(b"the world")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CSPSYNC_STATE_DIR", raising=False)

    with pytest.raises(SystemExit) as exited:
        main(["emulator", "reset"])

    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "Error: No emulator state at .cspsync/emulator.db: nothing has been planned or applied against it.\n"
        "  hint: plan and apply keep it next to their cspsync.yaml: pass --config examples/cspsync.yaml, or --db "
        "with the file\n"
    )
    assert world.read_bytes() == b"the world"
    assert not (tmp_path / ".cspsync").exists()

    with pytest.raises(SystemExit) as exited:
        main(["emulator", "reset", "--config", "examples/cspsync.yaml"])

    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(f"Deleted the emulator state in {world}.\n")
    assert not world.exists()
