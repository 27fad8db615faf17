"""Office profile: who the office is, who its officials are, how it numbers and signs.

An office profile is data (``office.yaml``); a new office needs no Python.
"""

from __future__ import annotations

import re
from datetime import date as Date, time as Time
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .config import Frozen, load_file
from .errors import ConfigError, NotAllowed
from .sop import Duration, known_channels

_NIP = re.compile(r"^\d{8} ?\d{6} ?\d ?\d{3}$")


class Contacts(Frozen):
    phone: str = ""
    fax: str = ""
    email: str = ""
    website: str = ""


class Pkcs11Key(Frozen):
    """A signing key on a PKCS#11 token (smart card, USB token, HSM; SoftHSM2 for the demo).

    The token's PIN is asked for at signing time like a passphrase; it is never written here.
    """

    module: str = ""  # the token's driver library; default: $NASKAH_PKCS11_MODULE, then SoftHSM2/OpenSC
    token: str = Field(min_length=1)  # the token's label
    key_label: str = Field(min_length=1)  # label of the private key on the token
    cert_label: str = ""  # label of the certificate on the token; default: key_label


class Official(Frozen):
    """An official (pejabat/pegawai) of the office and the SOP role they fill."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    nip: str
    pangkat: str = ""
    golongan: str = ""
    jabatan: str
    role: str
    certificate: str = ""  # public certificate (PEM), relative to NASKAH_HOME unless absolute
    key: str = ""  # PKCS#12 file, relative to NASKAH_HOME unless absolute
    pkcs11: Pkcs11Key | None = None  # or: the key is on a token (not both)

    @model_validator(mode="after")
    def _one_key(self) -> "Official":
        if self.key and self.pkcs11 is not None:
            raise ValueError(f"official '{self.id}' has both key: (a PKCS#12 file) and pkcs11: (a token); keep one")
        return self

    @property
    def signs(self) -> bool:
        """Has a signing key (a PKCS#12 file or a token)."""
        return bool(self.key) or self.pkcs11 is not None

    @field_validator("nip", mode="before")
    @classmethod
    def _nip(cls, value: object) -> str:
        value = str(value) if isinstance(value, int) else value  # an unquoted NIP is a YAML number
        if not isinstance(value, str) or not _NIP.match(value):
            raise ValueError("a NIP has 18 digits, written like '19760123 200501 1 006'")
        return value

    @property
    def nip_digits(self) -> str:
        return value_digits(self.nip)

    @property
    def pangkat_golongan(self) -> str:
        return f"{self.pangkat} ({self.golongan})" if self.golongan else self.pangkat


def value_digits(text: str) -> str:
    return re.sub(r"\D", "", text)


class Numbering(Frozen):
    """How outgoing letters (nomor surat) and incoming complaints (nomor agenda) are numbered."""

    pattern: str = "{kka}/{urut}/{unit}/{tahun}"
    padding: int = Field(default=4, ge=0, le=8)
    unit: str
    agenda_pattern: str = "{urut}/PGD/{unit}/{tahun}"
    agenda_padding: int = Field(default=4, ge=0, le=8)
    # Optional: a document key (e.g. surat_tugas) or a KKA prefix (e.g. "800.1.11") -> series name.
    # Each series has its own counter per year; anything not named here is numbered in 'surat'.
    series: dict[str, str] = Field(default_factory=dict)

    @field_validator("series")
    @classmethod
    def _series(cls, value: dict[str, str]) -> dict[str, str]:
        for key, name in value.items():
            if not re.match(r"^([a-z][a-z0-9_]*|\d+(\.\d+)*)$", str(key)):
                raise ValueError(f"series key '{key}' is neither a document key (surat_tugas) nor a KKA prefix (\"800.1.11\")")
            if not re.match(r"^[a-z][a-z0-9_-]*$", name or ""):
                raise ValueError(f"series name '{name}' for '{key}': use lower-case letters, digits, '-' or '_'")
            if name == "agenda":
                raise ValueError("series name 'agenda' is the counter of incoming complaints; choose another")
        return value

    def series_for(self, *, doc_key: str | None = None, kka: str = "") -> str:
        """The series of a letter: its document key if named, else the longest matching KKA prefix, else 'surat'."""
        if doc_key and doc_key in self.series:
            return self.series[doc_key]
        best = ""
        for key in self.series:
            if key[0].isdigit() and (kka == key or kka.startswith(key + ".")) and len(key) > len(best):
                best = key
        return self.series[best] if best else "surat"


class Signing(Frozen):
    """TTE settings: footer wording printed with the stamp, paraf appearance, PAdES level.

    ``level``: B-B (signature only, no network), B-T (plus a timestamp from ``tsa_url``),
    B-LT (plus the revocation data of signer and TSA, so letters validate offline for years).
    ``trust_roots``: CA certificates (PEM/DER files, relative to NASKAH_HOME unless absolute)
    trusted besides the office CA ``keys/<office>/ca.pem``, e.g. the TSA's root.
    """

    footer: str
    paraf_visible: bool = False
    level: Literal["B-B", "B-T", "B-LT"] = "B-B"
    tsa_url: str = ""
    trust_roots: tuple[str, ...] = ()
    service_timeout: float = Field(default=10.0, gt=0, le=120)
    verify_url: str = "naskah:verify/{ref}"

    @model_validator(mode="after")
    def _tsa_for_timestamped_levels(self) -> "Signing":
        if self.level != "B-B" and not self.tsa_url:
            raise ValueError(f"level {self.level} needs a time-stamping authority: add tsa_url: "
                             "http(s)://... (the TSA's RFC 3161 address), or use level: B-B")
        if self.tsa_url and not re.match(r"^https?://[^\s/]+", self.tsa_url):
            raise ValueError(f"tsa_url {self.tsa_url!r} is not an http:// or https:// address")
        return self


# -- calendar: office hours, local holidays, extra working days; office-level limits ----------------
# Used by correspondence/calendar.py and deadlines.py; conventions in docs/calendar.md.

WEEKDAYS = ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu")  # date.weekday() order
_PERIOD = re.compile(r"^(\d{1,2})[:.](\d{2})\s*-\s*(\d{1,2})[:.](\d{2})$")


class Period(Frozen):
    """One stretch of office hours within a day, written "07:30-12:00" (or "07.30-12.00")."""

    start: Time
    end: Time

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: object) -> object:
        if not isinstance(data, str):
            return data
        match = _PERIOD.match(data.strip())
        if not match:
            raise ValueError(f"'{data}' is not a period of office hours; write it like \"07:30-12:00\"")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError(f"'{data}' is not a time of day (00:00 to 23:59)")
        return {"start": Time(h1, m1), "end": Time(h2, m2)}

    @model_validator(mode="after")
    def _forward(self) -> "Period":
        if self.end <= self.start:
            raise ValueError(f"office hours {self.start:%H:%M}-{self.end:%H:%M} end before they start")
        return self


