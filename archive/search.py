"""Retrieval of filed letters: full text (SQLite FTS5) and metadata filters.

The index ``letters_fts`` is an external-content FTS5 table over ``letters`` (no text is
stored twice); triggers on ``letters`` keep it in step inside whatever transaction writes
the row, so a letter is searchable exactly when it is filed. Indexed: nomor, hal, the
complaint's register, the complainant's display name, the complaint's subject and content,
and the letter's own text (extracted from the PDF when filed).

User text never reaches FTS5 syntax: each word becomes a quoted string (operators, brackets
and unbalanced quotes are plain words), a word ending in ``*`` is a prefix, and the last
word is always a prefix (search-as-you-type). Balanced double quotes make a phrase.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .errors import InvalidQuery

FTS_COLUMNS = ("nomor", "hal", "complaint", "complainant", "complaint_text", "text")
WEIGHTS = (10.0, 5.0, 4.0, 3.0, 2.0, 1.0)  # bm25 weight of each column, in FTS_COLUMNS order
MAX_LIMIT = 1000

_COLS = ", ".join(FTS_COLUMNS)
_NEW = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
_OLD = ", ".join(f"old.{c}" for c in FTS_COLUMNS)
INDEX_DDL = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS letters_fts USING fts5({_COLS}, content='letters', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER IF NOT EXISTS letters_fts_ai AFTER INSERT ON letters BEGIN "
    f"INSERT INTO letters_fts (rowid, {_COLS}) VALUES (new.id, {_NEW}); END",
    f"CREATE TRIGGER IF NOT EXISTS letters_fts_ad AFTER DELETE ON letters BEGIN "
    f"INSERT INTO letters_fts (letters_fts, rowid, {_COLS}) VALUES ('delete', old.id, {_OLD}); END",
    f"CREATE TRIGGER IF NOT EXISTS letters_fts_au AFTER UPDATE ON letters BEGIN "
    f"INSERT INTO letters_fts (letters_fts, rowid, {_COLS}) VALUES ('delete', old.id, {_OLD}); "
    f"INSERT INTO letters_fts (rowid, {_COLS}) VALUES (new.id, {_NEW}); END",
]


# -- the index ----------------------------------------------------------------
def index_exists(conn: sqlite3.Connection) -> bool:
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'letters_fts%'")}
    return {"letters_fts", "letters_fts_ai", "letters_fts_ad", "letters_fts_au"} <= names


def ensure_index(conn: sqlite3.Connection) -> None:
    """Create the index and its triggers; (re)build it from ``letters`` when it is new. Inside a transaction."""
    new = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'letters_fts'").fetchone() is None
    for statement in INDEX_DDL:
        conn.execute(statement)
    if new:
        rebuild(conn)


def rebuild(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO letters_fts (letters_fts) VALUES ('rebuild')")


# -- text of a letter -----------------------------------------------------------
def extract_text(data: bytes) -> str:
    """The text of a PDF (pdftotext, else pypdf), whitespace collapsed; '' if it has none or is not a PDF."""
    if not data.lstrip()[:5].startswith(b"%PDF"):
        return ""
    text = ""
    if shutil.which("pdftotext"):
        try:
            done = subprocess.run(["pdftotext", "-q", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,
                                  timeout=60, check=False)
            text = done.stdout.decode("utf-8", "replace") if done.returncode == 0 else ""
        except (OSError, subprocess.TimeoutExpired):
            text = ""
    if not text.strip():
        try:
            from pypdf import PdfReader

            text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
        except Exception:  # an unreadable PDF is still filed; it is only not searchable by its text
            text = ""
    return " ".join(text.split())


# -- queries ------------------------------------------------------------------------
_TERM = re.compile(r'"([^"]*)"|(\S+)')


def fts_query(text: str, *, auto_prefix: bool = True) -> str | None:
    """An FTS5 MATCH expression for the user's words, or None if they hold no searchable word.

    Every term is a quoted FTS5 string, so no user input is ever read as FTS5 syntax.
    """
    if text.count('"') % 2:  # unbalanced quotes: plain words
        text = text.replace('"', " ")
    terms: list[tuple[str, bool, bool]] = []  # (text, prefix, was a phrase)
    for match in _TERM.finditer(text):
        phrase, word = match.group(1), match.group(2)
        if phrase is not None:
            body, prefix, quoted = phrase, False, True
        else:
            body, quoted = word, False
            prefix = body.endswith("*")
            body = body.rstrip("*")
        if not any(ch.isalnum() for ch in body):
            continue  # "(", "-", "*": nothing a tokenizer would keep
        terms.append((body, prefix, quoted))
    if not terms:
        return None
    if auto_prefix and not terms[-1][2]:
        terms[-1] = (terms[-1][0], True, False)
    return " ".join('"' + body.replace('"', '""') + '"' + ("*" if prefix else "") for body, prefix, _ in terms)


def parse_date(value: str | date | None, what: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(value.strip(), fmt).date().isoformat()
        except ValueError:
            pass
    raise InvalidQuery(f"{what} '{value}' is not a date; write it as YYYY-MM-DD (e.g. 2026-11-21) or DD-MM-YYYY")


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class Query:
    text: str | None = None
    nomor: str | None = None
    agenda: str | None = None
    complaint: str | None = None
    complainant: str | None = None
    date_from: str | date | None = None
    date_to: str | date | None = None
    kka: str | None = None
    status: str | None = None
    signer: str | None = None
    office: str | None = None
    limit: int = 20
    page: int = 1

    @property
    def has_filter(self) -> bool:
        return any(v not in (None, "") for v in (self.nomor, self.agenda, self.complaint, self.complainant,
                                                 self.date_from, self.date_to, self.kka, self.status, self.signer,
                                                 self.office))


@dataclass
class Hit:
    letter: dict[str, Any]
    snippet: str = ""
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.letter.items() if k not in ("text", "complaint_text")}
        out["snippet"] = self.snippet
        return out


@dataclass
class Results:
    hits: list[Hit]
    total: int
    page: int
    limit: int
    match: str | None = None
    elapsed_ms: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))


def build(q: Query) -> tuple[str, list[Any], str | None]:
    """The WHERE clause (over ``l`` = letters, and the index when there is text) and its arguments."""
    where: list[str] = []
    args: list[Any] = []
    match = fts_query(q.text) if q.text is not None and q.text.strip() else None
    if match is None and not q.has_filter:
        if q.text is not None and q.text.strip():
            raise InvalidQuery(f"the query '{q.text}' holds no word to search for; give words, or a filter "
                               "(--nomor, --complaint, --from, --kka, --signer, ...)")
        raise InvalidQuery("nothing to search for: give words to search, or a filter "
                           "(--nomor, --agenda, --complaint, --complainant, --from/--to, --kka, --status, --signer)")
    if match is not None:
        where.append("letters_fts MATCH ?")
        args.append(match)
    if q.nomor:
        where.append("(l.nomor = ? OR l.nomor LIKE ? ESCAPE '\\')")
        args += [q.nomor.strip(), f"%{_like(q.nomor.strip())}%"]
    if q.complaint:
        where.append("l.complaint = ?")
        args.append(q.complaint.strip())
    if q.agenda:
        where.append("l.complaint LIKE ? ESCAPE '\\'")
        args.append(f"%{_like(q.agenda.strip())}%")
    if q.complainant:
        where.append("l.complainant LIKE ? ESCAPE '\\'")
        args.append(f"%{_like(q.complainant.strip())}%")
    start, end = parse_date(q.date_from, "--from"), parse_date(q.date_to, "--to")
    if start and end and start > end:
        raise InvalidQuery(f"--from {start} is after --to {end}")
    if start:
        where.append("l.tanggal >= ?")
        args.append(start)
    if end:
        where.append("l.tanggal <= ?")
        args.append(end)
    if q.kka:
        kka = q.kka.strip().rstrip(".")
        where.append("(l.kka = ? OR l.kka LIKE ? ESCAPE '\\')")
        args += [kka, f"{_like(kka)}.%"]
    if q.status:
        where.append("l.status = ?")
        args.append(q.status.strip())
    if q.office:
        where.append("l.office = ?")
        args.append(q.office)
    if q.signer:
        who = q.signer.strip()
        digits = re.sub(r"\s+", "", who)
        where.append("EXISTS (SELECT 1 FROM json_each(l.signers) s WHERE replace(json_extract(s.value, '$.nip'), ' ', '') = ? "
                     "OR json_extract(s.value, '$.official') = ? OR json_extract(s.value, '$.name') LIKE ? ESCAPE '\\')")
        args += [digits, who, f"%{_like(who)}%"]
    return (" WHERE " + " AND ".join(where)) if where else "", args, match


def search(conn: sqlite3.Connection, q: Query) -> Results:
    """Letters matching ``q``: best match first when there are words, else newest first."""
    import time

    if not 1 <= q.limit <= MAX_LIMIT:
        raise InvalidQuery(f"--limit must be between 1 and {MAX_LIMIT}")
    if q.page < 1:
        raise InvalidQuery("--page starts at 1")
    started = time.perf_counter()
    where, args, match = build(q)
    if match is not None:
        source = "letters_fts JOIN letters l ON l.id = letters_fts.rowid"
        extra = (f", snippet(letters_fts, -1, '[', ']', '…', 12) AS snippet, "
                 f"bm25(letters_fts, {', '.join(str(w) for w in WEIGHTS)}) AS score")
        order = "score, l.tanggal DESC, l.id DESC"
    else:
        source, extra, order = "letters l", ", '' AS snippet, NULL AS score", "l.tanggal DESC, l.id DESC"
    try:
        total = conn.execute(f"SELECT count(*) FROM {source}{where}", args).fetchone()[0]
        rows = conn.execute(f"SELECT l.*{extra} FROM {source}{where} ORDER BY {order} LIMIT ? OFFSET ?",
                            [*args, q.limit, (q.page - 1) * q.limit]).fetchall()
    except sqlite3.OperationalError as exc:  # should not happen (every term is quoted); never a traceback
        if "fts5" in str(exc) or "syntax" in str(exc):
            raise InvalidQuery(f"the query '{q.text}' cannot be searched ({exc}); use plain words") from None
        raise
    hits = []
    for row in rows:
        letter = dict(row)
        snippet, score = letter.pop("snippet"), letter.pop("score")
        letter.pop("id", None)
        letter["signers"] = json.loads(letter["signers"])
        hits.append(Hit(letter, " ".join((snippet or "").split()), score))
    return Results(hits, total, q.page, q.limit, match, (time.perf_counter() - started) * 1000)
