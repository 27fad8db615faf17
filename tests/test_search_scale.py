"""How the archive search stays fast in a large archive, and gives the same answers doing so.

Speed itself is measured in bench/ (at 1,000,000 letters); these tests pin the behaviour the
speed-ups rest on: a prefix spelled out as the words it stands for finds exactly what FTS5's own
prefix finds; a broad search lists the newest first and says so; the three ways a page is read
give the same letters; the KKA filter keeps its whole-segment meaning; the indexes are used.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from archive import search as search_module
from archive.db import connect
from archive.search import Query, expanded_query, fts_query
from archive.store import Archive

WORDS = ["izin", "izinkan", "usaha", "usahawan", "reklame", "antrian", "pengaduan", "pengadu", "pajak", "upah",
         "lembur", "bangunan", "parkir", "jalan", "sampah"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Archive:
    home = tmp_path_factory.mktemp("search-scale")
    arch = Archive(home, connect(home))
    start = datetime(2025, 1, 6)
    kkas = ["500.16", "500.16.1", "500.160", "500.1", "000.8.3.4"]
    for i in range(120):
        words = " ".join(WORDS[(i * k) % len(WORDS)] for k in range(1, 9))
        when = start + timedelta(days=i)
        with arch.issue(office="o", series="surat", kka=kkas[i % len(kkas)], hal=f"Jawaban {WORDS[i % len(WORDS)]}",
                        pattern="{kka}/{urut}/X/{tahun}", padding=4, unit="X", when=when) as issuing:
            issuing.file(f"%PDF-1.7 letter {i}".encode(), doc_key="surat_jawaban", complaint=f"{i:04d}/PGD/X/2025",
                         complainant="Budi Santoso" if i % 3 else "", complaint_text=f"Aduan {words}",
                         text=f"Dengan hormat {words} nomor {i}")
    return arch


def plain_prefix_ids(conn: sqlite3.Connection, text: str) -> set[int]:
    """What FTS5's own prefix syntax finds (the reference the spelled-out query must equal)."""
    return {r[0] for r in conn.execute("SELECT rowid FROM letters_fts WHERE letters_fts MATCH ?", (fts_query(text),))}


def expanded_ids(conn: sqlite3.Connection, text: str) -> set[int]:
    return {r[0] for r in conn.execute("SELECT rowid FROM letters_fts WHERE letters_fts MATCH ?",
                                       (expanded_query(conn, text),))}


@pytest.mark.parametrize("text", ["izi", "izin", "usaha", "peng", "pengaduan", "re", "usaha izi", "IZIN*", "Usah",
                                  "jawaban pengad", '"dengan hormat" izi', "nomor 1", "zzz", "upah lemb"])
def test_spelled_out_prefix_finds_what_the_prefix_finds(archive, text):
    assert expanded_ids(archive.conn, text) == plain_prefix_ids(archive.conn, text)


def test_how_a_prefix_is_spelled_out(archive, monkeypatch):
    conn = archive.conn
    assert expanded_query(conn, "izi") == '("izin" OR "izinkan")'
    assert expanded_query(conn, "usaha izin") == '"usaha" AND ("izin" OR "izinkan")'
    assert expanded_query(conn, "zzz") == '"zzz"'  # no such word: matches nothing, cheaply
    assert expanded_query(conn, "izín") == '"izín"*'  # not plain ASCII: left to FTS5's tokenizer
    assert expanded_query(conn, '"dengan hormat"') == '"dengan hormat"'  # a phrase is never a prefix
    monkeypatch.setattr(search_module, "MAX_EXPANSION", 1)
    assert expanded_query(conn, "izi") == '"izi"*'  # too many words: stays a prefix


