"""Who may do what: the roles of landreg's users and the principal making a request."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Roles, from the public to the administrator."""

    CITIZEN = "citizen"
    REGISTRY_OFFICER = "registry_officer"
    CADASTRAL_STAFF = "cadastral_staff"
    # "lãnh đạo": province and office leaders, who read the dashboard and its figures only
    LEADER = "leader"
    ADMINISTRATOR = "administrator"


@dataclass(frozen=True, slots=True)
class Principal:
    """The person or system behind a request, as authenticated.

    Attributes
    ----------
    name : str
        Username, or ``key:<name>`` for an API key; recorded in the audit log as the actor.
    role : Role
        What it may do.
    """

    name: str
    role: Role

    def may(self, *roles: Role) -> bool:
        """True when the principal has one of ``roles``; administrators may do everything."""
        return self.role is Role.ADMINISTRATOR or self.role in roles
