"""The archive of filed letters: numbered, immutable, retrievable by nomor.

``Archive.issue`` is the unit of work of an outgoing letter: the nomor is taken,
the signed file is stored and the letter row is recorded in one transaction.
If anything fails inside it (the signature, the disk), nothing is recorded and
the number is not consumed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from . import numbering, search
from .blobs import BlobStore
from .db import ensure_schema, transaction
from .errors import ArchiveError, LetterNotFound, StorageFull

# letters_nomor: lookups by nomor alone (UNIQUE (office, nomor) serves only a known office);
# letters_tanggal, letters_kka: listings newest first, by KKA. IF NOT EXISTS: an existing
# database gets an index added here when it is next opened.
SCHEMA = numbering.SCHEMA + """;
CREATE TABLE IF NOT EXISTS letters (
    id INTEGER PRIMARY KEY,
    office TEXT NOT NULL,
    nomor TEXT NOT NULL,
    tanggal TEXT NOT NULL,
    kka TEXT NOT NULL DEFAULT '',
    hal TEXT NOT NULL DEFAULT '',
    sifat TEXT NOT NULL DEFAULT '',
    complaint TEXT NOT NULL DEFAULT '',
    doc_key TEXT NOT NULL DEFAULT '',
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    verification_ref TEXT UNIQUE,
    signers TEXT NOT NULL DEFAULT '[]',
    filed_at TEXT NOT NULL,
    UNIQUE (office, nomor)
);
CREATE INDEX IF NOT EXISTS letters_sha256 ON letters (sha256);
CREATE INDEX IF NOT EXISTS letters_complaint ON letters (complaint);
CREATE INDEX IF NOT EXISTS letters_nomor ON letters (nomor);
CREATE INDEX IF NOT EXISTS letters_tanggal ON letters (tanggal);
CREATE INDEX IF NOT EXISTS letters_kka ON letters (kka, tanggal)
"""

# Columns added after the first release. Forward-only: an existing database gets them with
# ALTER TABLE ADD COLUMN when it is opened (see ``migrate``); nothing is ever dropped or renamed.
LETTER_COLUMNS: dict[str, str] = {
    "complainant": "TEXT NOT NULL DEFAULT ''",     # display name of the pengadu; '' when anonymous
    "complaint_text": "TEXT NOT NULL DEFAULT ''",  # the complaint's subject and content, for retrieval
    "status": "TEXT NOT NULL DEFAULT 'filed'",
    "text": "TEXT NOT NULL DEFAULT ''",            # the letter's own text, extracted when filed
}


@dataclass(frozen=True)
class FiledLetter:
    office: str
    nomor: str
    tanggal: str
    kka: str
    hal: str
    sifat: str
    complaint: str
    doc_key: str
    sha256: str
    size: int
    verification_ref: str | None
    signers: tuple[dict[str, Any], ...]
    filed_at: str
    complainant: str = ""
    complaint_text: str = ""
    status: str = "filed"
    text: str = ""

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "FiledLetter":
        data = dict(row)
        data.pop("id")
        data["signers"] = tuple(json.loads(data["signers"]))
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "signers": list(self.signers)}

    @property
    def signed(self) -> bool:
        """Carries an electronic signature (TTE) that can be verified."""
        return any(s.get("kind") == "tte" for s in self.signers)


@dataclass
class Issuing:
    """A letter being issued: its nomor is reserved until the transaction ends."""

    archive: "Archive"
    office: str
    nomor: str
    urut: int
    when: datetime
    kka: str
    hal: str
    filed: FiledLetter | None = field(default=None)

    def file(self, data: bytes, *, doc_key: str, complaint: str = "", sifat: str = "", verification_ref: str | None = None,
             signers: list[dict[str, Any]] | tuple = (), complainant: str = "", complaint_text: str = "",
             status: str = "filed", text: str | None = None) -> FiledLetter:
        """Store the file, then record the letter (and its search entry, by trigger) in this transaction.

        ``text`` is the letter's full text; when None it is extracted from the PDF here.
        """
        if self.filed is not None:
            raise ArchiveError(f"letter {self.nomor} is already filed")
        if text is None:
            text = search.extract_text(data)
        digest = self.archive.blobs.put(data)  # durable before the row that names it
        try:
            insert_letter(self.archive.conn, {
                "office": self.office, "nomor": self.nomor, "tanggal": self.when.date().isoformat(), "kka": self.kka,
                "hal": self.hal, "sifat": sifat, "complaint": complaint, "doc_key": doc_key, "sha256": digest,
                "size": len(data), "verification_ref": verification_ref, "signers": json.dumps(list(signers)),
                "filed_at": datetime.now().isoformat(timespec="seconds"), "complainant": complainant,
                "complaint_text": complaint_text, "status": status, "text": text,
            })
        except sqlite3.OperationalError as exc:
            if "full" in str(exc):
                raise StorageFull(f"the database cannot grow ({exc}); letter {self.nomor} was not filed and "
                                  "its number is not used; free some space and try again") from None
            raise
        self.filed = self.archive.get(self.nomor, office=self.office)
        return self.filed


LETTER_FIELDS = ("office", "nomor", "tanggal", "kka", "hal", "sifat", "complaint", "doc_key", "sha256", "size",
                 "verification_ref", "signers", "filed_at", *LETTER_COLUMNS)


def insert_letter(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    """The one INSERT of a letter row (filing and dossier import); the search index follows by trigger."""
    conn.execute(f"INSERT INTO letters ({', '.join(LETTER_FIELDS)}) VALUES ({', '.join('?' * len(LETTER_FIELDS))})",
                 tuple(row[k] for k in LETTER_FIELDS))


def migrate(conn: sqlite3.Connection, blobs: BlobStore) -> None:
    """Bring an existing database forward: add missing letter columns, fill them once, build the index."""
    have = {r["name"] for r in conn.execute("PRAGMA table_info(letters)")}
    if set(LETTER_COLUMNS) <= have and search.index_exists(conn):
        return
    with transaction(conn):
        have = {r["name"] for r in conn.execute("PRAGMA table_info(letters)")}  # again, under the write lock
        added = [name for name in LETTER_COLUMNS if name not in have]
        for name in added:
            conn.execute(f"ALTER TABLE letters ADD COLUMN {name} {LETTER_COLUMNS[name]}")
        if "text" in added:
            for row in conn.execute("SELECT id, sha256 FROM letters").fetchall():
                if blobs.exists(row["sha256"]):
                    conn.execute("UPDATE letters SET text = ? WHERE id = ?",
                                 (search.extract_text(blobs.path(row["sha256"]).read_bytes()), row["id"]))
        if "complainant" in added and conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'complaints'").fetchone():
            # letters filed before these columns existed: take them from the complaint register once
            conn.execute(
                "UPDATE letters SET "
                "complainant = COALESCE((SELECT CASE WHEN json_extract(c.complainant, '$.anonymous') THEN '' "
                "ELSE json_extract(c.complainant, '$.name') END FROM complaints c WHERE c.register = letters.complaint), ''), "
                "complaint_text = COALESCE((SELECT c.subject || char(10) || c.content FROM complaints c "
                "WHERE c.register = letters.complaint), '')"
            )
        search.ensure_index(conn)


class Archive:
    def __init__(self, home: Path, conn: sqlite3.Connection) -> None:
        self.home = home
        self.conn = conn
        self.blobs = BlobStore(home / "blobs")
        ensure_schema(conn, SCHEMA)
        migrate(conn, self.blobs)

    @contextmanager
    def issue(self, *, office: str, series: str, kka: str, hal: str, pattern: str, padding: int, unit: str, when: datetime) -> Iterator[Issuing]:
        """Take the next nomor and file the letter in one transaction (see module doc)."""
        numbering.check_pattern(pattern)
        with transaction(self.conn):
            urut = numbering.take(self.conn, office=office, series=series, year=when.year)
            nomor = numbering.format_number(pattern, urut=urut, padding=padding, tahun=when.year, bulan=when.month, kka=kka, unit=unit, series=series)
            numbering.record(self.conn, office=office, series=series, year=when.year, urut=urut, nomor=nomor, hal=hal,
                             taken_at=when.isoformat(timespec="seconds"))
            issuing = Issuing(self, office, nomor, urut, when, kka, hal)
            yield issuing
            if issuing.filed is None:
                raise ArchiveError(f"nomor {nomor} was taken but no letter was filed; nothing recorded")

    def take_agenda(self, *, office: str, pattern: str, padding: int, unit: str, when: datetime) -> str:
        """Next nomor agenda (register number) of an incoming complaint; call inside a transaction."""
        urut = numbering.take(self.conn, office=office, series="agenda", year=when.year)
        return numbering.format_number(pattern, urut=urut, padding=padding, tahun=when.year, bulan=when.month, unit=unit, series="agenda")

    def get(self, nomor: str, *, office: str | None = None) -> FiledLetter:
        query = "SELECT * FROM letters WHERE nomor = ?"
        args: tuple[Any, ...] = (nomor,)
        if office is not None:
            query += " AND office = ?"
            args += (office,)
        rows = self.conn.execute(query, args).fetchall()
        if not rows:
            raise LetterNotFound(f"no filed letter with nomor '{nomor}'")
        if len(rows) > 1:
            raise ArchiveError(f"nomor '{nomor}' exists in several offices; name the office")
        return FiledLetter.from_row(rows[0])

    def read(self, nomor: str, *, office: str | None = None) -> bytes:
        """The filed file, checked against its recorded sha256."""
        letter = self.get(nomor, office=office)
        return self.blobs.get(letter.sha256)

    def find_by_ref(self, ref: str) -> FiledLetter:
        """The signed letter whose TTE QR carries the verification reference ``ref``."""
        row = self.conn.execute("SELECT * FROM letters WHERE verification_ref = ?", (ref,)).fetchone()
        if row is None:
            raise LetterNotFound(f"no filed letter with verification reference '{ref}'")
        return FiledLetter.from_row(row)

    def find_by_sha256(self, digest: str) -> list[FiledLetter]:
        rows = self.conn.execute("SELECT * FROM letters WHERE sha256 = ?", (digest,)).fetchall()
        return [FiledLetter.from_row(r) for r in rows]

    def search(self, query: "search.Query") -> "search.Results":
        """Full text and metadata search (see archive.search)."""
        return search.search(self.conn, query)

    def search_all(self, query: "search.Query") -> Iterator["search.Hit"]:
        """Every letter ``query`` finds, page after page (``query.page`` and ``limit`` ignored)."""
        return search.every_hit(self.conn, query)

    def all_letters(self) -> list[FiledLetter]:
        rows = self.conn.execute("SELECT * FROM letters ORDER BY id").fetchall()
        return [FiledLetter.from_row(r) for r in rows]

    def letters_of(self, complaint: str) -> list[FiledLetter]:
        rows = self.conn.execute("SELECT * FROM letters WHERE complaint = ? ORDER BY id", (complaint,)).fetchall()
        return [FiledLetter.from_row(r) for r in rows]
