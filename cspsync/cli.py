"""The ``cspsync`` command line: thin by design.

Each command lives in ``cspsync/commands/<name>.py`` and is imported only when it runs, so ``cspsync
validate`` does not pay for httpx, msal or rich. Every error exits 1 (usage errors included: click's 2
would read as "changes present" to a CI script using ``--detailed-exitcode``); Ctrl-C exits 130; a bug
exits 3 with the traceback written to a file instead of the screen.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from cspsync import __version__
from cspsync.collector import collector_paused
from cspsync.errors import CspsyncError
from cspsync.render import escape

# command name -> "module:attribute"; the module is imported on first use.
COMMANDS: dict[str, str] = {
    "validate": "cspsync.commands.validate:validate",
    "plan": "cspsync.commands.plan:plan",
    "apply": "cspsync.commands.apply:apply",
    "credentials": "cspsync.commands.credentials:credentials",
    "emulator": "cspsync.commands.emulator:emulator",
    "invitations": "cspsync.commands.invitations:invitations",
    "history": "cspsync.commands.history:history",
    "import": "cspsync.commands.import_:import_",
    "drift": "cspsync.commands.drift:drift",
    "merge-plans": "cspsync.commands.shards:merge_plans_command",
    "login": "cspsync.commands.login:login",
    "auth": "cspsync.commands.auth:auth",
    "renewals": "cspsync.commands.renewals:renewals",
}


#: command name -> the line ``cspsync --help`` lists it with: listing from the commands themselves imported every
#: one of them (httpx, the planner, the emulator), 0.5 s before the help showed
SUMMARIES: dict[str, str] = {
    "validate": "Check the customer files and cspsync.yaml; change nothing.",
    "plan": "Show what apply would do; --out saves it for review.",
    "apply": "Apply the customer files, or exactly a reviewed saved plan.",
    "credentials": "One-time admin credentials of the tenants cspsync created.",
    "emulator": "Run and steer the built-in Partner Center emulator.",
    "invitations": "Reseller invitations: preview, reminders, where each stands.",
    "history": "The audit trail of one customer.",
    "import": "Declare the customers Partner Center has and no file declares.",
    "drift": "Report every difference of Partner Center from the files.",
    "merge-plans": "Merge the shard plans of `plan --shard I/N` into one.",
    "login": "Sign in as a partner user (Admin agent) with MFA.",
    "auth": "Partner Center identities: check them before a plan.",
    "renewals": "The subscriptions that renew in the next days.",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported when they are invoked, never to be listed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands with their summaries, none of them imported."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, SUMMARIES[name]) for name in self.list_commands(ctx)])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        if module_name in sys.modules:
            module = sys.modules[module_name]
        else:
            with collector_paused():  # its imports: see cspsync/collector.py
                module = importlib.import_module(module_name)
        command = getattr(module, attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cspsync")
def cli() -> None:
    """Manage Microsoft CSP customers as code: validate, plan and apply YAML declarations.

    With no Partner Center credentials configured, every command runs against the built-in emulator
    (state in .cspsync/) and says so in its output.
    """


def _write_crash_log() -> str:
    import tempfile  # only after a crash: kept out of every command's start-up
    import traceback

    fd, path = tempfile.mkstemp(prefix="cspsync-crash-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(traceback.format_exc())
    return path


#: set by a command that only reads and prints (``validate``): the console script then leaves with
#: ``os._exit`` once its output is flushed, instead of freeing every object one by one (~13 ms of a 0.66 s
#: validate of 10,000 files, bench/README.md). Every other command exits as usual: atexit handlers, worker
#: threads and finalizers run.
_teardown_skippable = False


def nothing_to_tear_down() -> None:
    """Called by a command that wrote nothing but its output and holds nothing that must be closed."""
    global _teardown_skippable
    _teardown_skippable = True


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the console script; returns through ``sys.exit`` with cspsync's exit codes."""
    # no line a customer file or Partner Center controls can pass for a GitHub workflow command
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = escape.guard(sys.stdout), escape.guard(sys.stderr)
    try:
        _main(argv)
    except SystemExit as exit_:
        if argv is None and _teardown_skippable and isinstance(exit_.code, int):  # the console script only
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(exit_.code)
        raise
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = streams


def _main(argv: list[str] | None) -> None:
    try:
        rv = cli.main(args=argv, prog_name="cspsync", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(1)
    except CspsyncError as err:
        click.echo(escape.terminal_block(f"Error: {err}"), err=True)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except click.exceptions.Exit as err:
        sys.exit(err.exit_code)
    except Exception:  # a bug in cspsync, not the user's input
        path = _write_crash_log()
        click.echo(
            f"Internal error in cspsync {__version__}: this is a bug, not your input. "
            f"Details were written to {path}; please attach it to a bug report.",
            err=True,
        )
        sys.exit(3)
    sys.exit(rv if isinstance(rv, int) else 0)
