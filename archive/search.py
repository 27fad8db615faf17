"""Retrieval of filed letters: full text (SQLite FTS5) and metadata filters.

The index ``letters_fts`` is an external-content FTS5 table over ``letters`` (no text is
stored twice); triggers on ``letters`` keep it in step inside whatever transaction writes
the row, so a letter is searchable exactly when it is filed. Indexed: nomor, hal, the
complaint's register, the complainant's display name, the complaint's subject and content,
and the letter's own text (read from the PDF by PDFium when it is filed).

User text never reaches FTS5 syntax: each word becomes a quoted string (operators, brackets
and unbalanced quotes are plain words), a word ending in ``*`` is a prefix, and the last
word is always a prefix (search-as-you-type). Balanced double quotes make a phrase.

Order: with words, the best match first (bm25 with the column weights ``WEIGHTS``; ties: the
newest filed first). When more than ``BROAD`` letters match, ranking every one of them would cost
time in proportion to the matches (about a second per million letters) for a word that says
little about relevance anyway: the newest filed letters come first then, and ``Results.warnings``
says so. Without words: newest first by the letter's date. Each query reads from ``letters`` only
the rows of the page asked for, and computes snippets for those only, so a first page costs about
the same in a large archive as in a small one (``bench/`` measures it at 1,000,000 letters).

Totals are counted up to ``COUNT_LIMIT`` matches: below, ``Results.total`` is exact; above, the
search says "more than 100,000" (``Results.total_exact`` is False) instead of counting on. An exact
count walks every match in the index, about 40 ms per million on 2 cores and growing with the
archive, while the page itself costs a fraction of a millisecond; a number that large tells an
archivist only to add words or filters, which the broad-search note says anyway. Paging goes on
past the count (``--page``), and whatever reads every page (the dossier export) reads until a page
comes back short.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .errors import InvalidQuery

FTS_COLUMNS = ("nomor", "hal", "complaint", "complainant", "complaint_text", "text")
WEIGHTS = (10.0, 5.0, 4.0, 3.0, 2.0, 1.0)  # bm25 weight of each column, in FTS_COLUMNS order
MAX_LIMIT = 1000
SNIPPET = "snippet(letters_fts, -1, '[', ']', '…', 12)"
#: more matches than this and a text search lists the newest letters first instead of ranking them all
BROAD = 5000
#: up to this many matches, the page (with snippets) comes from one statement; above, page ids first
INLINE = 200
#: a prefix standing for more indexed words than this is left to FTS5 as a prefix
MAX_EXPANSION = 64
#: totals are exact up to this many matches; above, "more than COUNT_LIMIT"
COUNT_LIMIT = 100_000

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
_PDFIUM = threading.Lock()  # PDFium is not thread-safe: one document at a time in this process


def extract_text(data: bytes) -> str:
    """The text of a PDF as a reader sees it, whitespace collapsed; '' if it has none or is not a PDF.

    PDFium (pypdfium2) reads it in this process: each page's content and the appearance of its
    annotations, so the nomor and tanggal filled in at the TTE and the signature stamp are in it
    (the pages are flattened in memory only; the file is not changed). pypdf is the fallback for a
    file PDFium will not open.
    """
    if not data.lstrip()[:5].startswith(b"%PDF"):
        return ""
    try:
        text = _pdfium_text(data)
    except Exception:  # PdfiumError on a damaged or encrypted file; the fallback may still read it
        text = ""
    if not text.strip():
        try:
            from pypdf import PdfReader

            text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
        except Exception:  # an unreadable PDF is still filed; it is only not searchable by its text
            text = ""
    return " ".join(text.split())


def _pdfium_text(data: bytes) -> str:
    parts = []
    with _PDFIUM:
        document = pdfium.PdfDocument(data)
        try:
            for index in range(len(document)):
                page = document[index]
                if pdfium_c.FPDFPage_Flatten(page.raw, pdfium_c.FLAT_NORMALDISPLAY) == pdfium_c.FLATTEN_SUCCESS:
                    page.close()  # the flattened content is seen by the page loaded again
                    page = document[index]
                textpage = page.get_textpage()
                try:
                    parts.append(textpage.get_text_bounded())
                finally:
                    textpage.close()
                    page.close()
        finally:
            document.close()
    return "\n".join(parts)


# -- queries ------------------------------------------------------------------------
_TERM = re.compile(r'"([^"]*)"|(\S+)')


def fts_terms(text: str, *, auto_prefix: bool = True) -> list[tuple[str, bool]]:
    """The user's words as (text, is a prefix) terms; a phrase in quotes is one term."""
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
    if terms and auto_prefix and not terms[-1][2]:
        terms[-1] = (terms[-1][0], True, False)
    return [(body, prefix) for body, prefix, _ in terms]


