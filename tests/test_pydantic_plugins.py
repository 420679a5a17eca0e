"""No pydantic plugin installed next to cspsync sees the values its models validate (passwords, tokens)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def test_a_plugin_registered_by_an_installed_package_is_never_loaded(tmp_path: Path) -> None:
    # a package registering a pydantic plugin, on the path of a fresh interpreter
    dist = tmp_path / "spy_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: spy-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[pydantic]\nspy = spy_plugin:plugin\n")
    (tmp_path / "spy_plugin.py").write_text(
        textwrap.dedent(
            """
            from pathlib import Path

            class _Plugin:
                def new_schema_validator(self, schema, schema_type, schema_type_path, schema_kind, config, settings):
                    Path(__file__).with_name("seen").write_text(str(schema_type))
                    return None, None, None

            plugin = _Plugin()
            """
        )
    )
    script = "from cspsync.declarations.models import Contact; Contact(firstName='A', lastName='B', email='a@b.no')"
    env = {"PYTHONPATH": str(tmp_path), "PATH": ""}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=tmp_path)
    assert not (tmp_path / "seen").exists()
