"""A report's "today" is the clinic's, not the server's UTC date (DESIGN.md, Time): between midnight
UTC and midnight in New York the UTC date is the clinic's tomorrow."""

import datetime as dt

import pytest
import time_machine

from core.errors import InvalidInput
from outcomes import services
from tests.factories import ClinicFactory

pytestmark = pytest.mark.django_db

INSTANTS = ["2026-03-10T02:00:00Z", "2026-03-10T12:00:00Z", "2026-03-10T23:30:00Z"]


@pytest.mark.parametrize("instant", INSTANTS)
def test_a_report_is_as_of_the_clinics_today_and_not_after_it(clinic, manager, instant):
    with time_machine.travel(instant, tick=False):
        local = dt.datetime.fromisoformat(instant).astimezone(dt.timezone(dt.timedelta(hours=-4))).date()
        report = services.report_request(actor=manager, clinic=clinic, start_from=dt.date(2025, 1, 1),
                                         start_to=dt.date(2025, 6, 1))
        assert report.as_of == local
        with pytest.raises(InvalidInput) as refused:
            services.report_request(actor=manager, clinic=clinic, start_from=dt.date(2025, 1, 1),
                                    start_to=dt.date(2025, 6, 1), as_of=local + dt.timedelta(days=1))
        assert "as_of" in refused.value.detail


def test_the_monthly_reports_take_each_clinics_own_day(clinic):
    tokyo = ClinicFactory(timezone="Asia/Tokyo")
    with time_machine.travel("2026-03-10T02:00:00Z", tick=False):
        reports = {report.clinic_id: report for report in services.monthly_reports_create()}
    assert reports[clinic.pk].as_of == dt.date(2026, 3, 9)  # 22:00 the day before in New York
    assert reports[tokyo.pk].as_of == dt.date(2026, 3, 10)  # 11:00 in Tokyo
