"""Fixity: `naskah archive verify` finds missing, changed and orphaned files and broken signatures,
each named by its nomor or complaint and document."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from archive import fixity
from correspondence.services import Naskah
from clitools import demo_home, run_naskah as cli  # tests/clitools.py


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return demo_home(tmp_path_factory, "fixity-home")


@pytest.fixture
def home(pristine, tmp_path):
    """A fresh copy of the demo home for each test to damage."""
    copy = tmp_path / "home"
    shutil.copytree(pristine[0], copy)
    return copy


def check(home: Path) -> fixity.FixityReport:
    with Naskah(home) as service:
        return fixity.check(service.archive, references=service.cases.blob_references(), verify=service.verify)


def blob_of(home: Path, nomor: str) -> tuple[str, Path]:
    with Naskah(home) as service:
        digest = service.archive.get(nomor).sha256
        return digest, service.archive.blobs.path(digest)


def test_intact_archive_passes(pristine):
    home = pristine[0]
    report = check(home)
    assert report.ok, [p.to_text() for p in report.problems]
    assert report.signatures_checked == 1 and report.blobs_checked == report.files_on_disk
    result = cli(home, "archive", "verify")
    assert result.returncode == 0 and "all in order" in result.stdout
    assert "\x1b[" not in result.stdout  # no progress bar when stdout is not a terminal


def test_deleted_blob_is_missing_and_named(home, pristine):
    _, register, nomor = pristine
    digest, path = blob_of(home, nomor)
    path.unlink()
    report = check(home)
    kinds = {(p.kind, p.sha256) for p in report.problems}
    assert ("missing", digest) in kinds
    problem = next(p for p in report.problems if p.kind == "missing")
    assert f"nomor {nomor}" in problem.subject and f"complaint {register}" in problem.subject
    result = cli(home, "archive", "verify")
    assert result.returncode == 1 and "MISSING" in result.stdout and nomor in result.stdout


def test_changed_byte_of_a_signed_letter_is_detected(home, pristine):
    _, _, nomor = pristine
    digest, path = blob_of(home, nomor)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    report = check(home)
    assert [(p.kind, p.sha256) for p in report.problems] == [("changed", digest)]
    assert nomor in report.problems[0].subject


def test_changed_case_document_is_named_by_complaint_and_document(home, pristine):
    _, register, _ = pristine
    with Naskah(home) as service:
        doc = next(d for d in service.cases.documents(register) if d.doc_key == "telaahan_staf" and d.media == "docx")
        path = service.archive.blobs.path(doc.sha256)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"x")
    report = check(home)
    assert len(report.problems) == 1 and report.problems[0].kind == "changed"
    assert f"complaint {register}: telaahan_staf v1 docx (docx)" in report.problems[0].subject


def test_orphan_and_stray_files_are_reported(home):
    orphan = home / "blobs" / "ab" / ("c" * 62)
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(b"nobody names me")
    (home / "blobs" / "tmp" / "leftover.part").write_bytes(b"ignored")
    (home / "blobs" / "notes.txt").write_text("?")
    report = check(home)
    assert {p.kind for p in report.problems} == {"orphan", "unexpected"}
    assert any(p.kind == "orphan" and p.sha256 == "ab" + "c" * 62 for p in report.problems)
    out = json.loads(cli(home, "archive", "verify", "--json").stdout)
    assert not out["ok"] and len(out["problems"]) == 2


def test_re_signed_letter_fails_signature_check(home, pristine):
    """A letter whose blob was replaced by a self-consistent file (name = new sha256, row updated)
    still fails: its signatures no longer hold."""
    _, _, nomor = pristine
    digest, path = blob_of(home, nomor)
    data = bytearray(path.read_bytes())
    idx = data.find(b"Jawaban")
    if idx < 0:
        idx = len(data) // 2
    data[idx] ^= 0x20
    forged = bytes(data)
    with Naskah(home) as service:
        new = service.archive.blobs.put(forged)
        service.conn.execute("UPDATE letters SET sha256 = ? WHERE nomor = ?", (new, nomor))
        service.conn.execute("UPDATE case_documents SET sha256 = ? WHERE sha256 = ?", (new, digest))
    path.unlink()
    report = check(home)
    assert [p.kind for p in report.problems] == ["signature"], [p.to_text() for p in report.problems]
    assert nomor in report.problems[0].subject
    assert cli(home, "archive", "verify").returncode == 1
