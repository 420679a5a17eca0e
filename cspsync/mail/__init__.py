"""Delivering invitations: an SMTP server, Microsoft Graph sendMail, or the outbox folder (sent by hand).

Every transport is a :class:`Transport`: ``send(outgoing)`` first checks that the message goes to
exactly the address the customer file declares, and only then delivers. Failures are
:class:`DeliveryError`; no password or token is ever part of one. Kept light on purpose (the planner
imports :mod:`cspsync.invitations.schedule`): the transports and flows are imported from their modules.
"""

from cspsync.mail.base import Delivery, DeliveryError, Outgoing, Transport, guard_recipients

__all__ = ["Delivery", "DeliveryError", "Outgoing", "Transport", "guard_recipients"]
