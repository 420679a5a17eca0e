"""The fallback when no mail transport is configured: a standard ``.eml`` file in ``.cspsync/outbox/``.

Any mail client opens and sends it; the plan and the apply output say that a person must do so.
"""

from __future__ import annotations

from cspsync.mail.base import Delivery, Outgoing, Transport
from cspsync.workspace import Workspace


class OutboxTransport(Transport):
    name = "outbox"

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def __repr__(self) -> str:
        return f"OutboxTransport({str(self.workspace.outbox)!r})"

    def _deliver(self, outgoing: Outgoing, to: str) -> Delivery:
        self.workspace.outbox.mkdir(parents=True, exist_ok=True)
        path = self.workspace.outbox / f"{outgoing.name}.eml"
        path.write_bytes(bytes(outgoing.mail))
        return Delivery(self.name, outgoing.message_id, to, detail=str(path), by_hand=True, file=str(path))
