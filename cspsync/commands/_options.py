"""Option bundles shared by commands (one decorator per bundle) and small CLI-only helpers."""

from __future__ import annotations

import errno
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cspsync.errors import BlockedError, ConfigError, OutputError, unwritable_reason
from cspsync.workspace import is_stream

if TYPE_CHECKING:  # the plan's models (pydantic, payloads) stay out of `cspsync validate`
    from cspsync.plan.model import Plan

F = TypeVar("F", bound=Callable[..., Any])


def config_option(fn: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="cspsync.yaml to use (default: found next to the declarations or in a parent folder).",
    )(fn)


def target_option(fn: F) -> F:
    return click.option(
        "--target",
        type=click.Choice(["emulator", "partner-center", "partner-center-sandbox"]),
        default=None,
        help="Where to plan and apply (default: cspsync.yaml's target; the emulator when none is set). "
        "partner-center-sandbox is the integration sandbox, with its own CSPSYNC_SANDBOX_* credentials.",
    )(fn)


def format_option(choices: Sequence[str], described: str) -> Callable[[F], F]:
    """``--format`` (as ``fmt``), text by default: the one definition of the option every report takes."""

    def decorate(fn: F) -> F:
        return click.option(
            "--format", "fmt", type=click.Choice(list(choices)), default="text", show_default=True, help=described
        )(fn)

    return decorate


#: ``plan`` and ``merge-plans``
plan_format_option = format_option(
    ("text", "markdown", "json"), "How to print the plan: terminal text, Markdown for a pull request, or JSON."
)


