"""Microsoft Entra built-in roles that a GDAP relationship can grant, by role template id and by name.

GDAP grants built-in Microsoft Entra roles only, named by their role template id (``roleDefinitionId`` in
``accessDetails.unifiedRoles``; Graph: resources/delegatedadminaccessdetails.md, the examples of
api/tenantrelationship-post-delegatedadminrelationships.md). The ids are the same in every tenant
(learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference). A declaration may
write a role by id or by its name here, in any case; anything else is an error, because Partner Center
refuses custom roles in GDAP (partner-center/gdap-introduction: "only built-in Microsoft Entra roles").
"""

from __future__ import annotations

from collections.abc import Iterable

#: role template id -> name (permissions-reference). Lower-case ids: that is how they are compared.
BUILT_IN_ROLES: dict[str, str] = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451": "Global Reader",
    "88d8e3e3-8f55-4a1e-953a-9b9898b8876b": "Directory Readers",
    "9360feb5-f418-4baa-8175-e2a00bac4301": "Directory Writers",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
    "966707d0-3269-4727-9be2-8c3a10f19b9d": "Password Administrator",
    "4d6ac14f-3453-41d0-bef9-a3e0c569773a": "License Administrator",
    "f023fd81-a637-4b56-95fd-791ac0226033": "Service Support Administrator",
    "b0f54661-2d74-4c50-afa3-1ec803f12efe": "Billing Administrator",
    "e8611ab8-c189-46e8-94e1-60213ab1f814": "Privileged Role Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
    "c4e39bd9-1100-46d3-8c65-fb160da0071f": "Authentication Administrator",
    "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
    "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
    "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f": "Security Operator",
    "5d6b6bb7-de71-4623-b4af-96380a352509": "Security Reader",
    "17315797-102d-40b4-93e0-432062caca18": "Compliance Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "7698a772-787b-4ac8-901f-60d6b08affd2": "Cloud Device Administrator",
    "8329153b-31d0-4727-b945-745eb3bc5f31": "Domain Name Administrator",
    "fdd7a751-b60b-444a-984c-02652fe8fa1c": "Groups Administrator",
    "4a5d8f65-41da-4de4-8968-e035b65339cf": "Reports Reader",
    "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
    "31392ffb-586c-42d1-9346-e59415a2cc4e": "Exchange Recipient Administrator",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
    "69091246-20e8-4a56-aa4d-066075b2a7a8": "Teams Administrator",
    "3a2c62db-5318-420d-8d74-23affee5d9d5": "Intune Administrator",
    "11451d60-acb2-45eb-a7d6-43d0f0125c13": "Windows 365 Administrator",
    "2b745bdf-0803-4d80-aa65-822c4493daac": "Office Apps Administrator",
    "44367163-eba1-44c3-98af-f5787879f96a": "Dynamics 365 Administrator",
    "11648597-926c-4cf3-9c36-bcebb0ba8dcc": "Power Platform Administrator",
}

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"

#: the roles of the Default GDAP relationship that ``POST /v1/customers`` creates (partner-center
#: customers/gdap-faq, "Default GDAP"); the emulator grants the same (a test keeps the two equal)
DEFAULT_GDAP_ROLES: tuple[str, ...] = (
    "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",  # Directory Readers
    "9360feb5-f418-4baa-8175-e2a00bac4301",  # Directory Writers
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451",  # Global Reader
    "4d6ac14f-3453-41d0-bef9-a3e0c569773a",  # License Administrator
    "f023fd81-a637-4b56-95fd-791ac0226033",  # Service Support Administrator
    "fe930be7-5e62-47db-91af-98c3a49a38b1",  # User Administrator
    "e8611ab8-c189-46e8-94e1-60213ab1f814",  # Privileged Role Administrator
    "729827e3-9c14-49f7-bb1b-9608f156bbb8",  # Helpdesk Administrator
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",  # Privileged Authentication Administrator
)

_BY_NAME = {name.casefold(): role_id for role_id, name in BUILT_IN_ROLES.items()}


def role_id(reference: str) -> str | None:
    """The template id a declaration means by ``reference`` (an id or a name, any case); None if unknown."""
    text = " ".join(reference.split()).casefold()
    if text in BUILT_IN_ROLES:
        return text
    return _BY_NAME.get(text)


def role_name(template_id: str) -> str:
    """The role's name, or its id when cspsync does not know it (a role seen in Graph, never declared)."""
    return BUILT_IN_ROLES.get(template_id.lower(), template_id.lower())


def role_names(template_ids: Iterable[str]) -> list[str]:
    return sorted(role_name(r) for r in template_ids)


def known_role_names() -> list[str]:
    return sorted(BUILT_IN_ROLES.values())
