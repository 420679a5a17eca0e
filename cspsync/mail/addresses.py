"""Recipient addresses are checked with email-validator before a message is built."""

from __future__ import annotations

import ipaddress

from email_validator import EmailNotValidError, validate_email

from cspsync.mail.base import DECLARED_FIELD, DeliveryError


def checked_address(address: str, *, where: str, check_deliverability: bool = False) -> str:
    """``address`` when it is a real address (syntax; the domain's mail records only when asked), else a
    DeliveryError located at the customer file's field."""
    try:
        validate_email(address, check_deliverability=check_deliverability)
    except EmailNotValidError as err:
        raise DeliveryError(
            f"{where}: {DECLARED_FIELD}: {address!r} is not an address an invitation can be sent to: {err}",
            hint="correct the address in the customer file; nothing was sent",
        ) from None
    return address


def is_loopback(host: str) -> bool:
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