class FiniteRange(click.FloatRange):
    """A number between ``min`` and ``max``: click's range lets "nan" through (it compares false with both
    ends), which then crashed as a bug where a time span was made of it."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number", param, ctx)
        return number


#: how declarations are named (customer files, cspsync.yaml): never a name for what a command writes
DECLARATION_SUFFIXES = (".yaml", ".yml")


class OutputFile(click.Path):
    """A file the command writes beside what it prints: ``-`` is refused, not taken as a file named "-" in
    the working folder (where a user who meant stdout would never look); stdout already carries the
    rendering, whose form ``--format`` chooses. A YAML name is refused too: it is how declarations are named,
    and writing the output over a customer file or cspsync.yaml replaced it without a word."""

    def __init__(self, example: str) -> None:
        """``example``: a file name of the kind written (``plan.json``), offered instead of a YAML one."""
        super().__init__(path_type=Path, dir_okay=False)
        self.example = example

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value == "-":
            self.fail(
                "'-' is not taken for stdout here: stdout already shows the rendering (--format chooses "
                "text, markdown or json); name a file, or ./- for a file called '-'",
                param,
                ctx,
            )
        if str(value).lower().endswith(DECLARATION_SUFFIXES):
            self.fail(
                f"{value} is named like a declaration (customer files and cspsync.yaml are YAML), and writing "
                f"there would replace it; name a {Path(self.example).suffix} file, such as {self.example}",
                param,
                ctx,
            )
        return super().convert(value, param, ctx)


def refuse_replacing(
    output: Path,
    option: str,
    *,
    inputs: Iterable[Path] = (),
    inputs_are: str = "files",
    state: Path | None = None,
    json_only: bool = False,
) -> None:
    """Before the work, refuse an output that would replace something, all of which was replaced without a
    word: one of the command's own ``inputs`` whatever its name (a customer file planned, a plan merged);
    anything in the ``state`` folder (apply records, the invitations ledger, the emulator, price sheets);
    and, for a JSON output, an existing file that is not JSON (an encrypted credentials file, an age key, a
    template)."""
    target = Path(os.path.realpath(output))
    for given in inputs:
        if Path(os.path.realpath(given)) == target:
            named = "" if str(given) == str(output) else f" ({given})"
            raise ConfigError(
                f"{option} {output} is one of the {inputs_are} this command reads{named}: writing there would "
                "replace it",
                hint=f"name another file for {option}",
            )
    if state is not None and target.is_relative_to(os.path.realpath(state)):
        raise ConfigError(
            f"{option} {output} is in the state folder {state}, which holds the apply records, credentials, the "
            "invitations ledger and the emulator: writing there could replace one of them",
            hint=f"name a file outside {state}",
        )
    if json_only and target.is_file() and target.suffix.lower() != ".json":
        raise ConfigError(
            f"{option} {output} exists and is not a .json file: writing JSON there would replace it",
            hint="name a new file, or a .json file to replace",
        )


def full_read_options(fn: F) -> F:
    """``--full-read`` and ``--full-read-every``: when the memory of the last observation is not used."""
    fn = click.option(
        "--full-read-every",
        "full_read_every",
        type=FiniteRange(min=0, max=87_600),  # ten years: any more is "never" and overflows a time span
        default=24.0,
        show_default=True,
        metavar="HOURS",
        help="Read every customer when the last full read is older than this (0: always).",
    )(fn)
    return click.option(
        "--full-read",
        is_flag=True,
        help="Read every customer, not only those Partner Center's audit records name since the last run.",
    )(fn)


def paths_argument(fn: F) -> F:
    return click.argument("paths", nargs=-1, type=click.Path(path_type=Path, exists=True))(fn)


def blocked_error(plan: Plan) -> BlockedError | None:
    """The error for a plan whose actions are blocked or refused (shown above it, each with its reason)."""
    stuck = plan.stuck
    if not stuck:
        return None
    shown = ", ".join(a.id for a in stuck[:5]) + (f" and {len(stuck) - 5} more" if len(stuck) > 5 else "")
    return BlockedError(
        f"{len(stuck)} action(s) are blocked or refused, so they cannot be applied as declared: {shown}",
        hint="each one says above why, and what to change in the file or in cspsync.yaml",
    )


@contextmanager
def writing(path: Path, what: str, *, folder: bool = False) -> Iterator[None]:
    """Writing ``what`` to the user's ``path`` (a file, or a ``folder`` of files): a folder that does not exist
    and cannot be made, no permission or a full disk is the user's to fix (exit 1, the path and the reason),
    not a crash."""
    try:
        yield
    except OSError as err:
        reason = unwritable_reason(path if folder else path.parent, err)
        raise OutputError(
            f"cannot write {what} to {path}: {reason}", hint="name a file in a folder you can write to"
        ) from None


def check_writable(path: Path, what: str, *, folder: bool = False) -> None:
    """Before the work, not after it: the folder of ``path`` (``path`` itself when ``folder``) exists (made
    when missing) and takes a new file. A plan of thousands of customers takes minutes to read; it must not
    end in "cannot write"."""
    with writing(path, what, folder=folder):
        if not folder and is_stream(path):  # written straight, not replaced: it only has to take writes
            if not os.access(path, os.W_OK):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
            return
        where = path if folder else Path(os.path.realpath(path)).parent  # where the file's replacement is made
        where.mkdir(parents=True, exist_ok=True)
        descriptor, probe = tempfile.mkstemp(dir=where, prefix=".cspsync-probe-")
        os.close(descriptor)
        os.unlink(probe)


def stdout_is_tty() -> bool:
    return sys.stdout.isatty()


def refuse_another_partner(partner_tenant: str) -> None:
    """CI names the partner tenant it serialises on (CSPSYNC_PARTNER_TENANT_ID, the workflows' concurrency
    group): writing for another partner from that job would run beside that partner's own applies."""
    named = os.environ.get("CSPSYNC_PARTNER_TENANT_ID")
    if named and named.lower() != partner_tenant.lower():
        raise ConfigError(
            f"CSPSYNC_PARTNER_TENANT_ID is {named!r}, but cspsync.yaml's partner.tenantId is {partner_tenant}",
            hint="set CSPSYNC_PARTNER_TENANT_ID and the concurrency group of the workflow to partner.tenantId",
        )
