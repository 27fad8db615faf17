"""Archive metadata, migration, full-text search (FTS5), bad input and a full disk while filing."""

from __future__ import annotations

import errno
import json
import os
import re
import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from archive import blobs as blobs_module
from archive.db import connect
from archive.errors import InvalidQuery, StorageFull
from archive.search import Query, fts_query
from archive.store import Archive
from correspondence.complaint import Complainant, Complaint
from correspondence.services import _letter_parties
from clitools import demo_home, run_naskah as cli  # tests/clitools.py

ISSUE = dict(office="o", series="surat", kka="000.8.3.4", pattern="{kka}/{urut}/{unit}/{tahun}", padding=4, unit="DPMPTSP")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_home(tmp_path_factory, "search-home")


def test_filed_letters_carry_metadata_and_text(demo):
    home, register, nomor = demo
    archive = Archive(home, connect(home))
    letter = archive.get(nomor)
    assert letter.status == "filed" and letter.complaint == register
    assert letter.complainant == "Budi Santoso"
    assert "Izin usaha" in letter.complaint_text
    assert nomor in letter.text  # the text was extracted from the signed PDF when filed
    assert [s["kind"] for s in letter.signers] == ["paraf", "paraf", "tte"] and letter.signed


def test_anonymous_complainant_is_not_recorded():
    who = Complaint("R", "o", "s", "telepon", datetime(2026, 1, 5), Complainant(anonymous=True), "Hal", "Isi")
    assert _letter_parties(who) == {"complainant": "", "complaint_text": "Hal\nIsi"}


@pytest.mark.parametrize("words", ["izin", "IZIN", "izi", "izin*", "Permohonan izin", "permoh*", "budi", "santoso",
                                   "000.8.3.4/0002", "jawaban pengaduan"])
def test_words_prefixes_case_and_nomor_find_the_reply(demo, words):
    home, _, nomor = demo
    found = Archive(home, connect(home)).search(Query(text=words))
    assert nomor.split("/")[1] in " ".join(h.letter["nomor"] for h in found.hits), (words, found.match)


def test_query_text_never_becomes_fts_syntax():
    assert fts_query('"izin AND (') == '"izin" "AND"*'
    assert fts_query('izin* NEAR(a b) -x') == '"izin"* "NEAR(a" "b)" "-x"*'
    assert fts_query('"izin usaha" layanan') == '"izin usaha" "layanan"*'
    assert fts_query('a"b') == '"a" "b"*'
    assert fts_query("( ) * - ^") is None


@pytest.mark.parametrize("text", ['"izin AND (', "izin OR", "NOT", "col:izin", "^izin", "izin)*(", "NEAR(", "{nomor} : x", "'izin'"])
def test_fts_operators_are_plain_words_never_an_error(demo, text):
    home, _, _ = demo
    Archive(home, connect(home)).search(Query(text=text))  # no exception


def test_empty_input_is_a_clear_error(demo):
    home, _, _ = demo
    archive = Archive(home, connect(home))
    with pytest.raises(InvalidQuery, match="nothing to search for"):
        archive.search(Query())
    with pytest.raises(InvalidQuery, match="no word"):
        archive.search(Query(text="( * )"))
    with pytest.raises(InvalidQuery, match="not a date"):
        archive.search(Query(date_from="kemarin"))
    assert archive.search(Query(text="( * )", kka="000.8")).total >= 1  # filters alone are enough


def test_filters(demo):
    home, register, nomor = demo
    archive = Archive(home, connect(home))
    day = archive.get(nomor).tanggal

    def nomors(**kw):
        return {h.letter["nomor"] for h in archive.search(Query(**kw)).hits}

    assert nomor in nomors(kka="000.8") and nomor in nomors(kka="000.8.3.4")
    assert nomor not in nomors(kka="000.80") and nomor not in nomors(kka="800")
    assert nomor in nomors(signer="19760123 200501 1 006") and nomor in nomors(signer="197601232005011006")
    assert nomor in nomors(signer="yan rizana") and nomor in nomors(signer="kadis")
    assert nomor in nomors(complaint=register) and nomor in nomors(agenda=register.split("/")[0])
    assert nomor in nomors(complainant="budi") and not nomors(complainant="siti nurhaliza")
    assert nomor in nomors(date_from=day, date_to=day) and not nomors(date_from="2099-01-01")
    assert nomor in nomors(nomor=nomor) and nomor in nomors(nomor="/0002/", status="filed")
    assert not nomors(status="void", text="izin")


