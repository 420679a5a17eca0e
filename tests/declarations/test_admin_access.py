"""spec.adminAccess and cspsync.yaml's adminAccess: the GDAP rules a validator must enforce, each with a
message that says why (file:line:col: field: message)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from cspsync.declarations import load_repository
from cspsync.declarations.access import duration_days, resolve
from cspsync.declarations.keys import FIRST_GENERATION, relationship_generation, replacement_name
from cspsync.declarations.roles import DEFAULT_GDAP_ROLES, role_id

from .support import CONFIG, CUSTOMER, Repo, edit

INVITED = edit(
    CUSTOMER,
    "    mode: create\n    domainPrefix: contosobikes\n",
    "    mode: invite\n    domain: contosobikes.co.uk\n    invitationEmail: it@contosobikes.co.uk\n",
)


def with_access(text: str, block: str) -> str:
    return text + "  adminAccess:\n" + block


RELATIONSHIP = """\
    relationships:
      - name: fabrikam-contoso-support
        duration: P730D
        autoExtend: true
        templates: [helpdesk]
"""


def test_a_relationship_from_a_template_is_valid_and_resolves_to_its_roles_and_groups(
    customer_problems: Callable[[str], list[str]], repo: Repo
) -> None:
    assert customer_problems(with_access(INVITED, RELATIONSHIP)) == []
    repository = load_repository([repo.root / "customers"])
    (declared,) = repository.customers
    (relationship,) = resolve(declared.customer, repository.config)
    assert relationship.name == "fabrikam-contoso-support"
    assert relationship.auto_extend_duration == "P180D"
    assert len(relationship.roles) == 5
    (assignment,) = relationship.assignments
    assert assignment.group == "helpdesk-agents"
    assert assignment.group_id == "0c6f3e2a-8b1d-4c5e-9f7a-2b3c4d5e6f70"
    assert assignment.roles == relationship.roles


def test_unknown_roles_templates_and_groups_are_named_with_a_guess(
    customer_problems: Callable[[str], list[str]],
) -> None:
    block = """\
    relationships:
      - name: fabrikam-contoso-support
        templates: [helpdesc]
        roles: [Helpdesk Admin, 00000000-0000-0000-0000-000000000001]
        assignments:
          - group: helpdesk-agent
            roles: [helpdesk administrator]
"""
    assert customer_problems(with_access(INVITED, block)) == [
        "customers/c.yaml:43:21: spec.adminAccess.relationships[0].templates[0]: is not a role template in "
        'cspsync.yaml adminAccess.roleTemplates; did you mean "helpdesk"?',
        "customers/c.yaml:44:17: spec.adminAccess.relationships[0].roles[0]: 'Helpdesk Admin' is not a Microsoft "
        'Entra built-in role name or role template id; did you mean "Helpdesk Administrator"?',
        "customers/c.yaml:44:33: spec.adminAccess.relationships[0].roles[1]: '00000000-0000-0000-0000-000000000001' "
        "is not a Microsoft Entra built-in role name or role template id (see docs/gdap.md for the names cspsync "
        "knows)",
        "customers/c.yaml:46:20: spec.adminAccess.relationships[0].assignments[0].group: is neither a security group "
        'of cspsync.yaml nor a group object id; did you mean "helpdesk-agents"?',
        "customers/c.yaml:47:21: spec.adminAccess.relationships[0].assignments[0].roles[0]: Helpdesk Administrator "
        "is not one of the roles of this relationship: an access assignment can only give roles the relationship "
        "grants",
    ]


def test_an_assignment_gives_only_roles_of_its_relationship(customer_problems: Callable[[str], list[str]]) -> None:
    block = """\
    relationships:
      - name: fabrikam-contoso-support
        roles: [Helpdesk Administrator]
        assignments:
          - group: 5e1a7b3c-2d4f-4a6b-8c9d-0e1f2a3b4c5d
            roles: [Helpdesk Administrator, Exchange Administrator]