def _periods(*texts: str) -> tuple[Period, ...]:
    return tuple(Period.model_validate(text) for text in texts)


def _check_day(periods: tuple[Period, ...], where: str) -> None:
    for before, after in zip(periods, periods[1:]):
        if after.start < before.end:
            raise ValueError(f"{where}: periods must be in order and must not overlap "
                             f"({before.start:%H:%M}-{before.end:%H:%M}, {after.start:%H:%M}-{after.end:%H:%M})")


class OfficeHours(Frozen):
    """Office hours per weekday; a weekday without hours is not a working day.

    Default: Senin-Kamis 07.30-16.00 with a break 12.00-13.00, Jumat 07.30-16.30 with a break
    11.30-13.00 (37.5 working hours a week, as Perpres 21/2023 sets for government offices); Sabtu
    and Minggu closed. Give only the days that differ; ``jumat: []`` closes a day.
    """

    senin: tuple[Period, ...] = _periods("07:30-12:00", "13:00-16:00")
    selasa: tuple[Period, ...] = _periods("07:30-12:00", "13:00-16:00")
    rabu: tuple[Period, ...] = _periods("07:30-12:00", "13:00-16:00")
    kamis: tuple[Period, ...] = _periods("07:30-12:00", "13:00-16:00")
    jumat: tuple[Period, ...] = _periods("07:30-11:30", "13:00-16:30")
    sabtu: tuple[Period, ...] = ()
    minggu: tuple[Period, ...] = ()

    @model_validator(mode="after")
    def _days(self) -> "OfficeHours":
        for name in WEEKDAYS:
            _check_day(getattr(self, name), name)
        if not any(getattr(self, name) for name in WEEKDAYS):
            raise ValueError("office_hours: at least one weekday needs office hours")
        return self

    def of(self, weekday: int) -> tuple[Period, ...]:
        """The periods of ``date.weekday()`` (0 = Senin)."""
        return getattr(self, WEEKDAYS[weekday])


class LocalHoliday(Frozen):
    """A day the office is closed besides the national ones (a regional holiday, cuti daerah)."""

    date: Date
    name: str = Field(min_length=1)