def test_broad_search_lists_newest_first_and_says_so(archive, monkeypatch):
    monkeypatch.setattr(search_module, "BROAD", 10)
    found = archive.search(Query(text="dengan", limit=7))
    assert found.total == 120
    ids = [int(h.letter["text"].rsplit(" ", 1)[1]) for h in found.hits]
    assert ids == list(range(119, 112, -1))  # the newest filed first
    assert found.warnings and "newest" in found.warnings[0]
    page2 = archive.search(Query(text="dengan", limit=7, page=2))
    assert [int(h.letter["text"].rsplit(" ", 1)[1]) for h in page2.hits] == list(range(112, 105, -1))
    assert all("[dengan]" in h.snippet.lower() for h in found.hits)


def test_totals_are_counted_up_to_the_limit_and_paging_goes_on_past_it(archive, monkeypatch):
    monkeypatch.setattr(search_module, "COUNT_LIMIT", 50)
    monkeypatch.setattr(search_module, "BROAD", 10)
    for query in (Query(text="dengan", limit=20), Query(date_from="2025-01-01", limit=20)):
        found = archive.search(query)
        assert (found.total, found.total_exact, found.total_text) == (50, False, "more than 50")
        assert not found.last_page and found.pages == 3  # at least
        # the pages go on where the count stops: 120 letters, the last page short
        sizes = [len(archive.search(replace(query, page=p)).hits) for p in range(1, 8)]
        assert sizes == [20, 20, 20, 20, 20, 20, 0]
        # past the count, a full page may have more after it; the short one says it is the last
        assert [archive.search(replace(query, page=p)).last_page for p in (6, 7)] == [False, True]
        assert len({h.letter["nomor"] for h in archive.search_all(query)}) == 120
    assert "more than 50 letters match" in archive.search(Query(text="dengan")).warnings[0]
    exact = archive.search(Query(text="reklame"))  # fewer matches than the limit: exact
    assert exact.total_exact and exact.total == len(list(archive.search_all(Query(text="reklame")))) > 0
    assert exact.total_text == f"{exact.total:,}"
    monkeypatch.setattr(search_module, "COUNT_LIMIT", 120)  # exactly the limit: still exact
    assert (archive.search(Query(text="dengan")).total, archive.search(Query(text="dengan")).total_exact) == (120, True)


@pytest.mark.parametrize("query", [Query(text="izin"), Query(text="reklame usaha"), Query(text="pajak", kka="500.16"),
                                   Query(text="izin", complainant="budi", page=2, limit=5)])
def test_one_statement_and_ids_first_give_the_same_page(archive, monkeypatch, query):
    def page(inline: int) -> list[tuple[str, str, float | None]]:
        monkeypatch.setattr(search_module, "INLINE", inline)
        found = archive.search(query)
        return [(h.letter["nomor"], h.snippet, round(h.score, 6)) for h in found.hits] + [found.total]  # type: ignore[list-item]

    assert page(10_000) == page(0)


def test_kka_filter_keeps_whole_segments(archive):
    def kkas(value: str) -> set[str]:
        return {h.letter["kka"] for h in archive.search(Query(kka=value, limit=1000)).hits}

    assert kkas("500.16") == {"500.16", "500.16.1"}
    assert kkas("500.16.") == {"500.16", "500.16.1"}
    assert kkas("500.1") == {"500.1"}
    assert kkas("500") == {"500.16", "500.16.1", "500.160", "500.1"}


def test_lookups_and_listings_use_indexes(archive):
    def plan(sql: str, *args) -> str:
        return " ".join(r[-1] for r in archive.conn.execute("EXPLAIN QUERY PLAN " + sql, args))

    assert "letters_nomor" in plan("SELECT * FROM letters WHERE nomor = ?", "x")
    listing = plan("SELECT l.id FROM letters l WHERE (l.kka = ? OR (l.kka >= ? AND l.kka < ?)) AND l.tanggal >= ? "
                   "ORDER BY l.tanggal DESC, l.id DESC LIMIT 20", "500.16", "500.16.", "500.16/", "2025-02-01")
    assert "INDEX" in listing and "SCAN l" not in listing.replace("SCAN l USING", "")
    assert "letters_tanggal" in plan("SELECT l.id FROM letters l ORDER BY l.tanggal DESC, l.id DESC LIMIT 20")