"""
    assert customer_problems(with_access(INVITED, block)) == [
        "customers/c.yaml:46:45: spec.adminAccess.relationships[0].assignments[0].roles[1]: Exchange Administrator "
        "is not one of the roles of this relationship: an access assignment can only give roles the relationship "
        "grants"
    ]


def test_global_administrator_cannot_be_auto_extended_and_the_error_says_why(
    customer_problems: Callable[[str], list[str]],
) -> None:
    block = """\
    relationships:
      - name: fabrikam-contoso-break-glass
        autoExtend: true
        roles: [Global Administrator]
"""
    (problem,) = customer_problems(with_access(INVITED, block))
    assert problem.startswith(
        "customers/c.yaml:43:21: spec.adminAccess.relationships[0].autoExtend: a relationship with the Global "
        "Administrator role cannot be auto-extended: Microsoft does not extend GDAP relationships that include "
        "Global Administrator"
    )
    assert "set autoExtend: false" in problem


@pytest.mark.parametrize(
    ("duration", "problem"),
    [
        (
            "P0D",
            "customers/c.yaml:43:19: spec.adminAccess.relationships[0].duration: must be an ISO 8601 duration in "
            'days (P1D to P730D) or P1Y or P2Y (got "P0D")',
        ),
        (
            "P731D",
            "customers/c.yaml:43:19: spec.adminAccess.relationships[0].duration: must be between P1D and P2Y "
            "(730 days), as Microsoft Graph requires",
        ),
        (
            "P3Y",
            "customers/c.yaml:43:19: spec.adminAccess.relationships[0].duration: must be an ISO 8601 duration "
            'in days (P1D to P730D) or P1Y or P2Y (got "P3Y")',
        ),
        ("P1D", None),
        ("P2Y", None),
    ],
)
def test_duration_is_between_one_day_and_two_years(
    customer_problems: Callable[[str], list[str]], duration: str, problem: str | None
) -> None:
    block = f"""\
    relationships:
      - name: fabrikam-contoso-support
        duration: {duration}
        templates: [helpdesk]
"""
    assert customer_problems(with_access(INVITED, block)) == ([problem] if problem else [])


def test_display_names_are_unique_across_files_and_at_most_50_characters(repo: Repo) -> None:
    repo.write("customers/a.yaml", with_access(INVITED, RELATIONSHIP))
    other = edit(edit(INVITED, "name: contoso-bikes", "name: contoso-two"), "name: Contoso Bikes Ltd", "name: Two Ltd")
    other = edit(other, "domain: contosobikes.co.uk", "domain: two.co.uk")
    repo.write("customers/b.yaml", with_access(other, RELATIONSHIP.replace("fabrikam-contoso", "Fabrikam-Contoso")))
    repo.write(
        "customers/c.yaml",
        with_access(
            edit(other, "name: contoso-two", "name: three"), RELATIONSHIP.replace("fabrikam-contoso-support", "x" * 51)
        )
        .replace("domain: two.co.uk", "domain: three.co.uk")
        .replace("name: Two Ltd", "name: Three Ltd"),
    )
    assert repo.problems() == [
        "customers/b.yaml:42:15: spec.adminAccess.relationships[0].name: admin relationship name "
        "'Fabrikam-Contoso-support' is already declared in customers/a.yaml:42:15; each customer (and tenant) has "
        "exactly one file",
        "customers/c.yaml:42:15: spec.adminAccess.relationships[0].name: must be at most 50 characters long (got 51)",
    ]


def test_the_default_relationship_is_only_assigned_and_only_its_roles(
    customer_problems: Callable[[str], list[str]],
) -> None:
    block = """\
    relationships:
      - default: true
        name: mine
        templates: [azure-ops]
        assignments:
          - group: helpdesk-agents
            roles: [Exchange Administrator]