class ExtraWorkingDay(Frozen):
    """A day the office works although it is a weekend, holiday or cuti bersama (e.g. a front desk)."""

    date: Date
    name: str = ""
    hours: tuple[Period, ...] = ()  # default: that weekday's office hours, or Senin's if it has none

    @model_validator(mode="after")
    def _hours(self) -> "ExtraWorkingDay":
        _check_day(self.hours, f"extra working day {self.date}")
        return self


class OfficeCalendar(Frozen):
    """The office's own calendar: its hours and the days it adds or removes (see docs/calendar.md)."""

    office_hours: OfficeHours = OfficeHours()
    local_holidays: tuple[LocalHoliday, ...] = ()
    extra_working_days: tuple[ExtraWorkingDay, ...] = ()

    @model_validator(mode="after")
    def _distinct(self) -> "OfficeCalendar":
        holidays = [h.date for h in self.local_holidays]
        extra = [d.date for d in self.extra_working_days]
        for label, days in (("local_holidays", holidays), ("extra_working_days", extra)):
            twice = sorted({d for d in days if days.count(d) > 1})
            if twice:
                raise ValueError(f"{label}: {', '.join(map(str, twice))} listed more than once")
        both = sorted(set(holidays) & set(extra))
        if both:
            raise ValueError(f"{', '.join(map(str, both))} is both a local holiday and an extra working day; keep one")
        return self


class OfficeLimit(Frozen):
    """An overall limit the office works under besides its SOP's own (e.g. the SP4N-LAPOR! rules).

    It runs from a milestone to a milestone of each complaint: ``from`` is ``diterima`` (received)
    or a step id (when that step is first done), ``until`` is ``selesai`` (the complaint closed), a
    step id, or null: a window no one in the office closes (shown as information, never overdue).
    """

    name: str = Field(min_length=1)
    limit: Duration
    channels: tuple[str, ...] = ()  # empty: every channel
    from_: str = Field(default="diterima", alias="from")
    until: str | None = "selesai"

    @field_validator("from_", "until", mode="before")
    @classmethod
    def _step_ids(cls, value: object) -> object:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return known_channels(value)


class Office(Frozen):
    """The office profile as loaded from ``office.yaml``."""

    schema_: Literal["naskah/office/1"] = Field(alias="schema")
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    government: str
    name: str
    short_name: str
    unit: str = ""
    address: str
    city: str
    zona_waktu: Literal["WIB", "WITA", "WIT"] = "WIB"
    contacts: Contacts = Contacts()
    logo: str = ""
    sop: str
    numbering: Numbering
    signing: Signing
    officials: tuple[Official, ...]
    calendar: OfficeCalendar = OfficeCalendar()  # office hours, local holidays, extra working days
    limits: tuple[OfficeLimit, ...] = ()  # overall limits besides the SOP's (e.g. SP4N-LAPOR!)
    source: Path | None = None

    @model_validator(mode="after")
    def _unique_officials(self) -> "Office":
        seen: set[str] = set()
        for official in self.officials:
            if official.id in seen:
                raise ValueError(f"official id '{official.id}' appears twice")
            seen.add(official.id)
        return self

    @property
    def logo_path(self) -> Path | None:
        if not self.logo:
            return None
        path = Path(self.logo)
        if path.is_absolute():
            return path
        if self.source is not None and (self.source.parent / path).is_file():
            return self.source.parent / path
        from letter_templates import TEMPLATE_DIR

        return TEMPLATE_DIR / "letterheads" / path

    def official(self, official_id: str) -> Official:
        for official in self.officials:
            if official.id == official_id:
                return official
        known = ", ".join(o.id for o in self.officials)
        raise NotAllowed(f"office '{self.id}' has no official '{official_id}' (known: {known})")

    def holders(self, role: str) -> list[Official]:
        return [o for o in self.officials if o.role == role]

    def holder(self, role: str) -> Official:
        found = self.holders(role)
        if not found:
            raise NotAllowed(f"office '{self.id}' has no official with role '{role}'")
        return found[0]

    @property
    def roles(self) -> set[str]:
        return {o.role for o in self.officials}


def load_office(path: Path) -> Office:
    office = load_file(Office, path)
    office = office.model_copy(update={"source": path})
    logo = office.logo_path
    if logo is not None and not logo.is_file():
        raise ConfigError(f"{path}: key 'logo': file {logo} not found (give a path relative to this file, or a file name in letter_templates/letterheads/)")
    return office