def test_cli_search_table_json_and_errors(demo):
    home, _, nomor = demo
    table = cli(home, "archive", "search", "izin")
    assert table.returncode == 0 and nomor in table.stdout and "tanggal" in table.stdout
    assert re.search(r"^page 1 of 1: (\d+) of \1 letter\(s\), [\d.]+ ms$", table.stdout, re.M)
    rows = json.loads(cli(home, "archive", "search", "izin", "--kka", "000.8.3.4", "--json").stdout)
    assert rows and {"nomor", "tanggal", "hal", "kka", "sha256"} <= set(rows[0]) and "text" not in rows[0]
    syntax = cli(home, "archive", "search", '"izin AND (')
    assert syntax.returncode == 0 and "plain words" in syntax.stderr
    empty = cli(home, "archive", "search")
    assert empty.returncode == 2 and "nothing to search for" in empty.stderr
    assert cli(home, "archive", "search", "izin", "--from", "21/13/2026").returncode == 2
    assert cli(home, "archive", "search", "izin", "--limit", "0").returncode == 2


def test_cli_show_has_signatures_and_missing_nomor_exits_4(demo):
    home, _, nomor = demo
    shown = json.loads(cli(home, "archive", "show", nomor, "--json").stdout)
    assert shown["verification"]["ok"] and [s["official_id"] for s in shown["signatures"]] == ["kabid_wasdal", "sekretaris", "kadis"]
    assert shown["complainant"] == "Budi Santoso" and shown["status"] == "filed" and "text" not in shown
    missing = cli(home, "archive", "show", "000.8.3.4/9999/X/2026")
    assert missing.returncode == 4 and "no filed letter" in missing.stderr
    assert cli(home, "archive", "get", "000.8.3.4/9999/X/2026", "--out", str(home / "x.pdf")).returncode == 4


def test_old_database_is_migrated_forward(tmp_path):
    conn = sqlite3.connect(tmp_path / "naskah.db")
    conn.executescript("""
        CREATE TABLE letters (id INTEGER PRIMARY KEY, office TEXT NOT NULL, nomor TEXT NOT NULL, tanggal TEXT NOT NULL,
            kka TEXT NOT NULL DEFAULT '', hal TEXT NOT NULL DEFAULT '', sifat TEXT NOT NULL DEFAULT '',
            complaint TEXT NOT NULL DEFAULT '', doc_key TEXT NOT NULL DEFAULT '', sha256 TEXT NOT NULL, size INTEGER NOT NULL,
            verification_ref TEXT UNIQUE, signers TEXT NOT NULL DEFAULT '[]', filed_at TEXT NOT NULL, UNIQUE (office, nomor));
        INSERT INTO letters (office, nomor, tanggal, hal, sha256, size, filed_at)
            VALUES ('o', '000.8.3.4/0001/X/2025', '2025-03-01', 'Pemberitahuan perizinan', 'ab', 1, '2025-03-01');
    """)
    conn.close()
    archive = Archive(tmp_path, connect(tmp_path))
    letter = archive.get("000.8.3.4/0001/X/2025")
    assert letter.status == "filed" and letter.text == ""
    assert archive.search(Query(text="periz")).total == 1
    Archive(tmp_path, connect(tmp_path))  # opening again changes nothing


