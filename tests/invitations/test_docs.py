"""docs/invitations.md names only real commands, flags and cspsync.yaml keys, and every invitations
command has help."""

from __future__ import annotations

import re

import click
from click.testing import CliRunner

from cspsync.cli import COMMANDS, cli
from cspsync.commands.invitations import invitations
from cspsync.declarations.schema import load_schema

from .conftest import REPO

DOC = (REPO / "docs" / "invitations.md").read_text(encoding="utf-8")


def test_every_command_and_flag_in_the_doc_exists() -> None:
    used = set(re.findall(r"(?:^|\$ |`)cspsync ([a-z-]+)", DOC, re.MULTILINE))
    assert {"plan", "apply", "invitations", "emulator", "credentials"} <= used <= set(COMMANDS)
    subcommands = set(re.findall(r"cspsync invitations ([a-z-]+)", DOC))
    assert subcommands == set(invitations.commands) == {"preview", "remind", "status"}
    for name, flag in (("preview", "--html"), ("remind", "--dry-run")):
        options = {o for p in invitations.commands[name].params for o in getattr(p, "opts", [])}
        assert flag in options and flag in DOC


def test_the_documented_config_keys_are_the_schemas() -> None:
    schema = load_schema("config")
    invitation_keys = set(schema["properties"]["invitations"]["properties"])
    smtp_keys = set(schema["$defs"]["smtpServer"]["properties"])
    block = DOC.split("## Configure delivery", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    documented = set(re.findall(r"^  ([a-zA-Z]+):", block, re.MULTILINE))
    nested = set(re.findall(r"^    ([a-zA-Z]+):", block, re.MULTILINE))
    assert documented == invitation_keys - {"graph"}
    assert nested == smtp_keys
    assert "graph: {mailbox:" in DOC


def test_every_invitations_command_has_help() -> None:
    runner = CliRunner()
    for name, command in invitations.commands.items():
        result = runner.invoke(cli, ["invitations", name, "--help"])
        assert result.exit_code == 0, name
        assert isinstance(command, click.Command) and command.help, name
    apply_help = runner.invoke(cli, ["apply", "--help"]).output
    assert "--resend" in apply_help


def test_the_doc_never_says_an_example_file_names_a_reseller_it_does_not() -> None:
    """Issue 13: the doc said Woodgrove Bank's file names Northwind Traders IT; the file sells directly."""
    for path in sorted((REPO / "examples" / "customers").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        company = re.search(r"^    name: (.+)$", text, re.MULTILINE)
        assert company is not None
        short = " ".join(company.group(1).split()[:2])  # "Woodgrove Bank"
        claims = re.search(rf"{re.escape(short)}'s file says `reseller: ([^`]+)`", DOC)
        if claims:
            assert f"reseller: {claims.group(1)}" in text, path.name
    assert "woodgrove-bank.yaml` (above `tenant:`; the example\nfile sells directly)" in DOC
