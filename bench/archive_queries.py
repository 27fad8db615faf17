"""Archive retrieval at scale: Naskah's lookups and searches against the same queries by hand.

On a synthetic archive (``bench/synthetic.py``) of N letters, four kinds of request, each with
several different parameters, each parameter timed ``repeats`` times after one untimed run, Naskah
and the peer alternating:

* **lookup by nomor**: ``Archive.get(nomor)`` (what ``naskah archive show`` does) against
  ``SELECT * FROM letters WHERE nomor = ?``;
* **selective full-text search**: ``Archive.search(Query(text=word))`` for a word found in 5 to
  60 letters: first page of 20, total, snippets, bm25 ranking; the peer: ``count(*)`` (up to ``COUNT_LIMIT``) on
  ``letters_fts`` and one ``SELECT l.*, snippet(..), bm25(..) ... JOIN letters ... ORDER BY score,
  l.id DESC LIMIT 20``;
* **broad full-text search, first page**: the same for a word in most letters. Naskah lists the
  newest first when more than ``archive.search.BROAD`` letters match; the peer makes the same
  request (``ORDER BY letters_fts.rowid DESC LIMIT 20``). Three detail rows show the alternatives:
  ranking every match by bm25, counting every match for an exact total (Naskah counts up to
  ``archive.search.COUNT_LIMIT``, and so does the peer), and leaving the last word a prefix for
  FTS5 (``"word"*``);
* **filtered listing**: ``Query(kka=..., date_from=..., date_to=...)``: one KKA and its sub-codes
  over one year, newest first, first page and total; the peer: the same conditions by hand.

Same work on both sides: the peer gets the very MATCH expression Naskah runs (its last word, a
prefix, spelled out as the indexed words, computed once outside the peer's clock) and returns the
same data (each row as a record with its signers decoded from JSON, as Naskah's ``FiledLetter`` and
``Hit`` have them); every query checks that both give the same letters in the same order and the
same total. Both read the same database file (Naskah's schema and indexes); the peer through a
plain ``sqlite3`` connection opened read-only.
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import time
from collections.abc import Callable
from typing import Any

from . import synthetic
from .stats import Figure, Summary

WEIGHTS = "10.0, 5.0, 4.0, 3.0, 2.0, 1.0"
SNIPPET = "snippet(letters_fts, -1, '[', ']', '…', 12)"


def _pick_terms(raw: sqlite3.Connection, lo: int, hi: int, count: int) -> list[str]:
    """Words of the vocabulary found in lo..hi letters that no other indexed word starts with
    (Naskah makes the last word a prefix: the prefix must not widen the search)."""
    raw.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab USING fts5vocab(main, letters_fts, row)")
    terms = raw.execute("SELECT term, doc FROM temp.vocab").fetchall()
    words = set(synthetic.vocabulary()) | set(synthetic.rare_words(int(raw.execute("SELECT count(*) FROM letters").fetchone()[0])))
    names = sorted(t for t, _ in terms)
    extended = set()
    for a, b in zip(names, names[1:]):
        if b.startswith(a):
            extended.add(a)
    chosen = sorted(t for t, d in terms if lo <= d <= hi and t in words and t not in extended)
    step = max(1, len(chosen) // count)
    return chosen[::step][:count]


def _capped_total(raw: sqlite3.Connection, source_where: str, args: tuple) -> int:
    """A total as Naskah counts it: exact up to ``archive.search.COUNT_LIMIT`` matches, then that limit."""
    from archive.search import COUNT_LIMIT

    n = raw.execute(f"SELECT count(*) FROM (SELECT 1 FROM {source_where} LIMIT ?)", (*args, COUNT_LIMIT + 1)).fetchone()[0]
    return min(n, COUNT_LIMIT)


def _time_pair(naskah: Callable[[], list[str]], peer: Callable[[], list[str]], repeats: int,
               out_n: list[float], out_p: list[float]) -> None:
    a, b = naskah(), peer()
    if a != b:
        raise AssertionError(f"Naskah and the hand-written query disagree: {a[:3]} vs {b[:3]}")
    for _ in range(repeats):
        t = time.perf_counter()
        naskah()
        out_n.append(time.perf_counter() - t)
        t = time.perf_counter()
        peer()
        out_p.append(time.perf_counter() - t)


def run(n: int, *, repeats: int, say=print) -> tuple[list[Figure], dict[str, Any]]:
    from archive.db import connect
    from archive.search import BROAD, COUNT_LIMIT, Query
    from archive.store import Archive

    say(f"  archive of {n:,} letters (built once, cached under bench/.cache)")
    t = time.perf_counter()
    home = synthetic.build(n, say=say)
    archive = Archive(home, connect(home))  # creates any index the schema gained since the cache was built
    opened = time.perf_counter() - t
    raw = synthetic.open_readonly(home)
    rnd = random.Random(n)
    last = raw.execute("SELECT max(id) FROM letters").fetchone()[0]
    nomors = [raw.execute("SELECT nomor FROM letters WHERE id = ?", (rnd.randint(1, last),)).fetchone()[0]
              for _ in range(30)]
    selective = _pick_terms(raw, 5, 60, 10)
    broad = [t for t, in raw.execute(
        "SELECT term FROM temp.vocab WHERE doc > ? ORDER BY doc DESC", (n // 2,)).fetchall()
        if t.isalpha() and t.islower()][:40:8]
    years = sorted({r[0] for r in raw.execute("SELECT DISTINCT substr(tanggal, 1, 4) FROM letters")})
    filters = [(kka, y) for kka, y in zip(["500.16", "000.8", "100.3", "800.1", "600.2"], years[2::2])]
    say(f"    selective words {selective[:4]}..., broad words {broad}, filters {filters}")
    res: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in ("lookup", "selective", "broad", "filtered",
                                                                          "ranked", "bare", "prefix", "counted")}
    exact_totals: list[int] = []
    totals: dict[str, list[int]] = {"selective": [], "broad": [], "filtered": []}

    raw.row_factory = sqlite3.Row

    def letters_of(rows) -> list[dict]:
        """The peer's result in the form Naskah gives it: each letter a record, its signers decoded."""
        out = []
        for row in rows:
            letter = dict(row)
            letter["signers"] = json.loads(letter["signers"])
            out.append(letter)
        return out

    for nomor in nomors:
        _time_pair(lambda: [archive.get(nomor).nomor],
                   lambda: [r["nomor"] for r in letters_of(raw.execute("SELECT * FROM letters WHERE nomor = ?",
                                                                       (nomor,)).fetchall())],
                   repeats, *res["lookup"])
        bare = lambda: [r[2] for r in raw.execute("SELECT * FROM letters WHERE nomor = ?", (nomor,)).fetchall()]  # noqa: E731
        _time_pair(bare, bare, 1, *res["bare"])

    def text_pair(word: str, kind: str, order: str) -> None:
        from archive.search import expanded_query

        match = expanded_query(raw, word)  # the same MATCH Naskah runs (its last word, a prefix, spelled out)

        def naskah() -> list[str]:
            found = archive.search(Query(text=word))
            totals[kind].append(found.total)
            return [h.letter["nomor"] for h in found.hits] + [found.total]  # type: ignore[list-item]

        def peer() -> list[str]:
            total = _capped_total(raw, "letters_fts WHERE letters_fts MATCH ?", (match,))
            rows = raw.execute(
                f"SELECT l.*, {SNIPPET} AS snippet, bm25(letters_fts, {WEIGHTS}) AS score FROM letters_fts "
                f"JOIN letters l ON l.id = letters_fts.rowid WHERE letters_fts MATCH ? ORDER BY {order} LIMIT 20",
                (match,)).fetchall()
            return [r["nomor"] for r in letters_of(rows)] + [total]  # type: ignore[list-item]

        _time_pair(naskah, peer, repeats, *res[kind])

    for word in selective:
        text_pair(word, "selective", "score, l.id DESC")
    for word in broad:
        text_pair(word, "broad", "letters_fts.rowid DESC")
    for word in broad[:2]:  # what ranking every match of a broad word costs (by hand; detail row)
        from archive.search import expanded_query

        match = expanded_query(raw, word)
        ranked = lambda: [r["nomor"] for r in letters_of(raw.execute(  # noqa: E731
            f"SELECT l.*, {SNIPPET} AS snippet, bm25(letters_fts, {WEIGHTS}) AS score FROM letters_fts JOIN letters l "
            "ON l.id = letters_fts.rowid WHERE letters_fts MATCH ? ORDER BY score, l.id DESC LIMIT 20", (match,)).fetchall())]
        _time_pair(ranked, ranked, max(1, repeats // 2), *res["ranked"])

        def counted() -> list[str]:  # the same first page, every match counted (detail row)
            total = raw.execute("SELECT count(*) FROM letters_fts WHERE letters_fts MATCH ?", (match,)).fetchone()[0]
            rows = raw.execute(
                f"SELECT l.*, {SNIPPET} AS snippet, bm25(letters_fts, {WEIGHTS}) AS score FROM letters_fts "
                "JOIN letters l ON l.id = letters_fts.rowid WHERE letters_fts MATCH ? ORDER BY letters_fts.rowid DESC "
                "LIMIT 20", (match,)).fetchall()
            exact_totals.append(total)
            return [r["nomor"] for r in letters_of(rows)] + [total]  # type: ignore[list-item]

        _time_pair(counted, counted, max(1, repeats // 2), *res["counted"])

    for word in broad[:2]:  # the same broad request by hand with the prefix left to FTS5 (detail row)
        from archive.search import fts_query

        plain = fts_query(word)

        def prefixed() -> list[str]:
            total = _capped_total(raw, "letters_fts WHERE letters_fts MATCH ?", (plain,))
            rows = raw.execute(
                f"SELECT l.*, {SNIPPET} AS snippet, bm25(letters_fts, {WEIGHTS}) AS score FROM letters_fts "
                "JOIN letters l ON l.id = letters_fts.rowid WHERE letters_fts MATCH ? ORDER BY letters_fts.rowid DESC "
                "LIMIT 20", (plain,)).fetchall()
            return [r["nomor"] for r in letters_of(rows)] + [total]  # type: ignore[list-item]

        _time_pair(prefixed, prefixed, max(1, repeats // 2), *res["prefix"])

    for kka, year in filters:
        lo, hi = f"{year}-01-01", f"{year}-12-31"
        cond = "(kka = ? OR (kka >= ? AND kka < ?)) AND tanggal >= ? AND tanggal <= ?"
        args = (kka, kka + ".", kka + "/", lo, hi)

        def naskah() -> list[str]:
            found = archive.search(Query(kka=kka, date_from=lo, date_to=hi))
            totals["filtered"].append(found.total)
            return [h.letter["nomor"] for h in found.hits] + [found.total]  # type: ignore[list-item]

        def peer() -> list[str]:
            total = _capped_total(raw, f"letters WHERE {cond}", args)
            rows = raw.execute(f"SELECT * FROM letters WHERE {cond} ORDER BY tanggal DESC, id DESC LIMIT 20",
                               args).fetchall()
            return [r["nomor"] for r in letters_of(rows)] + [total]  # type: ignore[list-item]

        _time_pair(naskah, peer, repeats, *res["filtered"])
    archive.conn.close()
    raw.close()

    size = f"{n:,}"
    targets = {"lookup": (1.0, "<= 1 ms"), "selective": (10.0, "<= 10 ms"), "broad": (50.0, "<= 50 ms"),
               "filtered": (None, "(no absolute target)")}
    names = {"lookup": "lookup by nomor", "selective": "selective full-text search (5-60 hits)",
             "broad": "broad full-text search, first page", "filtered": "filtered listing (KKA + year), first page"}
    figs = []
    for kind, (limit, target_text) in targets.items():
        a = Summary.of(res[kind][0]).scaled(1000)
        b = Summary.of(res[kind][1]).scaled(1000)
        ratio = a.median / b.median
        met = ratio <= 1.5 and (limit is None or a.median <= limit)
        hits = totals.get(kind)
        note = f"median total {statistics.median(hits):,.0f} letters found" if hits else ""
        if hits and statistics.median(hits) >= COUNT_LIMIT:
            note = f"more than {COUNT_LIMIT:,} letters found (Naskah counts up to {COUNT_LIMIT:,}; the peer too)"
        if kind == "lookup":
            bare = Summary.of(res["bare"][0]).scaled(1000)
            note = (f"the peer decodes the row's signers (JSON) as Naskah does; the bare SELECT without that "
                    f"takes {bare.median:.3f} ms")
        figs.append(Figure(f"Archive {size}", names[kind], "ms", a, b, "the same query by hand on raw SQLite", ratio,
                           f"{ratio:.2f}x raw", f"{target_text}, <= 1.5x raw", met, note))
    r = Summary.of(res["ranked"][0]).scaled(1000)
    b = Summary.of(res["broad"][0]).scaled(1000)
    figs.append(Figure(f"Archive {size}", "broad search ranked by bm25 over every match (by hand)", "ms", r, b,
                       "Naskah's broad search (newest first)", r.median / b.median, f"{r.median / b.median:.1f}x",
                       "(detail)", None,
                       f"why Naskah lists the newest first when more than {BROAD:,} letters match"))
    c = Summary.of(res["counted"][0]).scaled(1000)
    figs.append(Figure(f"Archive {size}", "broad search by hand with every match counted (exact total)", "ms", c, b,
                       "Naskah's broad search (counted up to the limit)", c.median / b.median,
                       f"{c.median / b.median:.1f}x", "(detail)", None,
                       f"why Naskah counts matches up to {COUNT_LIMIT:,} only (\"more than {COUNT_LIMIT:,}\"): the exact "
                       f"total, {statistics.median(exact_totals):,.0f} letters here, walks every match in the index"))
    p = Summary.of(res["prefix"][0]).scaled(1000)
    figs.append(Figure(f"Archive {size}", "broad search by hand with the last word left a prefix (\"word\"*)", "ms",
                       p, b, "Naskah's broad search (prefix spelled out)", p.median / b.median,
                       f"{p.median / b.median:.1f}x", "(detail)", None,
                       "why Naskah spells a prefix out as the indexed words it stands for"))
    raw_out = {k: {"naskah_ms": Summary.of(v[0]).scaled(1000).__dict__, "raw_ms": Summary.of(v[1]).scaled(1000).__dict__}
               for k, v in res.items() if v[0]}
    raw_out.update({"letters": n, "open_s": opened, "selective_words": selective, "broad_words": broad,
                    "filters": filters, "database_mb": (home / "naskah.db").stat().st_size / 2**20})
    return figs, raw_out