"""
    assert customer_problems(with_access(CUSTOMER, block)) == [
        "customers/c.yaml:42:15: spec.adminAccess.relationships[0].name: the Default GDAP relationship is named and "
        "shaped by Partner Center; declare only its assignments (remove it, or remove default: true)",
        "customers/c.yaml:43:20: spec.adminAccess.relationships[0].templates: template azure-ops gives Cloud "
        "Application Administrator, which the Default GDAP relationship does not grant; use a named relationship "
        "for those roles",
        "customers/c.yaml:46:21: spec.adminAccess.relationships[0].assignments[0].roles[0]: Exchange Administrator is "
        "not one of the roles of the Default GDAP relationship: an access assignment can only give roles the "
        "relationship grants",
    ]


def test_the_default_relationship_needs_enable_gdap_by_default(repo: Repo) -> None:
    repo.write("cspsync.yaml", edit(CONFIG, "enableGDAPByDefault: true", "enableGDAPByDefault: false"))
    repo.write("customers/c.yaml", with_access(CUSTOMER, "    relationships:\n      - default: true\n"))
    assert repo.problems() == [
        "customers/c.yaml:41:18: spec.adminAccess.relationships[0].default: cspsync.yaml sets "
        "adminAccess.enableGDAPByDefault: false, so Partner Center creates this tenant without a Default GDAP "
        "relationship; set it to true or declare a named relationship"
    ]


def test_a_named_relationship_of_a_created_tenant_needs_someone_to_approve_it(
    customer_problems: Callable[[str], list[str]],
) -> None:
    assert customer_problems(with_access(CUSTOMER, RELATIONSHIP)) == [
        'customers/c.yaml:39:3: spec.adminAccess: missing required field "approverEmail": a global admin of the '
        "customer must approve fabrikam-contoso-support, and tenant.mode create names nobody to send the approval "
        "link to"
    ]
    approver = "    approverEmail: amelia.hughes@contosobikes.co.uk\n"
    assert customer_problems(with_access(CUSTOMER, approver + RELATIONSHIP)) == []


def test_config_templates_name_built_in_roles_and_known_groups(repo: Repo) -> None:
    config = edit(CONFIG, "assignTo: [azure-ops]", "assignTo: [azure-op]")
    repo.write("cspsync.yaml", edit(config, "roles: [Cloud Application Administrator,", "roles: [Cloud App Admin,"))
    repo.write("customers/c.yaml", CUSTOMER)
    problems = repo.problems()
    assert [p.split(": ", 2)[1] for p in problems] == [
        "adminAccess.roleTemplates.azure-ops.roles[0]",
        "adminAccess.roleTemplates.azure-ops.assignTo[0]",
    ]
    assert problems[1].endswith('is not a name of adminAccess.securityGroups; did you mean "azure-ops"?')


def test_roles_durations_and_generations_helpers() -> None:
    assert role_id("helpdesk ADMINISTRATOR") == "729827e3-9c14-49f7-bb1b-9608f156bbb8"
    assert role_id("729827E3-9C14-49F7-BB1B-9608F156BBB8") == "729827e3-9c14-49f7-bb1b-9608f156bbb8"
    assert len(DEFAULT_GDAP_ROLES) == 9
    assert (duration_days("P2Y"), duration_days("P1D"), duration_days("P1M")) == (730, 1, None)
    renewed = replacement_name("fabrikam-litware-support", dt.date(2027, 1, 2))
    assert renewed == "fabrikam-litware-support-20270102"
    assert len(replacement_name("x" * 50, dt.date(2027, 1, 2))) == 50
    assert relationship_generation(renewed, "fabrikam-litware-support") == dt.date(2027, 1, 2)
    assert relationship_generation("Fabrikam-Litware-Support", "fabrikam-litware-support") == FIRST_GENERATION
    assert relationship_generation("fabrikam-litware-other", "fabrikam-litware-support") is None
