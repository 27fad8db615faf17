"""Numbering of letters (nomor surat) and incoming complaints (nomor agenda).

The pattern is the office's; ``take`` increments the counter of (office, series,
year) inside the caller's transaction, so the number and the record it numbers
commit together or not at all: never MAX+1, never reused, no gap.
"""

from __future__ import annotations

import sqlite3
import string

from .errors import NumberingError

FIELDS = {"kka", "urut", "unit", "tahun", "bulan", "series"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    office TEXT NOT NULL,
    series TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (office, series, year)
);
CREATE TABLE IF NOT EXISTS numbers (
    id INTEGER PRIMARY KEY,
    office TEXT NOT NULL,
    series TEXT NOT NULL,
    year INTEGER NOT NULL,
    urut INTEGER NOT NULL,
    nomor TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'void')),
    hal TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    taken_at TEXT NOT NULL,
    UNIQUE (office, series, year, urut),
    UNIQUE (office, nomor)
)
"""


def check_pattern(pattern: str) -> None:
    """Raise NumberingError unless ``pattern`` uses only known fields and has {urut}."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError as exc:
        raise NumberingError(f"numbering pattern '{pattern}' is malformed: {exc}") from None
    unknown = names - FIELDS
    if unknown:
        raise NumberingError(
            f"numbering pattern '{pattern}' uses unknown field(s) {sorted(unknown)}; known: {sorted(FIELDS)}"
        )
    if "urut" not in names:
        raise NumberingError(f"numbering pattern '{pattern}' must contain {{urut}}")


def format_number(pattern: str, *, urut: int, padding: int, tahun: int, bulan: int = 1, kka: str = "", unit: str = "", series: str = "") -> str:
    check_pattern(pattern)
    return pattern.format(
        urut=str(urut).zfill(padding), tahun=tahun, bulan=f"{bulan:02d}", kka=kka, unit=unit, series=series
    )


def record(conn: sqlite3.Connection, *, office: str, series: str, year: int, urut: int, nomor: str, hal: str,
           taken_at: str) -> None:
    """The row of a number just taken; NumberingError if the pattern printed a nomor the office already has."""
    try:
        conn.execute(
            "INSERT INTO numbers (office, series, year, urut, nomor, hal, taken_at) VALUES (?,?,?,?,?,?,?)",
            (office, series, year, urut, nomor, hal, taken_at),
        )
    except sqlite3.IntegrityError:
        raise NumberingError(f"nomor {nomor} is already in the register of {office} (another series gives "
                             f"the same text; put {{series}} in the pattern or give the series their own KKA)") from None


def take(conn: sqlite3.Connection, *, office: str, series: str, year: int) -> int:
    """Next sequence number of (office, series, year); call inside a write transaction."""
    if not conn.in_transaction:
        raise NumberingError("a number must be taken inside the transaction that records it")
    row = conn.execute(
        "INSERT INTO counters (office, series, year, last) VALUES (?, ?, ?, 1) "
        "ON CONFLICT (office, series, year) DO UPDATE SET last = last + 1 RETURNING last",
        (office, series, year),
    ).fetchone()
    return int(row[0])
