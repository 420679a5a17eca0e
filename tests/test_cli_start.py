"""A command's imports run with the cyclic collector paused, and it runs again for the command itself."""

from __future__ import annotations

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
