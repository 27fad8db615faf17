"""The working-day calendar of an office, and due times of limits in their own units.

A working day is a weekday with office hours (default Senin-Jumat) that is neither a national
holiday nor cuti bersama (shipped in ``correspondence/holidays/<year>.yaml`` from the SKB 3
Menteri) nor a local holiday of the office, or a day the office lists as an extra working day.
Times are in the office's zone (WIB, WITA, WIT); a naive datetime is read as office wall time.

Units (``Duration.unit``), conventions documented in ``docs/calendar.md``:

* ``menit``: wall-clock minutes.
* ``jam``: hours of office time; time outside office hours does not run, and what is left at
  closing carries over to the next working day's opening.
* ``hari``: calendar days; the day of receipt does not count; due at the end (23:59:59) of the
  Nth day after it.
* ``hari_kerja``: working days; the day of receipt does not count (a complaint received on a
  non-working day, or after closing, counts as received on the next working day); due at the
  close of office hours of the Nth working day after that day.

Pure apart from reading the shipped holiday files (cached); no clock is read here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from .config import Frozen, load_file
from .errors import ConfigError
from .office import Office, OfficeCalendar, Period
from .sop import Duration

HOLIDAY_DIR = Path(__file__).resolve().parent / "holidays"

# The three zones of Indonesia; none has daylight saving, so fixed offsets are exact.
ZONES = {
    "WIB": timezone(timedelta(hours=7), "WIB"),
    "WITA": timezone(timedelta(hours=8), "WITA"),
    "WIT": timezone(timedelta(hours=9), "WIT"),
}

Kind = Literal["libur_nasional", "cuti_bersama", "libur_lokal"]
END_OF_DAY = time(23, 59, 59)
_SEARCH_DAYS = 3 * 366  # a calendar with no working day within three years is broken


# -- shipped holiday data ----------------------------------------------------------------------
class Decree(Frozen):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    number: str  # "" while not verified
    title: str
    signed: date | None = None
    note: str = ""


class HolidayEntry(Frozen):
    date: date
    name: str = Field(min_length=1)
    decree: str = ""  # id of the decree that set it, when not the first one (an amendment)


class HolidayYear(Frozen):
    """One ``holidays/<year>.yaml``: the decree(s) and every hari libur nasional and cuti bersama."""

    schema_: Literal["naskah/holidays/1"] = Field(alias="schema")
    year: int
    verified: bool
    decrees: tuple[Decree, ...] = Field(min_length=1)
    libur_nasional: tuple[HolidayEntry, ...]
    cuti_bersama: tuple[HolidayEntry, ...]

    @model_validator(mode="after")
    def _consistent(self) -> "HolidayYear":
        ids = {d.id for d in self.decrees}
        days = [e.date for e in (*self.libur_nasional, *self.cuti_bersama)]
        for entry in (*self.libur_nasional, *self.cuti_bersama):
            if entry.date.year != self.year:
                raise ValueError(f"{entry.date} ({entry.name}) is not in {self.year}")
            if entry.decree and entry.decree not in ids:
                raise ValueError(f"{entry.date}: unknown decree '{entry.decree}' (declared: {', '.join(sorted(ids))})")
        twice = sorted({d for d in days if days.count(d) > 1})
        if twice:
            raise ValueError(f"listed more than once: {', '.join(map(str, twice))}")
        if self.verified and not all(d.number for d in self.decrees):
            raise ValueError("a verified year needs the number of every decree")
        return self

    def holidays(self) -> dict[date, "Holiday"]:
        first = self.decrees[0]
        by_id = {d.id: d for d in self.decrees}
        found: dict[date, Holiday] = {}
        for kind, entries in (("libur_nasional", self.libur_nasional), ("cuti_bersama", self.cuti_bersama)):
            for e in entries:
                decree = by_id[e.decree] if e.decree else first
                found[e.date] = Holiday(e.date, e.name, kind, _cite(decree))  # type: ignore[arg-type]
        return found


def _cite(decree: Decree) -> str:
    return f"SKB {decree.number}" if decree.number else f"SKB {decree.title.rsplit(' ', 1)[-1]} (nomor belum diverifikasi)"


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str
    kind: Kind
    source: str  # the decree, "office profile", or "holidays library (not checked against an SKB)"


@functools.cache
def shipped_years() -> dict[int, HolidayYear]:
    """Every shipped ``holidays/<year>.yaml``, validated."""
    years: dict[int, HolidayYear] = {}
    for path in sorted(HOLIDAY_DIR.glob("*.yaml")):
        data = load_file(HolidayYear, path)
        if path.stem != str(data.year):
            raise ConfigError(f"{path}: holds year {data.year}; name the file {data.year}.yaml")
        years[data.year] = data
    return years


LIBRARY_SOURCE = "holidays library (not checked against an SKB)"


def library_holidays(year: int) -> dict[date, Holiday]:
    """National holidays and cuti bersama of ``year`` as the ``holidays`` library knows them."""
    import holidays as holidays_lib

    found: dict[date, Holiday] = {}
    for category, kind in (("public", "libur_nasional"), ("government", "cuti_bersama")):
        table = holidays_lib.Indonesia(years=year, categories=(category,), language="id")
        for day, name in sorted(table.items()):
            found.setdefault(day, Holiday(day, name, kind, LIBRARY_SOURCE))  # type: ignore[arg-type]
    return found


@functools.cache
def national_holidays(year: int) -> dict[date, Holiday]:
    """The shipped SKB data for ``year``; for a year not shipped, the ``holidays`` library's."""
    shipped = shipped_years().get(year)
    return shipped.holidays() if shipped is not None else library_holidays(year)


