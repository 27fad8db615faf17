"""Dossier (berkas) export and import: a round trip between two NASKAH_HOMEs with real signed
letters, and every kind of bad dossier refused with nothing written."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from archive import dossier
from archive.errors import DossierConflict, DossierInvalid
from correspondence.casestore import CaseStore
from correspondence.services import Naskah
from clitools import demo_home, run_naskah as cli  # tests/clitools.py


@pytest.fixture(scope="module")
def home_a(tmp_path_factory):
    return demo_home(tmp_path_factory, "home-a")


@pytest.fixture(scope="module")
def berkas(home_a, tmp_path_factory) -> Path:
    home, register, _ = home_a
    out = tmp_path_factory.mktemp("export") / "berkas.zip"
    result = cli(home, "archive", "export", "--complaint", register, "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def blob_files(home: Path) -> list[Path]:
    root = home / "blobs"
    return [p for p in root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(root).parts] if root.exists() else []


def assert_nothing_written(home: Path) -> None:
    with Naskah(home) as service:
        assert service.archive.all_letters() == [] and service.complaints() == []
    assert blob_files(home) == []


def rewrite(src: Path, dst: Path, change) -> Path:
    with zipfile.ZipFile(src) as zin:
        entries = {name: zin.read(name) for name in zin.namelist()}
    entries = change(entries)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in entries.items():
            zout.writestr(name, data)
    return dst


def test_manifest_lists_every_document_version_and_letter(berkas, home_a):
    home, register, nomor = home_a
    with zipfile.ZipFile(berkas) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["schema_version"] == 1 and manifest["office"]["id"] == "pangkalpinang"
    assert manifest["complaint"]["register"] == register and manifest["complaint"]["complainant"] == "Budi Santoso"
    kinds = {f["kind"] for f in manifest["files"]}
    assert kinds == {"letter", "document", "certificate"}
    docs = [f for f in manifest["files"] if f["kind"] == "document"]
    with Naskah(home) as service:
        case_docs = service.cases.documents(register)
    assert len(docs) == len(case_docs)
    assert {(f.get("version"), f["sha256"]) for f in docs} == {(d.version, d.sha256) for d in case_docs}
    assert {f["nomor"] for f in manifest["files"] if f["kind"] == "letter"} == {nomor, *[l["nomor"] for l in manifest["letters"]]}
    assert all({"path", "sha256", "size", "kind"} <= set(f) for f in manifest["files"])
    assert not any(f["path"].endswith(".p12") or "key" in f["path"] for f in manifest["files"])  # never private keys


def test_round_trip_into_another_home_is_byte_identical_and_valid(berkas, home_a, tmp_path):
    home, register, nomor = home_a
    home_b = tmp_path / "home-b"
    result = cli(home_b, "archive", "import", str(berkas), "--install-certs")
    assert result.returncode == 0, result.stderr
    assert "imported 1 complaint(s), 2 letter(s)" in result.stdout and "fingerprint" in result.stdout
    out = tmp_path / "b.pdf"
    assert cli(home_b, "archive", "get", nomor, "--out", str(out)).returncode == 0
    with Naskah(home) as a:
        original = a.archive.read(nomor)
        view_a = a.view(register)
        letter_a = a.archive.get(nomor)
    assert out.read_bytes() == original
    verified = cli(home_b, "verify", str(out))
    assert verified.returncode == 0 and "Verdict: VALID" in verified.stdout
    with Naskah(home_b) as b:
        view_b = b.view(register)
        assert b.archive.get(nomor) == letter_a  # every recorded field, as filed in A
        assert view_b.complaint == view_a.complaint and view_b.documents == view_a.documents
        assert view_b.history == view_a.history and view_b.state == view_a.state
        assert [l.nomor for l in view_b.letters] == [l.nomor for l in view_a.letters]
        assert b.archive.search(dossier_query("izin")).total == 2
        # the imported numbers are in the register and the counter never gives them again here
        assert b.conn.execute("SELECT last FROM counters WHERE office = 'pangkalpinang'").fetchone()[0] >= 2
    assert cli(home_b, "archive", "verify").returncode == 0
    again = cli(home_b, "archive", "import", str(berkas))  # the same dossier twice changes nothing
    assert again.returncode == 0 and "imported 0 complaint(s), 0 letter(s), 0 new file(s)" in again.stdout


def dossier_query(text: str):
    from archive.search import Query

    return Query(text=text)


def test_without_install_certs_nothing_is_trusted_silently(berkas, tmp_path):
    home_b = tmp_path / "home-b"
    result = cli(home_b, "archive", "import", str(berkas))
    assert result.returncode == 0 and "--install-certs" in result.stdout
    assert not (home_b / "keys").exists()


def _manifest_change(fn):
    def change(entries):
        manifest = json.loads(entries["manifest.json"])
        fn(manifest, entries)
        entries["manifest.json"] = json.dumps(manifest).encode()
        return entries
    return change


def _flip_letter_byte(entries):
    name = next(n for n in entries if n.startswith("letters/"))
    data = bytearray(entries[name])
    data[len(data) // 2] ^= 0x01
    entries[name] = bytes(data)
    return entries


@pytest.mark.parametrize("name, change, message", [
    ("changed", _flip_letter_byte, "does not match its sha256"),
    ("missing", lambda e: {k: v for k, v in e.items() if not k.endswith("v2-tte.pdf")}, "missing from the zip"),
    ("version", _manifest_change(lambda m, e: m.update(schema_version=99)), "schema_version 99"),
    ("extra", lambda e: {**e, "letters/extra.pdf": b"%PDF-1.7"}, "does not list"),
    ("no-manifest", lambda e: {k: v for k, v in e.items() if k != "manifest.json"}, "no manifest.json"),
    ("unlisted-ref", _manifest_change(lambda m, e: m["complaints"][0]["documents"][0].update(sha256="0" * 64)),
     "does not carry"),
])
def test_bad_dossiers_are_refused_with_nothing_written(berkas, tmp_path, name, change, message):
    bad = rewrite(berkas, tmp_path / f"{name}.zip", change)
    home_b = tmp_path / "home-b"
    with Naskah(home_b) as service:
        with pytest.raises(DossierInvalid, match=message):
            dossier.import_(service.archive, service.cases, bad, keys_home=home_b, install_certificates=True)
    assert_nothing_written(home_b)
    assert not (home_b / "keys").exists()


def test_damaged_zip_is_refused_by_the_cli(berkas, tmp_path):
    data = bytearray(berkas.read_bytes())
    middle = tmp_path / "middle.zip"
    data[len(data) // 3: len(data) // 3 + 64] = b"\0" * 64  # damage inside a stored file
    middle.write_bytes(bytes(data))
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(berkas.read_bytes()[: len(data) // 2])
    not_zip = tmp_path / "not.zip"
    not_zip.write_text("hello")
    for path in (middle, truncated, not_zip, tmp_path / "absent.zip"):
        home_b = tmp_path / f"home-{path.stem}"
        result = cli(home_b, "archive", "import", str(path))
        assert result.returncode == 2, (path, result.stdout, result.stderr)
        assert result.stderr.startswith("error: ") and str(path) in result.stderr
        assert_nothing_written(home_b)


def test_nomor_already_filed_with_other_content_is_a_conflict(berkas, home_a, tmp_path):
    _, _, nomor = home_a
    home_c = tmp_path / "home-c"
    with Naskah(home_c) as service:
        office = service.office("pangkalpinang")
        for i in (1, 2):  # number 0002 of the same office and year, filed here with different content
            with service.archive.issue(office=office.id, series="surat", kka="000.8.3.4", hal="Lain", when=datetime(2026, 11, 21),
                                       pattern=office.numbering.pattern, padding=office.numbering.padding,
                                       unit=office.numbering.unit) as issuing:
                issuing.file(f"%PDF-1.7 another letter {i}".encode(), doc_key="d")
        assert issuing.nomor == nomor
        before_letters = len(service.archive.all_letters())
        before_blobs = blob_files(home_c)
        with pytest.raises(DossierConflict, match="different content"):
            dossier.import_(service.archive, service.cases, berkas)
        assert len(service.archive.all_letters()) == before_letters and service.complaints() == []
    assert blob_files(home_c) == before_blobs
    result = cli(home_c, "archive", "import", str(berkas))
    assert result.returncode == 8 and "already filed here with different content" in result.stderr


def test_register_used_by_another_complaint_is_a_conflict(berkas, home_a, tmp_path):
    home_d = tmp_path / "home-d"
    with Naskah(home_d) as service:
        manifest = json.loads(zipfile.ZipFile(berkas).read("manifest.json"))
        dump = manifest["complaints"][0]
        other = {**dump, "complaint": {**dump["complaint"], "subject": "Aduan lain"}, "attachments": [], "events": [],
                 "documents": []}
        CaseStore(service.conn).restore(other)
        with pytest.raises(DossierConflict, match="another complaint"):
            dossier.import_(service.archive, service.cases, berkas)
        assert service.archive.all_letters() == []
    assert blob_files(home_d) == []


def test_export_by_query_and_nothing_to_export(home_a, tmp_path):
    home, register, nomor = home_a
    out = tmp_path / "q.zip"
    result = cli(home, "archive", "export", "jawaban", "--kka", "000.8.3.4", "--out", str(out))
    assert result.returncode == 0, result.stderr
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    assert manifest["complaints"][0]["complaint"]["register"] == register
    assert nomor in {l["nomor"] for l in manifest["letters"]}
    none = cli(home, "archive", "export", "--complaint", "9999/PGD/X/2026", "--out", str(tmp_path / "n.zip"))
    assert none.returncode == 4 and not (tmp_path / "n.zip").exists()
    assert cli(home, "archive", "export", "--out", str(tmp_path / "n.zip")).returncode == 2
