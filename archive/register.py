"""The register of letter numbers: take a nomor for a letter made outside Naskah, void one, list them.

Every number Naskah gives is a row of ``numbers`` (filed letters and numbers taken
by hand alike). A void number keeps its row, status 'void' and the reason; its
counter value is never given again. Each change is recorded in the audit trail
in the same transaction. The functions take the connection; the caller owns it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import audit, numbering
from .db import ensure_schema as _ensure, transaction
from .errors import ArchiveError, NumberAlreadyVoid, NumberingError, NumberNotFound


@dataclass(frozen=True)
class NumberEntry:
    office: str
    series: str
    year: int
    urut: int
    nomor: str
    status: str
    hal: str
    reason: str
    taken_at: str
    filed: bool = False

    @property
    def void(self) -> bool:
        return self.status == "void"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


_SELECT = ("SELECT n.office, n.series, n.year, n.urut, n.nomor, n.status, n.hal, n.reason, n.taken_at, "
           "EXISTS (SELECT 1 FROM letters l WHERE l.office = n.office AND l.nomor = n.nomor) AS filed FROM numbers n")


def ensure_schema(conn: sqlite3.Connection) -> None:
    if not audit._has_tables(conn, "counters", "numbers", "letters"):
        from .store import SCHEMA  # numbers, counters and letters, as the archive creates them

        _ensure(conn, SCHEMA)
    audit.ensure_schema(conn)


def _entry(row: sqlite3.Row) -> NumberEntry:
    values = dict(row)
    values["filed"] = bool(values["filed"])
    return NumberEntry(**values)


def take_number(conn: sqlite3.Connection, *, office: str, series: str, kka: str, hal: str, pattern: str,
                padding: int, unit: str, when: datetime, actor: str) -> NumberEntry:
    """Next nomor surat of (office, series, year) for a letter made outside Naskah: recorded, audited."""
    if not hal.strip():
        raise NumberingError("a number is taken for a letter: give its hal (subject)")
    numbering.check_pattern(pattern)
    ensure_schema(conn)
    with transaction(conn):
        urut = numbering.take(conn, office=office, series=series, year=when.year)
        nomor = numbering.format_number(pattern, urut=urut, padding=padding, tahun=when.year, bulan=when.month,
                                        kka=kka, unit=unit, series=series)
        taken_at = when.isoformat(timespec="seconds")
        numbering.record(conn, office=office, series=series, year=when.year, urut=urut, nomor=nomor, hal=hal.strip(),
                         taken_at=taken_at)
        audit.append(conn, actor=actor, action="number take", subject=nomor,
                     data={"office": office, "series": series, "year": when.year, "urut": urut, "kka": kka, "hal": hal.strip()},
                     at=when)
    return NumberEntry(office, series, when.year, urut, nomor, "issued", hal.strip(), "", taken_at, False)


def get_number(conn: sqlite3.Connection, nomor: str, *, office: str | None = None) -> NumberEntry:
    ensure_schema(conn)
    query, args = _SELECT + " WHERE n.nomor = ?", [nomor]
    if office is not None:
        query += " AND n.office = ?"
        args.append(office)
    rows = conn.execute(query, args).fetchall()
    if not rows:
        where = f" of office '{office}'" if office else ""
        raise NumberNotFound(f"nomor '{nomor}' is not in the register{where} (see 'naskah number list')")
    if len(rows) > 1:
        raise ArchiveError(f"nomor '{nomor}' is in the register of several offices; name the office (--office)")
    return _entry(rows[0])


def void_number(conn: sqlite3.Connection, nomor: str, *, reason: str, actor: str, office: str | None = None,
                when: datetime | None = None) -> NumberEntry:
    """Mark a number void, keeping it and the reason in the register; it is never given again."""
    if not reason.strip():
        raise NumberingError("say why the number is void (--reason)")
    ensure_schema(conn)
    with transaction(conn):
        entry = get_number(conn, nomor, office=office)
        if entry.void:
            raise NumberAlreadyVoid(f"nomor {nomor} is void already ({entry.reason})")
        conn.execute("UPDATE numbers SET status = 'void', reason = ? WHERE office = ? AND nomor = ?",
                     (reason.strip(), entry.office, nomor))
        audit.append(conn, actor=actor, action="number void", subject=nomor,
                     data={"office": entry.office, "series": entry.series, "year": entry.year, "urut": entry.urut,
                           "reason": reason.strip(), "filed": entry.filed}, at=when)
    return NumberEntry(**{**entry.to_dict(), "status": "void", "reason": reason.strip()})


def list_numbers(conn: sqlite3.Connection, *, year: int | None = None, office: str | None = None) -> list[NumberEntry]:
    """The register in order: office, year, series, urut (void ones included)."""
    ensure_schema(conn)
    query, args, where = _SELECT, [], []
    if year is not None:
        where.append("n.year = ?")
        args.append(year)
    if office is not None:
        where.append("n.office = ?")
        args.append(office)
    if where:
        query += " WHERE " + " AND ".join(where)
    return [_entry(r) for r in conn.execute(query + " ORDER BY n.office, n.year, n.series, n.urut", args)]
