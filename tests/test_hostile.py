"""Hostile input, through the real ``naskah`` command: template syntax, raw XML, control characters,
right-to-left, CJK and emoji text, a megabyte of text, awkward names; malformed, truncated, encrypted
and JavaScript-bearing PDFs; broken DOCX templates; SOPs with cycles and missing steps.

Each gives a correct document (its text in the PDF, PDF/A checks, fonts embedded) or a clear error
(exit code, a message naming the problem, never a traceback) that leaves nothing behind: no new row in
the case or archive tables, no stray file, ``naskah archive verify`` clean."""

from __future__ import annotations

import io
import re
import shutil
import sqlite3
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from clitools import run_naskah as naskah  # tests/clitools.py: asserts "Traceback" not in stderr
from correspondence.catalog import SHIPPED_OFFICES
from correspondence.demo import DEMO_PASSPHRASE
from letter_templates import TEMPLATE_DIR

DATA = Path(__file__).parent / "data" / "dlh-contoh"

# What a complainant may type. Each line must come out literally (control characters dropped).
TEMPLATE_SYNTAX = "Minta {{ 7*7 }} dan {% for x in range(3) %}ulang{% endfor %} {# komentar #} {%p if 1 %} {_{ y }_}"
RAW_XML = "<w:p><w:r><w:t>SUNTIK</w:t></w:r></w:p> ]]> <![CDATA[x]]> &amp; & <script>alert(1)</script>"
CONTROL = "Kontrol:" + "".join(chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)) + "\x7f\x80\x9f\ufffe\uffff|akhir"
CONTROL_SHOWN = "Kontrol:|akhir"
RTL_WORDS = ["مرحبا", "بالعالم", "שלום", "עולם"]
RTL = "Arab " + " ".join(RTL_WORDS[:2]) + " dan Ibrani " + " ".join(RTL_WORDS[2:])
EMOJI = "Terima kasih 😀"
CJK = "你好世界 日本語 한국어"
LITERAL_LINES = [TEMPLATE_SYNTAX, RAW_XML, EMOJI]
NAME = "Ma'ruf O'Neil bin Abdul-Ba'asyir"
LONG_NAME = ("Raden Mas " + "Kusumawardhana-O'Brien " * 14 + "Siti")[:300]
SUBJECT = "Izin {{ usaha }} <w:t>ditahan</w:t> ]]> & 100% #1"


def squeeze(text: str) -> str:
    """Text without any white space or bidi marks: PDF text extraction re-wraps and re-orders lines."""
    return re.sub(r"[\s\u200e\u200f\u202a-\u202e]+", "", text)


def run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def pdf_text(path: Path) -> str:
    result = run("pdftotext", "-raw", str(path), "-")  # content order: justified lines stay whole
    assert result.returncode == 0, result.stderr
    return result.stdout


def assert_pdfa_valid(path: Path) -> None:
    check = run("qpdf", "--check", str(path))
    assert check.returncode == 0, check.stdout + check.stderr
    fonts = run("pdffonts", str(path)).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts
    data = path.read_bytes()
    assert re.search(rb"pdfaid:part(>|=\")2", data), "no PDF/A-2 identification in the XMP"


@dataclass(frozen=True)
class Home:
    path: Path
    register: str  # the hostile complaint the demo walked
    nomor: str  # its signed, filed reply


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Home:
    """Pangkalpinang's demo walked by a hostile complainant (the office's own copy of its files)."""
    path = tmp_path_factory.mktemp("hostile")
    office = path / "offices" / "pangkalpinang"
    shutil.copytree(SHIPPED_OFFICES / "pangkalpinang", office)
    script = yaml.safe_load((office / "demo.yaml").read_text(encoding="utf-8"))
    script["complaint"].update(subject=SUBJECT, content="\n".join([TEMPLATE_SYNTAX, RAW_XML, CONTROL, RTL, EMOJI]))
    script["complaint"]["complainant"].update(name=NAME, address="Jl. Ke'lurahan No. 1 <RT 01>")
    revised = [a for a in script["actions"] if a["step"] == 8][-1]
    revised["data"]["body"]["isi"] = "\n".join([TEMPLATE_SYNTAX, RAW_XML, CONTROL, RTL])
    (office / "demo.yaml").write_text(yaml.safe_dump(script, allow_unicode=True), encoding="utf-8")
    result = naskah(path, "demo")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Verdict: VALID" in result.stdout
    register = re.search(r"complaint (\S+) closed", result.stdout).group(1)
    nomor = result.stdout.split("signed and filed: ")[1].split()[0]
    return Home(path, register, nomor)


