"""`cspsync auth status` shows Entra ID's words (an error description, a token's user) escaped for the terminal."""

from __future__ import annotations

from cspsync.partnercenter.identity import OPERATIONS
from cspsync.partnercenter.status import Capability, Status
from cspsync.render.auth_status import format_status

HOSTILE = "AADSTS50076 \x1b]8;;https://evil.example\x07sign in here\x1b]8;;\x07\n::error::forged"


def test_an_error_description_from_entra_id_is_shown_escaped() -> None:
    failing = Capability(False, f"App+User from the environment: no token ({HOSTILE})", HOSTILE, "run `cspsync login`")
    operation = next(iter(OPERATIONS.values()))
    status = Status(
        "partner-center", Capability(True, "app-only token (app)"), failing, None, None, [(operation, failing)]
    )

    text = format_status(status)

    assert "\x1b" not in text and "\x07" not in text
    assert "\n::error::forged" not in text
    assert "  - AADSTS50076 \\x1b]8;;https://evil.example\\x07sign in here\\x1b]8;;\\x07\\n::error::forged\n" in text
    assert "    fix: run `cspsync login`\n" in text
