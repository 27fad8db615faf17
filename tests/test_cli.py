"""The naskah command as a user runs it: clear messages and exit codes, never a traceback,
and nothing half-written after a mistake."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from correspondence.catalog import SHIPPED_OFFICES
from clitools import run_naskah as naskah  # tests/clitools.py


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli-home")


@pytest.fixture(scope="module")
def demo(home) -> str:
    result = naskah(home, "demo")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Verdict: VALID" in result.stdout
    nomor = result.stdout.split("signed and filed: ")[1].split()[0]
    return nomor


def test_demo_prints_every_step_and_ends_verified(home, demo):
    log = naskah(home, "complaint", "list").stdout
    assert "selesai" in log


def test_archive_get_and_verify(home, demo, tmp_path):
    out = tmp_path / "jawaban.pdf"
    assert naskah(home, "archive", "get", demo, "--out", str(out)).returncode == 0
    good = naskah(home, "verify", str(out))
    assert good.returncode == 0 and "Verdict: VALID" in good.stdout
    data = bytearray(out.read_bytes())
    at = data.index(b"Jawaban Pengaduan") if b"Jawaban Pengaduan" in data else len(data) // 3
    data[at + 2] ^= 0x01  # one byte inside the signed revisions
    bad = tmp_path / "tampered.pdf"
    bad.write_bytes(bytes(data))
    result = naskah(home, "verify", str(bad), "--office", "pangkalpinang")
    assert result.returncode == 1 and "INVALID" in result.stdout


def test_verify_refuses_a_file_that_is_not_a_pdf(home, demo, tmp_path):
    junk = tmp_path / "surat.pdf"
    junk.write_text("bukan pdf")
    result = naskah(home, "verify", str(junk))
    assert result.returncode == 2 and "error:" in result.stderr


def test_unknown_complaint_and_unknown_nomor(home, demo, tmp_path):
    result = naskah(home, "complaint", "show", "9999/PGD/X/2026")
    assert result.returncode == 4 and "no complaint with register number" in result.stderr
    result = naskah(home, "archive", "get", "000/9999/X/2026", "--out", str(tmp_path / "x.pdf"))
    assert result.returncode == 4 and not (tmp_path / "x.pdf").exists()


def register(home: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return naskah(home, "complaint", "register", "--as", "staf", "--channel", "whatsapp", "--name", "Siti Aminah",
                  "--subject", "Antrian layanan", "--content", "Antrian panjang {{ x }} <b>", *extra, env=env)


def test_register_and_act_out_of_role(home, demo):
    result = register(home)
    assert result.returncode == 0, result.stderr
    reg = result.stdout.strip().splitlines()[-1]
    wrong = naskah(home, "act", reg, "--as", "kadis")
    assert wrong.returncode == 5 and "Sub Koordinator Pengaduan" in wrong.stderr


def test_channel_not_in_the_sop_is_refused(home, demo):
    result = naskah(home, "complaint", "register", "--as", "staf", "--channel", "sms", "--anonymous",
                    "--subject", "x", "--content", "y")
    assert result.returncode == 2 and "not one this SOP receives" in result.stderr


def test_libreoffice_missing_says_how_to_install_and_records_nothing(home, demo):
    before = naskah(home, "complaint", "list").stdout
    result = register(home, env={"NASKAH_SOFFICE": "/nonexistent/soffice"})
    assert result.returncode == 7 and "apt-get install" in result.stderr
    assert naskah(home, "complaint", "list").stdout == before


def test_wrong_passphrase_and_paraf_out_of_order(home, demo, tmp_path):
    reg = register(home).stdout.strip().splitlines()[-1]
    telaah = tmp_path / "telaah.yaml"
    telaah.write_text("body: {kepada: Kabid, dari: Subkoor, persoalan: p, praanggapan: p, fakta: f, analisis: a, kesimpulan: k, saran: s}\n")
    disposisi = tmp_path / "disposisi.yaml"
    disposisi.write_text("body: {sifat: Segera, diteruskan: [{jabatan: Subkoor, utama: true}], instruksi: [File], catatan: c, batas_waktu: '2026-12-01'}\n")
    draft = tmp_path / "draft.yaml"
    draft.write_text("body: {isi: Jawaban kami.}\n")
    assert naskah(home, "act", reg, "--as", "subkoor", "--data", str(telaah)).returncode == 0
    assert naskah(home, "act", reg, "--as", "kabid_wasdal").returncode == 0
    assert naskah(home, "act", reg, "--as", "kadis", "--choice", "tidak", "--data", str(disposisi)).returncode == 0
    assert naskah(home, "act", reg, "--as", "subkoor", "--data", str(draft)).returncode == 0
    secret = tmp_path / "pass"
    secret.write_text("naskah-demo\n")
    early = naskah(home, "paraf", reg, "--as", "sekretaris", "--passphrase-file", str(secret))
    assert early.returncode == 5 and "Kabid Wasdal" in early.stderr
    wrong = naskah(home, "paraf", reg, "--as", "kabid_wasdal", stdin="salah\n")
    assert wrong.returncode == 6 and "passphrase" in wrong.stderr.lower()
    right = naskah(home, "paraf", reg, "--as", "kabid_wasdal", "--passphrase-file", str(secret))
    assert right.returncode == 0, right.stderr


def test_unknown_key_in_step_data_is_refused(home, demo, tmp_path):
    reg = register(home).stdout.strip().splitlines()[-1]
    data = tmp_path / "d.yaml"
    data.write_text("bodi: {}\n")
    result = naskah(home, "act", reg, "--as", "subkoor", "--data", str(data))
    assert result.returncode == 2 and "bodi" in result.stderr


def test_malformed_office_profile_names_file_and_key(home, tmp_path):
    office_dir = tmp_path / "kantor"
    office_dir.mkdir()
    text = (SHIPPED_OFFICES / "pangkalpinang" / "office.yaml").read_text().replace("city: Pangkalpinang", "kota: Pangkalpinang")
    (office_dir / "office.yaml").write_text(text)
    result = naskah(home, "sop", "show", "pangkalpinang", "--office", str(office_dir / "office.yaml"))
    assert result.returncode == 3
    assert "office.yaml" in result.stderr and "kota" in result.stderr and "city" in result.stderr


def test_sop_check(home, tmp_path):
    good = naskah(home, "sop", "check", str(Path(__file__).parents[1] / "correspondence/sops/pangkalpinang.yaml"), "--office", "pangkalpinang")
    assert good.returncode == 0
    bad = tmp_path / "sop.yaml"
    bad.write_text("schema: naskah/sop/1\nid: x\ntitle: X\nchannels: [email]\nactors: {a: {name: A}}\n"
                   "steps:\n  - {id: 1, name: s, actor: b, action: record, next: 2}\n")
    result = naskah(home, "sop", "check", str(bad))
    assert result.returncode == 3 and "unknown actor 'b'" in result.stderr and "missing step '2'" in result.stderr


def test_verify_without_the_office_ca_says_where_to_put_it(tmp_path, home, demo):
    out = tmp_path / "jawaban.pdf"
    naskah(home, "archive", "get", demo, "--out", str(out))
    result = naskah(tmp_path / "other-home", "verify", str(out), "--office", "pangkalpinang")
    assert result.returncode == 6 and "ca.pem" in result.stderr and "keys demo" in result.stderr


def test_sop_show_lists_the_office_limits_beside_the_sop(home):
    shown = naskah(home, "sop", "show", "pangkalpinang", "--office", "pangkalpinang")
    assert shown.returncode == 0, shown.stderr
    lines = [line for line in shown.stdout.splitlines() if line.startswith("office limit:")]
    assert len(lines) == 3  # the three SP4N-LAPOR! rules of the shipped profile
    assert "3 hari kerja, from diterima until step 4; channels: lapor" in lines[0]
    assert "from step 4 until selesai" in lines[1]
    assert "from selesai open-ended" in lines[2]
    other = naskah(home, "sop", "show", "dharmasraya", "--office", "dharmasraya")
    assert other.returncode == 0 and "office limit:" not in other.stdout  # a profile without limits


def test_convert_writes_pdfa_for_each_good_file_and_names_the_bad_one(home, tmp_path):
    import docx

    good = []
    for n in (1, 2):
        document = docx.Document()
        document.add_paragraph(f"Surat undangan peninjauan lapangan nomor UJI{n}")
        document.save(tmp_path / f"undangan-{n}.docx")
        good.append(tmp_path / f"undangan-{n}.docx")
    bad = tmp_path / "rusak.docx"
    bad.write_bytes(b"this was never a Word file")
    out = tmp_path / "pdf"
    result = naskah(home, "convert", str(good[0]), str(bad), str(good[1]), "--out", str(out))
    assert result.returncode == 7
    assert "rusak.docx" in result.stderr and "not a DOCX" in result.stderr and "1 of 3" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["undangan-1.pdf", "undangan-2.pdf"]
    for n in (1, 2):
        pdf = out / f"undangan-{n}.pdf"
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert f"UJI{n}" in text
        assert b"<pdfaid:part>2</pdfaid:part>" in pdf.read_bytes() or b'pdfaid:part="2"' in pdf.read_bytes()

    missing = naskah(home, "convert", str(tmp_path / "tidak-ada.docx"), "--out", str(out))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    same_name = naskah(home, "convert", str(good[0]), str(tmp_path / "pdf" / ".." / "undangan-1.docx"), "--out", str(out))
    assert same_name.returncode == 2 and "both become undangan-1.pdf" in same_name.stderr