def _quoted(body: str) -> str:
    return '"' + body.replace('"', '""') + '"'


def fts_query(text: str, *, auto_prefix: bool = True) -> str | None:
    """An FTS5 MATCH expression for the user's words, or None if they hold no searchable word.

    Every term is a quoted FTS5 string, so no user input is ever read as FTS5 syntax.
    """
    terms = fts_terms(text, auto_prefix=auto_prefix)
    if not terms:
        return None
    return " ".join(_quoted(body) + ("*" if prefix else "") for body, prefix in terms)


def expanded_query(conn: sqlite3.Connection, text: str) -> str | None:
    """:func:`fts_query` with each one-word prefix spelled out as the indexed words it stands for.

    FTS5 answers a prefix term by merging the lists of every word it covers, in full, on each
    statement: in a large archive a common prefix costs time in proportion to the letters that
    match, even for a first page. ``"izi"*`` becomes ``("izin")``, ``"peng"*`` becomes
    ``("pengadu" OR "pengaduan" OR ...)``, which FTS5 walks lazily. A prefix standing for more than
    :data:`MAX_EXPANSION` words, or with characters other than ASCII letters and digits (the
    tokenizer may fold or split them), stays a prefix.
    """
    terms = fts_terms(text)
    if not terms:
        return None
    parts = []
    for body, prefix in terms:
        words = _words_with_prefix(conn, body.lower()) if prefix and body.isascii() and body.isalnum() else None
        if words is None:
            parts.append(_quoted(body) + ("*" if prefix else ""))
        elif not words:
            parts.append(_quoted(body))  # no indexed word starts so: nothing matches, cheaply
        else:
            parts.append("(" + " OR ".join(_quoted(w) for w in words) + ")")
    return " AND ".join(parts)  # FTS5 takes no implicit AND next to brackets


def _words_with_prefix(conn: sqlite3.Connection, prefix: str) -> list[str] | None:
    """Indexed words starting with ``prefix`` (None if more than MAX_EXPANSION), one index seek each."""
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.letters_fts_words USING fts5vocab(main, 'letters_fts', 'instance')")
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    words: list[str] = []
    low = prefix
    while True:
        # "instance" rows come one at a time, so LIMIT 1 stops at once; word + NUL seeks past a word
        row = conn.execute("SELECT term FROM temp.letters_fts_words WHERE term >= ? AND term < ? LIMIT 1",
                           (low, end)).fetchone()
        if row is None:
            return words
        if len(words) == MAX_EXPANSION:
            return None
        words.append(row[0])
        low = row[0] + "\x00"


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
    """How many letters match; when ``total_exact`` is False, more than this (:data:`COUNT_LIMIT`)."""
    page: int
    limit: int
    match: str | None = None
    elapsed_ms: float = 0.0
    warnings: list[str] = field(default_factory=list)
    total_exact: bool = True

    @property
    def pages(self) -> int:
        """How many pages (at least this many when the total is not exact)."""
        return max(1, -(-self.total // self.limit))

    @property
    def total_text(self) -> str:
        """The total for a person: "1,234" or "more than 100,000"."""
        return f"{self.total:,}" if self.total_exact else f"more than {self.total:,}"

    @property
    def last_page(self) -> bool:
        """No letters after this page. Past an inexact total only a short page says so (a full one
        may be the last; the next request then comes back empty)."""
        if self.total_exact:
            return self.page >= self.pages
        return len(self.hits) < self.limit


def _count(conn: sqlite3.Connection, source: str, where: str, args: list[Any]) -> tuple[int, bool]:
    """(total, exact): the matches counted up to :data:`COUNT_LIMIT` (see the module text)."""
    n = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM {source}{where} LIMIT ?)",
                     [*args, COUNT_LIMIT + 1]).fetchone()[0]
    return (n, True) if n <= COUNT_LIMIT else (COUNT_LIMIT, False)


