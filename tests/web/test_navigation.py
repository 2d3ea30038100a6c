"""The main menu offers each page to whoever has the capability it stands for (web.navigation)."""

import re

import pytest
from django.urls import reverse

from web.navigation import LINKS

pytestmark = pytest.mark.django_db


def menu(client, user) -> list[str]:
    client.force_login(user)
    page = client.get(reverse("web:password_change")).content.decode()
    return re.findall(r">([^<]+)</a></li>", re.search(r'<nav aria-label="Main">(.*?)</nav>', page, re.S).group(1))


@pytest.mark.parametrize(("role", "labels"), [
    ("pt", ["Patients", "Outcomes"]),
    ("coach", ["Patients", "My caseload", "Outcomes"]),
    ("manager", ["Patients", "Outcomes", "Staff", "Reminder settings", "Audit trail"]),
    ("integration", []),
])
def test_menu_by_capability(request, client, role, labels):
    assert menu(client, request.getfixturevalue(role)) == labels


def test_an_admin_without_a_clinic_has_no_clinic_settings(client, admin_user):
    assert menu(client, admin_user) == [link.label for link in LINKS if not link.needs_clinic]


def test_every_link_opens_for_whoever_is_offered_it(client, pt, coach, manager, admin_user):
    """Offering a link the page then refuses (403) would be the template deciding on its own."""
    for user in (pt, coach, manager, admin_user):
        client.force_login(user)
        for label in menu(client, user):
            link = next(link for link in LINKS if link.label == label)
            assert client.get(reverse(f"web:{link.url_name}")).status_code == 200, (user.role, label)