@dataclass(frozen=True)
class Disagreement:
    day: date
    shipped: str  # "cuti_bersama: Idulfitri 1447 Hijriah", or "-" when the day is not in the data
    library: str


def compare_with_library(years: list[int] | None = None,
                         data: dict[int, HolidayYear] | None = None) -> list[Disagreement]:
    """Every day on which the shipped data and the ``holidays`` library differ (date or kind)."""
    data = data if data is not None else shipped_years()
    out: list[Disagreement] = []
    for year in years or sorted(data):
        ours = data[year].holidays()
        theirs = library_holidays(year)
        for day in sorted(set(ours) | set(theirs)):
            a, b = ours.get(day), theirs.get(day)
            if a is None or b is None or a.kind != b.kind:
                out.append(Disagreement(day, f"{a.kind}: {a.name}" if a else "-", f"{b.kind}: {b.name}" if b else "-"))
    return out


# -- the calendar ------------------------------------------------------------------------------
Span = tuple[datetime, datetime]


class WorkingCalendar:
    """Working days and office hours of one office, in its time zone."""

    def __init__(self, settings: OfficeCalendar = OfficeCalendar(), *, zone: str = "WIB",
                 national=national_holidays) -> None:
        if zone not in ZONES:
            raise ConfigError(f"unknown zona_waktu '{zone}' (one of {', '.join(ZONES)})")
        self.settings = settings
        self.zone = zone
        self.tz = ZONES[zone]
        self._national = national
        self._local = {h.date: Holiday(h.date, h.name, "libur_lokal", "office profile") for h in settings.local_holidays}
        self._extra = {d.date: d for d in settings.extra_working_days}
        # An extra working day on a weekday without hours works the first regular day's hours.
        week = settings.office_hours
        self._full_day = next(week.of(i) for i in range(7) if week.of(i))

    @classmethod
    def for_office(cls, office: Office) -> "WorkingCalendar":
        return cls(office.calendar, zone=office.zona_waktu)

    # -- days ------------------------------------------------------------------------------
    def holiday(self, day: date) -> Holiday | None:
        """Why ``day`` is off although a weekday may have hours: a local or national holiday."""
        return self._local.get(day) or self._national(day.year).get(day)

    def hours(self, day: date) -> tuple[Period, ...]:
        """The office-hour periods of ``day``; empty on a day that is not a working day."""
        extra = self._extra.get(day)
        if extra is not None:
            return extra.hours or self.settings.office_hours.of(day.weekday()) or self._full_day
        if self.holiday(day) is not None:
            return ()
        return self.settings.office_hours.of(day.weekday())

    def is_working_day(self, day: date) -> bool:
        return bool(self.hours(day))

    def spans(self, day: date) -> list[Span]:
        """The office-hour periods of ``day`` as aware datetimes."""
        return [(self._at(day, p.start), self._at(day, p.end)) for p in self.hours(day)]

    def opening(self, day: date) -> datetime:
        return self._at(day, self._working(day)[0].start)

    def closing(self, day: date) -> datetime:
        return self._at(day, self._working(day)[-1].end)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        for offset in range(1, _SEARCH_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ConfigError(f"no working day within three years after {day}: check the office hours and holidays")

    def add_working_days(self, day: date, n: int) -> date:
        """The nth working day after ``day`` (``day`` itself not counted); ``n = 0`` gives ``day``."""
        if n < 0:
            raise ValueError("n must not be negative")
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``; negative when ``end`` is before ``start``."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for i in range(1, (end - start).days + 1) if self.is_working_day(start + timedelta(days=i)))

    # -- instants --------------------------------------------------------------------------
    def local(self, moment: datetime) -> datetime:
        """``moment`` in the office's zone; a naive datetime is office wall time."""
        return moment.replace(tzinfo=self.tz) if moment.tzinfo is None else moment.astimezone(self.tz)

    def effective_day(self, moment: datetime) -> date:
        """The working day on which ``moment`` counts: its own day if that is a working day and
        office hours have not closed yet (the closing instant itself still counts), else the next
        working day."""
        moment = self.local(moment)
        day = moment.date()
        if self.is_working_day(day) and moment <= self.closing(day):
            return day
        return self.next_working_day(day)

    def working_days_taken(self, start: datetime, end: datetime) -> int:
        """Working days from ``start`` to ``end`` by the ``hari_kerja`` convention: 0 when both
        count on the same working day; a limit of N hari kerja is kept if this is at most N."""
        return self.working_days_between(self.effective_day(start), self.effective_day(end))

    def add_office_time(self, start: datetime, amount: timedelta) -> datetime:
        """The moment when ``amount`` of office time has passed since ``start``."""
        moment = self.local(start)
        remaining = amount
        day = moment.date()
        for _ in range(_SEARCH_DAYS):
            for begin, end in self.spans(day):
                if end <= moment:
                    continue
                begin = max(begin, moment)
                if remaining <= end - begin:
                    return begin + remaining
                remaining -= end - begin
            day += timedelta(days=1)
        raise ConfigError(f"no office hours within three years after {start}: check the office hours and holidays")

    def due(self, start: datetime, limit: Duration) -> datetime:
        """When a limit that started at ``start`` runs out, in the office's zone."""
        moment = self.local(start)
        if limit.unit == "menit":
            return moment + timedelta(minutes=limit.value)
        if limit.unit == "jam":
            return self.add_office_time(moment, timedelta(hours=limit.value))
        days = _whole_days(limit)
        if limit.unit == "hari":
            return datetime.combine(moment.date() + timedelta(days=days), END_OF_DAY, self.tz)
        return self.closing(self.add_working_days(self.effective_day(moment), days))

    def holiday_sources(self, years: list[int]) -> list[str]:
        """Notes for years whose national holidays do not come from shipped SKB data."""
        notes = []
        for year in sorted(set(years)):
            shipped = shipped_years().get(year)
            if shipped is None:
                notes.append(f"{year}: no shipped SKB data; national holidays from the holidays library, "
                             f"cuti bersama may be missing (add correspondence/holidays/{year}.yaml)")
            elif not shipped.verified:
                notes.append(f"{year}: holiday data not yet checked against the SKB (see holidays/{year}.yaml)")
        return notes

    # -- internals -------------------------------------------------------------------------
    def _at(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, self.tz)

    def _working(self, day: date) -> tuple[Period, ...]:
        hours = self.hours(day)
        if not hours:
            raise ValueError(f"{day} is not a working day")
        return hours


def _whole_days(limit: Duration) -> int:
    if limit.value != int(limit.value):
        raise ConfigError(f"limit '{limit}': a limit in {limit.unit.replace('_', ' ')} must be a whole number of days "
                          "(write a part of a day in jam)")
    return int(limit.value)