def every_hit(conn: sqlite3.Connection, q: Query) -> Iterator[Hit]:
    """Every letter ``q`` finds, in its order, reading pages of :data:`MAX_LIMIT` until one is the last
    (past :data:`COUNT_LIMIT` matches too: the pages go on where the count stops)."""
    page = 1
    while True:
        found = search(conn, replace(q, page=page, limit=MAX_LIMIT))
        yield from found.hits
        if found.last_page or not found.hits:
            return
        page += 1


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
        # the code itself or any code under it: "500.16" and "500.16.x" (not "500.160"). A range
        # rather than LIKE, so that the index on (kka, tanggal) serves it
        where.append("(l.kka = ? OR (l.kka >= ? AND l.kka < ?))")
        args += [kka, kka + ".", kka + "/"]
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
    """Letters matching ``q``: best match first when there are words, else newest first.

    With words and more than :data:`BROAD` matches, the newest letters come first instead (see the
    module documentation) and ``warnings`` says so. ``total`` is exact up to :data:`COUNT_LIMIT`
    matches (``total_exact``).
    """
    import time

    if not 1 <= q.limit <= MAX_LIMIT:
        raise InvalidQuery(f"--limit must be between 1 and {MAX_LIMIT}")
    if q.page < 1:
        raise InvalidQuery("--page starts at 1")
    started = time.perf_counter()
    where, args, match = build(q)
    page = [q.limit, (q.page - 1) * q.limit]
    warnings: list[str] = []
    snippets: dict[int, str] = {}
    scores: dict[int, float] = {}
    try:
        if match is None:
            total, exact = _count(conn, "letters l", where, args)
            ids = [r[0] for r in conn.execute(
                f"SELECT l.id FROM letters l{where} ORDER BY l.tanggal DESC, l.id DESC LIMIT ? OFFSET ?", [*args, *page])]
            rows = _rows(conn, ids)
        else:
            args = [expanded_query(conn, q.text or ""), *args[1:]]
            # words alone need only the index; with filters the letters' rows take part
            joined = "letters_fts JOIN letters l ON l.id = letters_fts.rowid"
            source = joined if q.has_filter else "letters_fts"
            total, exact = _count(conn, source, where, args)
            score = f"bm25(letters_fts, {', '.join(str(w) for w in WEIGHTS)})"
            broad = total > BROAD
            if broad or total <= INLINE:
                # one statement: few matches are ranked whole; many come newest first, in the index's own
                # order, so FTS5 stops after the page and makes snippets for its rows only
                order = "letters_fts.rowid DESC" if broad else "score, l.id DESC"
                if broad:
                    warnings.append(f"{total:,} letters match: the newest are shown first; add words or filters "
                                    "to have the best matches first" if exact else
                                    f"more than {total:,} letters match: the newest are shown first; add words or "
                                    "filters to have the best matches first")
                found = conn.execute(f"SELECT l.*, {SNIPPET} AS snippet, {score} AS score FROM {joined}{where} "
                                     f"ORDER BY {order} LIMIT ? OFFSET ?", [*args, *page]).fetchall()
                ids = [r["id"] for r in found]
                rows = {r["id"]: r for r in found}
                snippets = {r["id"]: r["snippet"] for r in found}
            else:  # ranked, but too many for snippets of all: the page's ids first, then their rows and snippets
                found = conn.execute(f"SELECT letters_fts.rowid AS id, {score} AS score FROM {source}{where} "
                                     "ORDER BY score, letters_fts.rowid DESC LIMIT ? OFFSET ?", [*args, *page]).fetchall()
                ids = [r[0] for r in found]
                rows = _rows(conn, ids)
                snippets = _snippets(conn, args[0], ids)
            scores = {r["id"]: r["score"] for r in found}
    except sqlite3.OperationalError as exc:  # should not happen (every term is quoted); never a traceback
        if "fts5" in str(exc) or "syntax" in str(exc):
            raise InvalidQuery(f"the query '{q.text}' cannot be searched ({exc}); use plain words") from None
        raise
    hits = []
    for letter_id in ids:
        if letter_id not in rows:  # letters are never deleted; a row gone missing is not worth a traceback
            continue
        letter = dict(rows[letter_id])
        for extra in ("id", "snippet", "score"):
            letter.pop(extra, None)
        letter["signers"] = json.loads(letter["signers"])
        hits.append(Hit(letter, " ".join(snippets.get(letter_id, "").split()), scores.get(letter_id)))
    return Results(hits, total, q.page, q.limit, match, (time.perf_counter() - started) * 1000, warnings, exact)


def _rows(conn: sqlite3.Connection, ids: list[int]) -> dict[int, sqlite3.Row]:
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    return {r["id"]: r for r in conn.execute(f"SELECT * FROM letters WHERE id IN ({marks})", ids)}


def _snippets(conn: sqlite3.Connection, match: str, ids: list[int]) -> dict[int, str]:
    """The snippet of each letter of the page (FTS5 computes it for these rows only)."""
    out: dict[int, str] = {}
    for letter_id in ids:
        row = conn.execute(f"SELECT {SNIPPET} FROM letters_fts WHERE letters_fts MATCH ? AND rowid = ?",
                           (match, letter_id)).fetchone()
        out[letter_id] = row[0] if row else ""
    return out
