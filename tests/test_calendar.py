"""The working-day calendar with fixed moments: weekends, national holidays and cuti bersama from the
shipped SKB data, year ends, office hours (jam), WITA, and an office's own holidays and working days.

Every expected due time below was counted by hand on the 2025-2027 calendars.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from correspondence.calendar import (
    LIBRARY_SOURCE,
    HolidayYear,
    WorkingCalendar,
    compare_with_library,
    national_holidays,
    shipped_years,
)
from correspondence.catalog import SHIPPED_OFFICES
from correspondence.config import load_model
from correspondence.errors import ConfigError
from correspondence.office import OfficeCalendar, load_office
from correspondence.sop import Duration

WIB = timezone(timedelta(hours=7))
WITA = timezone(timedelta(hours=8))


def d(text: str) -> Duration:
    return Duration.model_validate(text)


def at(text: str, tz=WIB) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()  # default office hours, WIB


# -- hari kerja: weekends, holidays, cuti bersama, year ends ---------------------------------------
@pytest.mark.parametrize("received, limit, due", [
    # Friday: the day of receipt does not count; Saturday and Sunday are not working days.
    ("2026-11-20 10:00", "1 hari kerja", "2026-11-23 16:00"),
    ("2026-11-20 10:00", "2 hari kerja", "2026-11-24 16:00"),
    ("2026-11-20 16:29", "1 hari kerja", "2026-11-23 16:00"),  # Friday closes at 16:30
    ("2026-11-20 17:00", "1 hari kerja", "2026-11-24 16:00"),  # after closing: counts as received Monday
    ("2026-11-21 09:00", "1 hari kerja", "2026-11-24 16:00"),  # Saturday: counts as received Monday
    # Nyepi and Idul Fitri 2026: 18 (cuti), 19 (Nyepi), 20 (cuti), 21-22 (Idul Fitri), 23-24 (cuti) March.
    ("2026-03-17 10:00", "1 hari kerja", "2026-03-25 16:00"),
    ("2026-03-17 10:00", "3 hari kerja", "2026-03-27 16:30"),
    # Natal 2026: 24 December cuti bersama, 25 December Natal.
    ("2026-12-23 10:00", "1 hari kerja", "2026-12-28 16:00"),
    # Year end 2026 -> 2027: 1 January 2027 is a Friday holiday.
    ("2026-12-31 10:00", "1 hari kerja", "2027-01-04 16:00"),
    # Dharmasraya's 14 hari kerja across Natal, the year end and Isra Mikraj (5 January 2027).
    ("2026-12-16 10:00", "14 hari kerja", "2027-01-11 16:00"),
    # Natal 2027: 24 December (Friday) cuti bersama, 25-26 December weekend (Natal, Isra Mikraj).
    ("2027-12-23 10:00", "1 hari kerja", "2027-12-27 16:00"),
    # Nyepi and Idul Fitri 2027: 8 (Nyepi), 9 (cuti), 10-11 (Idul Fitri), 12 (cuti), 15 (cuti) March.
    ("2027-03-05 10:00", "1 hari kerja", "2027-03-16 16:00"),
    ("2027-03-08 10:00", "1 hari kerja", "2027-03-17 16:00"),  # received on Nyepi: counts from the 16th
    # Idul Fitri 2025: 31 March - 1 April, cuti bersama 2, 3, 4 and 7 April.
    ("2025-03-27 10:00", "1 hari kerja", "2025-04-08 16:00"),
    # 18 August 2025: cuti bersama added by the amending decree 933/2025.
    ("2025-08-15 10:00", "1 hari kerja", "2025-08-19 16:00"),
])
def test_hari_kerja(cal, received, limit, due):
    assert cal.due(at(received), d(limit)) == at(due)


def test_year_2028_falls_back_to_the_holidays_library(cal):
    # 31 December 2027 is a Friday; 1 January 2028 a Saturday; Monday 3 January 2028 a working day.
    assert cal.due(at("2027-12-31 10:00"), d("1 hari kerja")) == at("2028-01-03 16:00")
    assert national_holidays(2028)[date(2028, 1, 1)].source == LIBRARY_SOURCE
    notes = cal.holiday_sources([2026, 2027, 2028])
    assert len(notes) == 2 and notes[0].startswith("2027: holiday data not yet checked")
    assert notes[1].startswith("2028: no shipped SKB data")


def test_days_off_carry_their_reason(cal):
    assert [cal.holiday(date(2026, 3, day)).kind for day in range(18, 25)] == [
        "cuti_bersama", "libur_nasional", "cuti_bersama", "libur_nasional", "libur_nasional",
        "cuti_bersama", "cuti_bersama"]
    assert cal.holiday(date(2026, 12, 24)).name == "Kelahiran Yesus Kristus"
    assert "1497 Tahun 2025" in cal.holiday(date(2026, 12, 24)).source
    assert "933 Tahun 2025" in cal.holiday(date(2025, 8, 18)).source  # the amendment, not the first decree
    assert cal.holiday(date(2026, 3, 17)) is None and cal.is_working_day(date(2026, 3, 17))
    assert cal.working_days_between(date(2026, 3, 17), date(2026, 3, 25)) == 1
    assert cal.working_days_between(date(2026, 12, 16), date(2027, 1, 8)) == 13
    assert cal.working_days_between(date(2026, 12, 16), date(2027, 1, 11)) == 14


# -- jam: office time only, carried to the next working day's opening -------------------------------
@pytest.mark.parametrize("start, limit, due", [
    ("2026-11-20 15:30", "3 jam", "2026-11-23 09:30"),  # Friday afternoon -> Monday morning
    ("2026-11-23 11:00", "2 jam", "2026-11-23 14:00"),  # the 12.00-13.00 break does not count
    ("2026-11-20 11:00", "1 jam", "2026-11-20 13:30"),  # Friday's break is 11.30-13.00
    ("2026-11-21 10:00", "1 jam", "2026-11-23 08:30"),  # Saturday: starts at Monday's opening
    ("2026-11-23 15:00", "1 jam", "2026-11-23 16:00"),  # due at closing, not at the next opening
    ("2026-11-23 06:00", "30 menit", "2026-11-23 06:30"),  # menit: wall clock, even outside office hours
    ("2026-11-20 16:25", "10 menit", "2026-11-20 16:35"),
    ("2026-03-17 15:00", "3 jam", "2026-03-25 09:30"),  # 1 jam on Tuesday, then after Idul Fitri
    ("2026-12-31 15:30", "1 jam", "2027-01-04 08:00"),  # across the year end
    ("2026-11-23 10:00", "1,5 jam", "2026-11-23 11:30"),
])
def test_jam_and_menit(cal, start, limit, due):
    assert cal.due(at(start), d(limit)) == at(due)


# -- hari: calendar days, the day of receipt not counted ------------------------------------------
def test_hari_are_calendar_days(cal):
    assert cal.due(at("2026-11-16 10:00"), d("6 hari")) == at("2026-11-22 23:59:59")  # ends on a Sunday
    assert cal.due(at("2026-12-28 10:00"), d("6 hari")) == at("2027-01-03 23:59:59")
    with pytest.raises(ConfigError, match="whole number of days"):
        cal.due(at("2026-11-16 10:00"), d("1,5 hari kerja"))


# -- time zones --------------------------------------------------------------------------------
def test_wita_office_counts_in_its_own_zone(cal):
    wita = WorkingCalendar(zone="WITA")
    instant = datetime(2026, 11, 20, 8, 30, tzinfo=timezone.utc)  # 15:30 WIB = 16:30 WITA, a Friday
    assert wita.due(instant, d("3 jam")) == at("2026-11-23 10:30", WITA)  # closed at 16:30 WITA: Monday
    assert cal.due(instant, d("3 jam")) == at("2026-11-23 09:30")  # WIB: one hour left on Friday
    late = datetime(2026, 11, 20, 8, 45, tzinfo=timezone.utc)  # 15:45 WIB (open), 16:45 WITA (closed)
    assert cal.due(late, d("1 hari kerja")) == at("2026-11-23 16:00")
    assert wita.due(late, d("1 hari kerja")) == at("2026-11-24 16:00", WITA)
    naive = datetime(2026, 11, 20, 15, 30)  # naive = the office's wall time
    assert wita.due(naive, d("3 jam")).isoformat() == "2026-11-23T09:30:00+08:00"
    assert wita.due(naive, d("3 jam")).tzname() == "WITA"


# -- the office's own calendar -------------------------------------------------------------------
def office_calendar(**settings) -> WorkingCalendar:
    return WorkingCalendar(OfficeCalendar.model_validate(settings))


def test_local_holidays_and_extra_working_days():
    own = office_calendar(
        local_holidays=[{"date": "2026-11-25", "name": "Hari Jadi Kota"}],
        extra_working_days=[{"date": "2026-11-28", "name": "Pelayanan Sabtu"},
                            {"date": "2026-12-24", "name": "Loket buka saat cuti bersama", "hours": ["08:00-12:00"]}])
    assert own.due(at("2026-11-24 10:00"), d("1 hari kerja")) == at("2026-11-26 16:00")  # Wednesday off
    assert own.due(at("2026-11-27 10:00"), d("1 hari kerja")) == at("2026-11-28 16:00")  # Saturday worked, Senin's hours
    assert own.due(at("2026-12-23 10:00"), d("1 hari kerja")) == at("2026-12-24 12:00")  # cuti bersama worked
    assert own.due(at("2026-12-23 15:30"), d("1 jam")) == at("2026-12-24 08:30")
    assert own.holiday(date(2026, 11, 25)).kind == "libur_lokal"


def test_office_hours_per_weekday():
    six_days = office_calendar(office_hours={"sabtu": ["08.00-12.00"], "jumat": ["07:30-11:00"]})
    assert six_days.due(at("2026-11-20 10:30"), d("1 jam")) == at("2026-11-21 08:30")  # Friday ends 11:00
    assert six_days.due(at("2026-11-20 10:00"), d("1 hari kerja")) == at("2026-11-21 12:00")
    assert six_days.is_working_day(date(2026, 11, 21)) and not six_days.is_working_day(date(2026, 11, 22))


@pytest.mark.parametrize("calendar, message", [
    ({"office_hour": {}}, r"calendar\.office_hour'.*unknown key.*office_hours"),
    ({"office_hours": {"sabtu_minggu": []}}, r"sabtu_minggu'.*unknown key.*senin"),
    ({"office_hours": {"senin": ["16:00-07:30"]}}, "end before they start"),
    ({"office_hours": {"senin": ["07:30-12:00", "11:00-16:00"]}}, "must not overlap"),
    ({"office_hours": {"senin": ["7 pagi"]}}, "is not a period of office hours"),
    ({"office_hours": {d: [] for d in ("senin", "selasa", "rabu", "kamis", "jumat")}}, "at least one weekday"),
    ({"local_holidays": [{"date": "2026-11-25"}]}, r"local_holidays\[0\]\.name'.*missing"),
    ({"local_holidays": [{"date": "2026-11-25", "name": "x"}], "extra_working_days": [{"date": "2026-11-25"}]},
     "both a local holiday and an extra working day"),
])
def test_office_profile_calendar_is_checked(tmp_path, calendar, message):
    raw = yaml.safe_load((SHIPPED_OFFICES / "pangkalpinang" / "office.yaml").read_text(encoding="utf-8"))
    raw["calendar"] = calendar
    raw.pop("logo")
    path = tmp_path / "office.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_office(path)


def test_shipped_profiles_load_their_calendar_and_limits():
    office = load_office(SHIPPED_OFFICES / "kutai-kartanegara" / "office.yaml")
    assert WorkingCalendar.for_office(office).tz.utcoffset(None) == timedelta(hours=8)
    padang = load_office(SHIPPED_OFFICES / "padang" / "office.yaml")
    assert [(str(l.limit), l.from_, l.until) for l in padang.limits] == [
        ("3 hari kerja", "diterima", "3"), ("5 hari kerja", "3", "selesai"), ("10 hari kerja", "selesai", None)]


# -- the shipped holiday data --------------------------------------------------------------------
# DOMAIN.md's list of 2026, typed in by hand from the SKB.
DOMAIN_2026_LIBUR = ["01-01", "01-16", "02-17", "03-19", "03-21", "03-22", "04-03", "04-05", "05-01", "05-14",
                     "05-27", "05-31", "06-01", "06-16", "08-17", "08-25", "12-25"]
DOMAIN_2026_CUTI = ["02-16", "03-18", "03-20", "03-23", "03-24", "05-15", "05-28", "12-24"]


def test_shipped_years_name_their_decrees():
    years = shipped_years()
    assert sorted(years) == [2025, 2026, 2027]
    y2025, y2026, y2027 = years[2025], years[2026], years[2027]
    assert [x.number for x in y2025.decrees] == ["Nomor 1017 Tahun 2024, Nomor 2 Tahun 2024, Nomor 2 Tahun 2024",
                                                 "Nomor 933 Tahun 2025, Nomor 1 Tahun 2025, Nomor 3 Tahun 2025"]
    assert y2026.decrees[0].number == "Nomor 1497 Tahun 2025, Nomor 2 Tahun 2025, Nomor 5 Tahun 2025"
    assert (len(y2025.libur_nasional), len(y2025.cuti_bersama)) == (17, 11)  # 10 + 18 August by the amendment
    assert (len(y2026.libur_nasional), len(y2026.cuti_bersama)) == (17, 8)
    assert y2025.verified and y2026.verified
    assert not y2027.verified and y2027.decrees[0].number == ""  # shown as unverified, never as a made-up number


def test_2026_matches_the_domain_notes():
    y = shipped_years()[2026]
    assert [f"{e.date:%m-%d}" for e in y.libur_nasional] == DOMAIN_2026_LIBUR
    assert [f"{e.date:%m-%d}" for e in y.cuti_bersama] == DOMAIN_2026_CUTI


def test_holidays_library_agrees_with_the_shipped_data():
    """Reports every day where the holidays library and the shipped SKB data differ (none today:
    a new library release that moves a day makes this fail with the list)."""
    disagreements = compare_with_library([2025, 2026, 2027])
    assert disagreements == [], "\n".join(f"{x.day}: shipped {x.shipped} / library {x.library}" for x in disagreements)


def test_the_comparison_finds_a_difference():
    y = shipped_years()[2026]
    changed = y.model_copy(update={
        "cuti_bersama": tuple(e for e in y.cuti_bersama if e.date != date(2026, 12, 24)),
        "libur_nasional": y.libur_nasional + (y.libur_nasional[0].model_copy(update={"date": date(2026, 12, 31)}),)})
    found = compare_with_library([2026], data={2026: changed})
    assert [(x.day, x.shipped.split(":")[0], x.library.split(":")[0]) for x in found] == [
        (date(2026, 12, 24), "-", "cuti_bersama"), (date(2026, 12, 31), "libur_nasional", "-")]


@pytest.mark.parametrize("change, message", [
    (lambda r: r["libur_nasional"].append({"date": "2027-01-01", "name": "x"}), "is not in 2026"),
    (lambda r: r["cuti_bersama"].append({"date": "2026-01-01", "name": "x"}), "listed more than once"),
    (lambda r: r["decrees"][0].update(number=""), "needs the number of every decree"),
    (lambda r: r["cuti_bersama"][0].update(decree="skb-lain"), "unknown decree"),
])
def test_a_broken_holiday_file_is_refused(change, message):
    raw = yaml.safe_load((Path(__file__).parents[1] / "correspondence" / "holidays" / "2026.yaml").read_text())
    change(raw)
    with pytest.raises(ConfigError, match=message):
        load_model(HolidayYear, raw, "2026.yaml")
