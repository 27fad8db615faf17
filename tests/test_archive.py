"""Numbering, blob store and filing on the real SQLite store."""

import multiprocessing
from datetime import datetime

import pytest

from archive.blobs import BlobStore, sha256_hex
from archive.db import connect
from archive.errors import ArchiveError, BlobCorrupt, LetterNotFound, NumberingError
from archive.numbering import format_number
from archive.store import Archive

WHEN = datetime(2026, 11, 21, 10, 0)
ISSUE = dict(office="o", series="surat", kka="000.8.3.4", hal="Jawaban", pattern="{kka}/{urut}/{unit}/{tahun}", padding=4, unit="DPMPTSP")


def test_format_number():
    assert format_number("{kka}/{urut}/{unit}/{tahun}", urut=57, padding=4, tahun=2026, kka="000.8.3.4", unit="DPMPTSP") == "000.8.3.4/0057/DPMPTSP/2026"
    assert format_number("{urut}/{tahun}", urut=7, padding=0, tahun=2027) == "7/2027"
    with pytest.raises(NumberingError, match="unknown field"):
        format_number("{kka}/{nomor}", urut=1, padding=0, tahun=2026)
    with pytest.raises(NumberingError, match="urut"):
        format_number("{kka}/{tahun}", urut=1, padding=0, tahun=2026)


def test_issue_files_and_numbers_consecutively(tmp_path):
    archive = Archive(tmp_path, connect(tmp_path))
    for expected in ("0001", "0002"):
        with archive.issue(**ISSUE, when=WHEN) as issuing:
            issuing.file(b"%PDF-1.7 " + expected.encode(), doc_key="surat_jawaban", complaint="R1")
        assert issuing.nomor == f"000.8.3.4/{expected}/DPMPTSP/2026"
    assert archive.read("000.8.3.4/0002/DPMPTSP/2026") == b"%PDF-1.7 0002"
    with archive.issue(**ISSUE, when=datetime(2027, 1, 1)) as issuing:  # a new year restarts at 1
        issuing.file(b"x", doc_key="d")
    assert issuing.nomor == "000.8.3.4/0001/DPMPTSP/2027"


def test_failure_inside_issue_consumes_no_number(tmp_path):
    archive = Archive(tmp_path, connect(tmp_path))
    with pytest.raises(RuntimeError):
        with archive.issue(**ISSUE, when=WHEN):
            raise RuntimeError("signature failed")
    with pytest.raises(ArchiveError, match="no letter was filed"):
        with archive.issue(**ISSUE, when=WHEN):
            pass
    with archive.issue(**ISSUE, when=WHEN) as issuing:
        issuing.file(b"x", doc_key="d")
    assert issuing.nomor.split("/")[1] == "0001"
    with pytest.raises(LetterNotFound):
        archive.get("000.8.3.4/0099/DPMPTSP/2026")


def _take(home, count, queue):
    archive = Archive(home, connect(home))
    got = []
    for i in range(count):
        with archive.issue(**ISSUE, when=WHEN) as issuing:
            issuing.file(f"{issuing.nomor}".encode(), doc_key="d")
        got.append(issuing.urut)
    queue.put(got)


def test_concurrent_processes_get_distinct_gapless_numbers(tmp_path):
    Archive(tmp_path, connect(tmp_path))
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_take, args=(tmp_path, 15, queue)) for _ in range(4)]
    for p in procs:
        p.start()
    numbers = sorted(n for _ in procs for n in queue.get(timeout=120))
    for p in procs:
        p.join()
    assert numbers == list(range(1, 61))


def test_blob_store_detects_change_and_never_overwrites(tmp_path):
    store = BlobStore(tmp_path)
    digest = store.put(b"signed letter")
    assert digest == sha256_hex(b"signed letter") and store.put(b"signed letter") == digest
    store.path(digest).chmod(0o644)
    store.path(digest).write_bytes(b"tampered")
    with pytest.raises(BlobCorrupt):
        store.get(digest)
