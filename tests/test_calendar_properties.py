"""Property tests (hypothesis) for working-day arithmetic, on the shipped calendar (2025-2027 SKB
data, the holidays library around it) and on an office with its own holidays and a Saturday."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings, strategies as st

from correspondence.calendar import WorkingCalendar
from correspondence.office import OfficeCalendar
from correspondence.sop import Duration

PLAIN = WorkingCalendar()
OWN = WorkingCalendar(OfficeCalendar.model_validate({
    "office_hours": {"sabtu": ["08:00-12:00"], "jumat": ["07:30-11:00"]},
    "local_holidays": [{"date": "2026-06-13", "name": "Hari Jadi"}, {"date": "2026-12-28", "name": "Cuti daerah"}],
    "extra_working_days": [{"date": "2026-12-24", "name": "Loket buka"}, {"date": "2027-01-03", "name": "Minggu kerja"}],
}), zone="WITA")

calendars = st.sampled_from([PLAIN, OWN])
days = st.dates(min_value=date(2024, 11, 1), max_value=date(2028, 2, 28))
counts = st.integers(min_value=0, max_value=40)
moments = st.builds(lambda d, minutes: datetime.combine(d, time()) + timedelta(minutes=minutes),
                    days, st.integers(min_value=0, max_value=24 * 60 - 1))
common = settings(max_examples=200, deadline=None)


@common
@given(calendars, days, counts, counts)
def test_adding_n_then_m_is_adding_n_plus_m(cal, day, n, m):
    assert cal.add_working_days(cal.add_working_days(day, n), m) == cal.add_working_days(day, n + m)


@common
@given(calendars, days, st.integers(min_value=1, max_value=40))
def test_the_result_is_a_working_day_after_the_start(cal, day, n):
    result = cal.add_working_days(day, n)
    assert cal.is_working_day(result)
    assert result > day
    assert cal.add_working_days(day, 0) == day


@common
@given(calendars, days, counts)
def test_counting_is_the_inverse_of_adding(cal, day, n):
    assert cal.working_days_between(day, cal.add_working_days(day, n)) == n


@common
@given(calendars, days, days)
def test_adding_the_count_lands_on_the_last_working_day(cal, a, b):
    a, b = min(a, b), max(a, b)
    count = cal.working_days_between(a, b)
    landed = cal.add_working_days(a, count)
    assert a <= landed <= b
    assert cal.working_days_between(landed, b) == 0
    assert cal.working_days_between(b, a) == -count


@common
@given(calendars, moments, st.integers(min_value=1, max_value=30))
def test_hari_kerja_due_is_a_closing_time_that_takes_n_days(cal, start, n):
    due = cal.due(start, Duration(value=n, unit="hari_kerja"))
    assert due > cal.local(start)
    assert due == cal.closing(due.date())
    assert cal.working_days_taken(start, due) == n
    assert cal.working_days_taken(start, due + timedelta(seconds=1)) == n + 1  # a moment later is late


@common
@given(calendars, moments, st.integers(min_value=0, max_value=2000), st.integers(min_value=0, max_value=2000))
def test_office_time_adds_up_and_ends_within_office_hours(cal, start, x, y):
    once = cal.add_office_time(cal.add_office_time(start, timedelta(minutes=x)), timedelta(minutes=y))
    assert once == cal.add_office_time(start, timedelta(minutes=x + y))
    assert once >= cal.local(start)
    assert any(begin <= once <= end for begin, end in cal.spans(once.date()))