@pytest.fixture(scope="module")
def service(home):
    """The same home in this process: setup steps without a LibreOffice start per command."""
    from correspondence.services import Naskah

    with Naskah(home.path) as naskah_service:
        yield naskah_service


def stored(home: Path, register: str, doc_key: str, *, media: str = "pdf", stage: str | None = None) -> Path:
    """The file of the latest stored version of a complaint's document (in the archive's blob store)."""
    conn = sqlite3.connect(home / "naskah.db")
    try:
        digest = conn.execute(
            "SELECT d.sha256 FROM case_documents d JOIN complaints c ON c.id = d.complaint_id WHERE c.register = ? "
            "AND d.doc_key = ? AND d.media = ? AND d.stage = COALESCE(?, d.stage) ORDER BY d.id DESC",
            (register, doc_key, media, stage)).fetchone()[0]
    finally:
        conn.close()
    return home / "blobs" / digest[:2] / digest[2:]


def snapshot(home: Path) -> tuple:
    """Row counts of every case and archive table, the counters, and the stored files."""
    conn = sqlite3.connect(home / "naskah.db")
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                             "AND name NOT LIKE 'letters_fts%' AND name NOT LIKE 'sqlite_%'")]
        counts = {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in sorted(tables)}
        counters = conn.execute("SELECT * FROM counters ORDER BY 1, 2, 3").fetchall()
    finally:
        conn.close()
    files = sorted(str(p.relative_to(home)) for p in (home / "blobs").rglob("*") if p.is_file() and "tmp" not in p.parts)
    return counts, counters, files


def assert_archive_clean(home: Path) -> None:
    result = naskah(home, "archive", "verify")
    assert result.returncode == 0 and "all in order" in result.stdout, result.stdout + result.stderr


def write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


# --- text a complainant types --------------------------------------------------------------------


def test_hostile_complaint_carried_to_a_signed_reply(home, tmp_path):
    out = tmp_path / "jawaban.pdf"
    assert naskah(home.path, "archive", "get", home.nomor, "--out", str(out)).returncode == 0
    text = squeeze(pdf_text(out))
    for line in (TEMPLATE_SYNTAX, RAW_XML, CONTROL_SHOWN, SUBJECT, NAME, "Ke'lurahanNo.1<RT01>", *RTL_WORDS):
        assert squeeze(line) in text, line
    assert "\x7f" not in text and "\ufffd" not in text
    assert_pdfa_valid(out)
    verified = naskah(home.path, "verify", str(out))
    assert verified.returncode == 0 and "Verdict: VALID" in verified.stdout


def test_hostile_complaint_tanda_terima_shows_every_line(home, tmp_path):
    out = tmp_path / "tanda_terima.pdf"
    assert naskah(home.path, "document", home.register, "tanda_terima", "--out", str(out)).returncode == 0
    text = squeeze(pdf_text(out))
    for line in (*LITERAL_LINES, CONTROL_SHOWN, NAME, SUBJECT, *RTL_WORDS):
        assert squeeze(line) in text, line
    assert_pdfa_valid(out)


def test_names_with_apostrophes_are_found_in_the_archive(home):
    for args in (("--complainant", "O'Neil"), ("Ba'asyir", "--complainant", "Ma'ruf")):
        found = naskah(home.path, "archive", "search", *args)
        assert found.returncode == 0 and home.nomor in found.stdout, (args, found.stdout)


def register(home: Path, *args: str) -> subprocess.CompletedProcess:
    return naskah(home, "complaint", "register", "--as", "staf", "--channel", "email", *args)


