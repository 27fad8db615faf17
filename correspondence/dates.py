"""Indonesian dates and numbers in words, as official letters write them.

Pure functions, no I/O. Month and day names come from Babel's CLDR data for the
``id`` locale and numbers in words from num2words, so there is no hand-written table
to get wrong.

>>> from datetime import date, datetime
>>> tanggal(date(2026, 11, 21))
'21 November 2026'
>>> hari(date(2026, 11, 21))
'Sabtu'
>>> tanggal_angka(date(2026, 11, 21))
'21-11-2026'
>>> tanggal_terbilang(date(2026, 11, 21))
'Sabtu tanggal dua puluh satu bulan November tahun dua ribu dua puluh enam'
>>> jam(datetime(2026, 11, 21, 14, 5))
'14.05'
>>> terbilang(2011)
'dua ribu sebelas'
"""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from babel.dates import format_date
from num2words import num2words

__all__ = ["tanggal", "hari", "tanggal_angka", "tanggal_terbilang", "jam", "terbilang", "bulan"]

LOCALE = "id"


def _as_date(d: date | datetime) -> date:
    if isinstance(d, datetime):
        return d.date()
    if isinstance(d, date):
        return d
    raise TypeError(f"expected a date or datetime, got {type(d).__name__}: {d!r}")


def tanggal(d: date | datetime) -> str:
    """``21 November 2026`` (day without leading zero, month name, year)."""
    return format_date(_as_date(d), "d MMMM y", locale=LOCALE)


def bulan(d: date | datetime) -> str:
    """Month name: ``November``."""
    return format_date(_as_date(d), "MMMM", locale=LOCALE)


def hari(d: date | datetime) -> str:
    """Day of the week: ``Sabtu``."""
    return format_date(_as_date(d), "EEEE", locale=LOCALE)


def tanggal_angka(d: date | datetime) -> str:
    """``21-11-2026`` (dd-mm-yyyy), as written in brackets after a date in words."""
    return format_date(_as_date(d), "dd-MM-yyyy", locale=LOCALE)


def terbilang(n: int | Decimal | float | str) -> str:
    """A number in Indonesian words: 2026 -> ``dua ribu dua puluh enam``.

    Integers (and integral strings, e.g. ``"0057"``) are the common case; negative numbers read
    ``min ...`` and fractions ``... koma ...`` as num2words writes them.
    """
    if isinstance(n, bool):
        raise TypeError("terbilang() expects a number, not a bool")
    if isinstance(n, str):
        text = n.strip()
        try:
            n = int(text)
        except ValueError:
            try:
                n = Decimal(text)
            except Exception:
                raise ValueError(f"not a number: {text!r}") from None
    if isinstance(n, float) and n.is_integer():
        n = int(n)
    if isinstance(n, Decimal) and n == n.to_integral_value():
        n = int(n)
    return num2words(n, lang=LOCALE)


def tanggal_terbilang(d: date | datetime) -> str:
    """``Sabtu tanggal dua puluh satu bulan November tahun dua ribu dua puluh enam``.

    The opening of a berita acara: "Pada hari ini <this> (<tanggal_angka>), bertempat di ...".
    """
    d = _as_date(d)
    return f"{hari(d)} tanggal {terbilang(d.day)} bulan {bulan(d)} tahun {terbilang(d.year)}"


def jam(t: datetime | time) -> str:
    """Clock time with a dot, as Indonesian letters write it: ``14.05``."""
    if isinstance(t, (datetime, time)):
        return f"{t.hour:02d}.{t.minute:02d}"
    raise TypeError(f"expected a datetime or time, got {type(t).__name__}: {t!r}")
