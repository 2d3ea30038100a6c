"""The main navigation: each page's link is offered to whoever has the capability it stands for
(accounts.roles), so the menu is decided here and not in the template."""

from typing import NamedTuple

from accounts.roles import Cap, can


class Link(NamedTuple):
    url_name: str  # in the web namespace; also what marks the current page
    label: str
    capability: Cap
    needs_clinic: bool = False  # a clinic's own page: not for an account without one (an admin)


LINKS = (
    Link("patients", "Patients", Cap.READ_CLINICAL),
    Link("coach", "My caseload", Cap.COACH),
    Link("dashboard", "Outcomes", Cap.REQUEST_REPORT),
    Link("staff", "Staff", Cap.MANAGE_STAFF),
    Link("settings", "Reminder settings", Cap.MANAGE_CLINIC, needs_clinic=True),
    Link("audit", "Audit trail", Cap.READ_AUDIT),
)


def navigation(user) -> list[Link]:
    """The links `user` may follow, in menu order."""
    return [link for link in LINKS if can(user, link.capability) and (user.clinic_id or not link.needs_clinic)]