def registered(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_control_characters_and_a_300_character_name(home, tmp_path):
    content = write(tmp_path, "isi.txt", "\n".join([CONTROL, "\x00awal\x00 tengah\x1b[31m merah", RTL, EMOJI]))
    reg = registered(register(home.path, "--name", LONG_NAME, "--subject", "Nama panjang\x7f", "--content-file", str(content)))
    out = stored(home.path, reg, "tanda_terima")
    text = squeeze(pdf_text(out))
    assert len(LONG_NAME) == 300 and squeeze(LONG_NAME) in text
    for line in (CONTROL_SHOWN, "awaltengah[31mmerah", "Namapanjang", *RTL_WORDS, EMOJI):
        assert squeeze(line) in text, line
    assert not re.search(r"[\x00-\x08\x0b\x0d-\x1f\x7f-\x9f\ufffd]", pdf_text(out))  # \x0c: a page end
    assert_pdfa_valid(out)


def has_font_for(lang: str) -> bool:
    return bool(run("fc-list", f":lang={lang}").stdout.strip())


def test_cjk_text(home, tmp_path):
    reg = registered(register(home.path, "--name", "王小明", "--subject", "Keluhan " + CJK, "--content", CJK))
    docx = stored(home.path, reg, "tanda_terima", media="docx")
    xml = zipfile.ZipFile(docx).read("word/document.xml").decode("utf-8")
    assert xml.count(CJK) == 2 and "王小明" in xml  # the document itself is right
    out = stored(home.path, reg, "tanda_terima")
    assert_pdfa_valid(out)
    assert has_font_for("zh") and has_font_for("ko"), (
        "no CJK font installed: LibreOffice draws empty boxes or drops the characters (make system-deps "
        "installs fonts-noto-cjk)")
    assert squeeze(CJK) in squeeze(pdf_text(out))


def test_one_megabyte_of_complaint_text(home, tmp_path):
    lines, size = [], 0
    while size < 1_000_000:  # every line different, so that a page's text can only match its own place
        lines.append(f"Baris {len(lines):05d}: izin usaha belum terbit, antrian loket panjang, berkas nomor {len(lines) * 7919}.")
        size += len(lines[-1]) + 1
    body = "\n".join(lines)[:1_000_000]
    reg = registered(register(home.path, "--anonymous", "--subject", "Sangat panjang",
                              "--content-file", str(write(tmp_path, "besar.txt", body))))
    out = stored(home.path, reg, "tanda_terima")
    pages = int(re.search(r"Pages:\s+(\d+)", run("pdfinfo", str(out)).stdout).group(1))
    assert pages > 100

    def text_of(first: int, last: int) -> str:  # pdftotext of all 300+ pages takes ~15 s: sample them
        return squeeze(run("pdftotext", "-raw", "-f", str(first), "-l", str(last), str(out), "-").stdout)

    whole = squeeze(body)
    assert squeeze("\n".join(lines[:20])) in text_of(1, 2)
    assert squeeze(body[-1200:]) in text_of(pages - 1, pages)
    middle = text_of(pages // 2, pages // 2)
    run_start = middle.index("Baris")
    assert middle[run_start:] in whole and len(middle) - run_start > 1000
    assert_pdfa_valid(out)


# --- PDFs: verify, paraf/sign, attachments ------------------------------------------------------------


def hostile_pdfs(letter: bytes, folder: Path) -> dict[str, Path]:
    """Made from a signed letter: each damaged or loaded in its own way."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    def encrypted(user: str) -> bytes:
        w = PdfWriter(clone_from=PdfReader(io.BytesIO(letter)))
        w.encrypt(user, "pemilik", algorithm="AES-256")
        out = io.BytesIO()
        w.write(out)
        return out.getvalue()

    def xref_loop() -> bytes:  # an update whose xref ends in a blank line and a short entry: pyHanko
        at = len(letter) + len(b"startxref\n0000000000\n%%EOF\n")  # looped forever reading it
        return letter + b"startxref\n%010d\n%%%%EOF\n" % at + b"xref\n0 2\n0000000000 65535 f\r\n\n0000000009 00000 n"

    def js_appended() -> bytes:  # an incremental update after the TTE that runs JavaScript on opening
        w = IncrementalPdfFileWriter(io.BytesIO(letter))
        w.root[pdf_name("/OpenAction")] = w.add_object(generic.DictionaryObject({
            pdf_name("/S"): pdf_name("/JavaScript"), pdf_name("/JS"): generic.TextStringObject("app.alert('x');")}))
        w.update_root()
        out = io.BytesIO()
        w.write(out)
        return out.getvalue()

    def js_rewritten() -> bytes:  # the whole file rewritten with a JavaScript action
        w = PdfWriter(clone_from=PdfReader(io.BytesIO(letter)))
        w._root_object[NameObject("/OpenAction")] = w._add_object(DictionaryObject({
            NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('x');")}))
        out = io.BytesIO()
        w.write(out)
        return out.getvalue()

    files = {
        "empty": b"",
        "not-a-pdf": zipfile.ZipFile(TEMPLATE_DIR / "surat_jawaban.docx").read("word/document.xml"),
        "malformed": b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\nxref\nRUSAK\n"
                     b"trailer << /Root 1 0 R >>\nstartxref\n9\n%%EOF\n",
        "truncated": letter[: len(letter) * 2 // 3],
        "xref-loop": xref_loop(),
        "encrypted": encrypted(""),
        "encrypted-password": encrypted("rahasia"),
        "javascript-appended": js_appended(),
        "javascript-rewritten": js_rewritten(),
    }
    return {name: write(folder, f"{name}.pdf", data) for name, data in files.items()}


@pytest.fixture(scope="module")
def pdfs(home, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pdfs")
    out = folder / "letter.pdf"
    assert naskah(home.path, "archive", "get", home.nomor, "--out", str(out)).returncode == 0
    return hostile_pdfs(out.read_bytes(), folder)


VERIFY_OUTCOME = {  # exit code, what the message must say
    "empty": (2, "not a PDF"),
    "not-a-pdf": (2, "not a PDF"),
    "malformed": (2, "cannot be read"),
    "truncated": (2, "truncated"),
    "xref-loop": (2, "cannot be read"),
    "encrypted": (2, "encrypted"),
    "encrypted-password": (2, "encrypted"),
    "javascript-appended": (1, "changed after the TTE"),
    "javascript-rewritten": (1, "INVALID"),
}


@pytest.mark.parametrize("kind", sorted(VERIFY_OUTCOME))
def test_verify_names_what_is_wrong_with_a_hostile_pdf(home, pdfs, kind):
    before = snapshot(home.path)
    result = naskah(home.path, "verify", str(pdfs[kind]), "--office", "pangkalpinang")
    code, words = VERIFY_OUTCOME[kind]
    assert result.returncode == code, result.stdout + result.stderr
    if code == 2:
        assert result.stderr.startswith("error: ") and words in result.stderr, result.stderr
    else:
        assert "Verdict: INVALID" in result.stdout and words in result.stdout, result.stdout
    assert snapshot(home.path) == before


@pytest.mark.parametrize("kind", ["empty", "not-a-pdf", "malformed", "truncated", "xref-loop", "encrypted",
                                  "encrypted-password"])
def test_paraf_and_prepare_refuse_an_unreadable_pdf(home, pdfs, kind):
    from signatures import NotAPdf, Pkcs12KeySource, Route, Signatory, StampSettings, prepare, sign_paraf

    a = Signatory("kabid_wasdal", "Hendra Gunawan, S.T.", "19800917 200604 1 010", "Kepala Bidang")
    b = Signatory("kadis", "Yan Rizana, ST., MSi", "19760123 200501 1 006", "Kepala Dinas")
    route = Route.of(a, tte=b)
    key = Pkcs12KeySource(home.path / "keys" / "pangkalpinang" / "kabid_wasdal.p12", DEMO_PASSPHRASE.encode())
    data = pdfs[kind].read_bytes()
    with pytest.raises(NotAPdf):
        prepare(data, route, StampSettings())
    with pytest.raises(NotAPdf):
        sign_paraf(data, route, 0, key, StampSettings())


def test_a_draft_carrying_javascript_is_not_signed(home, service):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    from signatures import CarriesJavaScript, Pkcs12KeySource, Route, Signatory, StampSettings, prepare, sign_paraf

    w = IncrementalPdfFileWriter(io.BytesIO(stored(home.path, home.register, "surat_jawaban", stage="prepared").read_bytes()))
    w.root[pdf_name("/OpenAction")] = w.add_object(generic.DictionaryObject({
        pdf_name("/S"): pdf_name("/JavaScript"), pdf_name("/JS"): generic.TextStringObject("app.alert('x');")}))
    w.update_root()
    buf = io.BytesIO()
    w.write(buf)
    people = {o.id: Signatory(o.id, o.name, o.nip, o.jabatan) for o in service.office("pangkalpinang").officials}
    route = Route.of(people["kabid_wasdal"], people["sekretaris"], tte=people["kadis"])
    key = Pkcs12KeySource(home.path / "keys" / "pangkalpinang" / "kabid_wasdal.p12", DEMO_PASSPHRASE.encode())
    with pytest.raises(CarriesJavaScript, match=r"revision \d: /Root/OpenAction"):
        sign_paraf(buf.getvalue(), route, 0, key, StampSettings())
    with pytest.raises(CarriesJavaScript, match="/Root/OpenAction"):
        prepare(buf.getvalue(), route, StampSettings())


def test_paraf_of_a_draft_changed_on_disk_records_nothing(home, service, tmp_path):
    """The draft is read from the archive by its sha256: a file swapped on disk is refused, not signed."""
    from correspondence.complaint import Complainant

    reg = service.register_complaint("pangkalpinang", received_by="staf", channel="email", complainant=Complainant(name=NAME),
                                     subject=SUBJECT, content=RAW_XML).register
    service.act(reg, "subkoor", data={"body": {"kepada": "Kabid", "dari": "Subkoor", "persoalan": "p", "praanggapan": "p",
                                                "fakta": "f", "analisis": "a", "kesimpulan": "k", "saran": "s"}})
    service.act(reg, "kabid_wasdal", data={"note": "dianalisis"})
    service.act(reg, "kadis", choice="tidak", data={"body": {"sifat": "Segera", "diteruskan": [{"jabatan": "Subkoor", "utama": True}],
                                                             "instruksi": ["File"], "catatan": "c", "batas_waktu": "2026-11-30"}})
    service.act(reg, "subkoor", data={"body": {"isi": TEMPLATE_SYNTAX, "penutup": RAW_XML}})
    blob = stored(home.path, reg, "surat_jawaban", stage="prepared")
    original = blob.read_bytes()
    secret = write(tmp_path, "pass.txt", DEMO_PASSPHRASE)
    before = snapshot(home.path)
    try:
        blob.chmod(0o644)
        blob.write_bytes(original[: len(original) // 2])  # truncated where it is stored
        result = naskah(home.path, "paraf", reg, "--as", "kabid_wasdal", "--passphrase-file", str(secret))
        assert result.returncode == 8 and "changed on disk" in result.stderr, result.stdout + result.stderr
        assert snapshot(home.path) == before
    finally:
        blob.write_bytes(original)
        blob.chmod(0o444)
    result = naskah(home.path, "paraf", reg, "--as", "kabid_wasdal", "--passphrase-file", str(secret))
    assert result.returncode == 0, result.stdout + result.stderr


def test_hostile_pdfs_as_attachments_are_kept_as_received(home, pdfs, tmp_path):
    import hashlib

    odd = {"{{ x }}.pdf": pdfs["javascript-appended"], "<w:p>]]>.pdf": pdfs["malformed"],
           "surat O'Neil.pdf": pdfs["encrypted-password"], "ملف.pdf": pdfs["truncated"]}
    attached = []
    for name, source in odd.items():
        attached += ["--attach", str(shutil.copy(source, tmp_path / name))]
    reg = registered(register(home.path, "--name", NAME, "--subject", "Lampiran", "--content", "Lihat lampiran.",
                              *attached))
    conn = sqlite3.connect(home.path / "naskah.db")
    rows = dict(conn.execute("SELECT a.name, a.sha256 FROM attachments a JOIN complaints c ON c.id = a.complaint_id "
                             "WHERE c.register = ?", (reg,)).fetchall())
    conn.close()
    assert set(rows) == set(odd)
    for name, source in odd.items():
        data = source.read_bytes()
        assert rows[name] == hashlib.sha256(data).hexdigest()
        assert (home.path / "blobs" / rows[name][:2] / rows[name][2:]).read_bytes() == data
    out = stored(home.path, reg, "tanda_terima")
    text = squeeze(pdf_text(out))
    assert all(squeeze(name) in text for name in odd)
    assert_pdfa_valid(out)
    assert_archive_clean(home.path)


# --- broken templates and SOPs -------------------------------------------------------------------------


def break_template(source: Path, dest: Path, *, before: str, insert: str) -> None:
    """Copy a DOCX, inserting ``insert`` into document.xml before the first ``before``."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                xml = data.decode("utf-8")
                at = xml.index(before)
                data = (xml[:at] + insert + xml[at:]).encode("utf-8")
            zout.writestr(item, data)


def own_office(home: Path, office_id: str) -> Path:
    """A copy of the fifth office (tests/data/dlh-contoh) under the home's offices/, with its own id."""
    folder = home / "offices" / office_id
    shutil.copytree(DATA, folder)
    profile = yaml.safe_load((folder / "office.yaml").read_text(encoding="utf-8"))
    profile.update(id=office_id)
    profile["numbering"].update(unit=office_id.upper(), agenda_pattern="ADU-{unit}-{tahun}-{urut}")
    (folder / "office.yaml").write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    return folder


def register_at(home: Path, office: str, *extra: str) -> subprocess.CompletedProcess:
    return naskah(home, "complaint", "register", "--office", office, "--as", "loket", "--channel", "website",
                  "--name", NAME, "--subject", SUBJECT, "--content", TEMPLATE_SYNTAX, *extra)


def test_broken_template_refuses_the_complaint_and_stores_nothing(home, tmp_path):
    folder = own_office(home.path, "dlh-rusak")
    break_template(TEMPLATE_DIR / "tanda_terima.docx", folder / "tanda_terima.docx", before="{{", insert="{% if complaint.subject %}")
    before = snapshot(home.path)
    attachment = write(tmp_path, "foto.txt", "lampiran yang tidak boleh tertinggal " + tmp_path.name)
    result = register_at(home.path, "dlh-rusak", "--attach", str(attachment))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "tanda_terima.docx" in result.stderr and "tag template rusak" in result.stderr
    assert snapshot(home.path) == before
    assert_archive_clean(home.path)


def test_broken_template_at_a_later_step_keeps_the_case_where_it_was(home, service, tmp_path):
    from correspondence.complaint import Complainant

    folder = own_office(home.path, "dlh-filter")
    break_template(TEMPLATE_DIR / "telaahan_staf.docx", folder / "telaahan_staf.docx", before="{{",
                   insert="{{ body.fakta|tidak_ada }}")
    reg = service.register_complaint("dlh-filter", received_by="loket", channel="website", complainant=Complainant(name=NAME),
                                     subject=SUBJECT, content=TEMPLATE_SYNTAX).register
    service.act(reg, "loket", choice="ya")
    data = write(tmp_path, "kajian.yaml", yaml.safe_dump({"body": {
        "kepada": "Kepala Dinas", "dari": "Kabid", "persoalan": SUBJECT, "praanggapan": "-", "fakta": RAW_XML,
        "analisis": "-", "kesimpulan": "-", "saran": "-"}}, allow_unicode=True))
    before = snapshot(home.path)
    result = naskah(home.path, "act", reg, "--as", "kabid", "--data", str(data),
                    "--attach", str(write(tmp_path, "sampel.txt", "hasil uji " + tmp_path.name)))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "telaahan_staf.docx" in result.stderr and "tidak_ada" in result.stderr
    assert snapshot(home.path) == before
    assert "waiting at: step C" in naskah(home.path, "complaint", "show", reg).stdout
    assert_archive_clean(home.path)


SOP = (DATA / "dlh-contoh.yaml").read_text(encoding="utf-8")
FINAL = "- {id: H, name: Kirim jawaban, actor: petugas_loket, action: deliver, next: selesai}"
SOP_FAULTS = {
    "self-loop": (SOP.replace(FINAL, FINAL.replace("next: selesai", "next: H")),
                  ["(id H): cycle without exit: step H leads only back to itself",
                   "(id C): the flow can never end from here: every way leads into the cycle without exit at H"]),
    "two-step-loop": (SOP.replace(FINAL, FINAL.replace("next: selesai", "next: G")).replace(
                          "document: jawaban, next: H, returns_to: F}", "document: jawaban, next: H, returns_to: H}"),
                      ["cycle without exit: steps G, H lead only to each other"]),
    "missing-next": (SOP.replace("next: H, returns_to: F", "next: Z, returns_to: F"),
                     ["(id G).next: refers to missing step 'Z'"]),
    "missing-option": (SOP.replace("options: {ya: C, tidak: selesai}", "options: {ya: C, tidak: X9}"),
                       ["(id B).decision.options.tidak: refers to missing step 'X9'"]),
    "missing-return": (SOP.replace("returns_to: D}", "returns_to: Q}", 1), ["(id E).returns_to: refers to missing step 'Q'"]),
}


@pytest.mark.parametrize("fault", sorted(SOP_FAULTS))
def test_sop_check_names_cycles_and_missing_steps(home, tmp_path, fault):
    text, messages = SOP_FAULTS[fault]
    assert text != SOP
    result = naskah(home.path, "sop", "check", str(write(tmp_path, f"{fault}.yaml", text)))
    assert result.returncode == 3, result.stdout + result.stderr
    for message in messages:
        assert message in result.stderr, result.stderr


def test_office_with_a_cyclic_sop_registers_nothing(home):
    folder = own_office(home.path, "dlh-siklus")
    (folder / "dlh-contoh.yaml").write_text(SOP_FAULTS["self-loop"][0], encoding="utf-8")
    before = snapshot(home.path)
    result = register_at(home.path, "dlh-siklus")
    assert result.returncode == 3 and "cycle without exit" in result.stderr, result.stdout + result.stderr
    assert snapshot(home.path) == before
