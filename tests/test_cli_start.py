"""A command's imports run with the cyclic collector paused, and it runs again for the command itself."""

from __future__ import annotations

import os
import subprocess
import sys


def test_the_collector_runs_again_once_a_command_is_imported() -> None:
    script = (
        "import gc, sys\n"
        "from cspsync.cli import cli\n"
        "assert 'cspsync.commands.apply' not in sys.modules\n"
        "command = cli.get_command(None, 'apply')\n"
        "print(command.name, gc.isenabled(), 'cspsync.commands.apply' in sys.modules, gc.get_freeze_count() > 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout == "apply True True True\n"


def test_help_lists_every_command_with_its_summary_and_imports_none_of_them() -> None:
    script = (
        "import sys\n"
        "from cspsync.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('imported:', sorted(m for m in sys.modules if m.startswith('cspsync.commands.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env={**os.environ, "COLUMNS": "100"}
    )
    from cspsync.cli import COMMANDS, SUMMARIES

    assert set(SUMMARIES) == set(COMMANDS)
    listed = done.stdout.split("Commands:\n", 1)[1].splitlines()
    assert [line.split(None, 1)[0] for line in listed[: len(COMMANDS)]] == sorted(COMMANDS)
    for name in COMMANDS:
        assert f"  {name:<12} {SUMMARIES[name]}\n" in done.stdout
    assert done.stdout.endswith("imported: []\n")