def test_full_disk_while_filing_loses_nothing(tmp_path, monkeypatch):
    archive = Archive(tmp_path, connect(tmp_path))
    when = datetime(2026, 11, 21)
    with archive.issue(**ISSUE, hal="Pertama", when=when) as issuing:
        issuing.file(b"%PDF-1.7 first", doc_key="d")
    real_write = os.write

    def full(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(blobs_module.os, "write", full)
    with pytest.raises(StorageFull, match="no space left"):
        with archive.issue(**ISSUE, hal="Kedua", when=when) as issuing:
            issuing.file(b"%PDF-1.7 second letter", doc_key="d")
    monkeypatch.setattr(blobs_module.os, "write", real_write)
    assert [r[0] for r in archive.conn.execute("SELECT nomor FROM letters")] == ["000.8.3.4/0001/DPMPTSP/2026"]
    assert archive.conn.execute("SELECT count(*) FROM numbers").fetchone()[0] == 1
    assert not list((tmp_path / "blobs" / "tmp").iterdir())  # no half-written file left
    assert not archive.blobs.exists(blobs_module.sha256_hex(b"%PDF-1.7 second letter"))
    with archive.issue(**ISSUE, hal="Kedua", when=when) as issuing:  # the number was not consumed
        issuing.file(b"%PDF-1.7 second letter", doc_key="d")
    assert issuing.nomor == "000.8.3.4/0002/DPMPTSP/2026"


def test_a_few_thousand_letters_page_by_page_match_a_plain_reading(tmp_path):
    # (speed is measured in bench/, at 100,000 and 1,000,000 letters; this pins what the pages hold)
    archive = Archive(tmp_path, connect(tmp_path))
    words = ["izin", "usaha", "bangunan", "reklame", "antrian", "layanan", "pungutan", "lingkungan", "pajak", "tenaga",
             "kerja", "upah", "lembur", "perizinan", "pemohon", "keberatan", "sengketa", "lahan", "parkir", "jalan"]
    names = ["Siti Aminah", "Budi Santoso", "Rina", "Agus Salim", "Dewi Lestari", ""]
    start = datetime(2024, 1, 1)
    n = 3000
    rows = []
    with archive.conn:
        archive.conn.execute("BEGIN")
        for i in range(n):
            body = " ".join(words[(i * k) % len(words)] for k in range(1, 60))
            row = (f"000.8.3.4/{i:04d}/X/{2024 + i // 1000}", (start + timedelta(days=i % 700)).date().isoformat(),
                   "000.8.3.4" if i % 3 else "500.16.1", f"Jawaban {words[i % 20]} {words[(i + 7) % 20]}",
                   f"{i:04d}/PGD/X/2024", f"{i:064x}",
                   json.dumps([{"kind": "tte", "name": "Yan", "nip": "197601232005011006"}]), "2024-01-01",
                   names[i % 6], f"Aduan {words[(i + 3) % 20]}", body)
            rows.append(row)
            archive.conn.execute(
                "INSERT INTO letters (office, nomor, tanggal, kka, hal, complaint, sha256, size, signers, filed_at, "
                "complainant, complaint_text, text) VALUES ('o', ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)", row)

    def plain(keep) -> set[str]:  # the reference: the rows read in Python
        return {r[0] for r in rows if keep(dict(zip(("nomor", "tanggal", "kka", "hal", "complaint", "sha", "signers",
                                                      "filed", "complainant", "aduan", "text"), r)))}

    def has(r, word):
        return word in f"{r['hal']} {r['aduan']} {r['text']}".lower().split()

    expected = {
        Query(kka="500.16"): plain(lambda r: r["kka"] == "500.16.1"),
        Query(text="upah", date_from="2024-06-01", date_to="2024-12-31"):
            plain(lambda r: "2024-06-01" <= r["tanggal"] <= "2024-12-31" and has(r, "upah")),
        Query(signer="197601232005011006", limit=100): plain(lambda r: True),
        Query(text="pajak lembur", complainant="budi"):
            plain(lambda r: "Budi" in r["complainant"] and has(r, "pajak") and has(r, "lembur")),
        Query(text="0042"): {"000.8.3.4/0042/X/2024"},
        Query(text="perizin"): plain(lambda r: has(r, "perizinan")),
    }
    for q, letters in expected.items():
        found = archive.search(q)
        every = [h.letter["nomor"] for h in archive.search_all(q)]
        assert set(every) == letters, q
        assert len(every) == len(letters) == found.total and found.total_exact
        assert [h.letter["nomor"] for h in found.hits] == every[: q.limit]  # the first page tops the whole order
        pages = [archive.search(replace(q, page=p)) for p in range(1, found.pages + 1)]
        assert [h.letter["nomor"] for page in pages for h in page.hits] == every and pages[-1].last_page


def words(text: str) -> "collections.Counter[str]":
    """The words of a text, punctuation-only tokens left out (readers differ on a lone dash)."""
    import collections

    return collections.Counter(w for w in text.split() if any(ch.isalnum() for ch in w))


def test_text_of_a_letter_has_the_words_pdftotext_reads_from_the_file(tmp_path):
    """extract_text reads a PDF/A letter with PDFium in this process; poppler's pdftotext, an
    independent reader, finds the same words in the same file."""
    import subprocess

    import sigtools
    from archive.search import extract_text

    pdf = sigtools.make_letter_pdf(tmp_path, "letter")
    plain = subprocess.run(["pdftotext", "-q", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    expected = words(plain.stdout.decode("utf-8"))
    assert len(expected) > 20 and words(extract_text(pdf)) == expected


def test_text_of_what_is_not_a_readable_pdf_is_empty():
    from archive.search import extract_text

    assert extract_text(b"plain text, not a PDF") == ""
    assert extract_text(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF") == ""  # no pages, no xref
