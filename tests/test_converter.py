"""The warm LibreOffice converter, against the real LibreOffice (no mocks).

Needs soffice.bin, python3-uno for the system Python, poppler-utils (pdffonts) and qpdf; the
module is skipped when LibreOffice is missing.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from pypdf import PdfReader

from correspondence.converter import (
    Converter,
    ConverterPool,
    _lo_socket_paths,
    find_soffice,
    find_uno_python,
    lo_destination_name,
)
from correspondence.errors import ConversionError, LibreOfficeMissing

try:
    find_uno_python(None, find_soffice())
except LibreOfficeMissing as exc:  # pragma: no cover - machine without LibreOffice
    pytest.skip(f"LibreOffice not available: {exc}", allow_module_level=True)


# -- documents ----------------------------------------------------------------------------


def _bookmark(paragraph, name: str, bid: int) -> None:
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bid))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bid))
    paragraph._p.append(start)
    paragraph._p.append(end)


def make_letter(extra_paragraphs: int = 0, marker: str = "") -> bytes:
    d = docx.Document()
    head = d.add_paragraph()
    r = head.add_run("PEMERINTAH KOTA CONTOH")
    r.font.name, r.font.size, r.bold = "Arial", Pt(14), True
    p = d.add_paragraph()
    r = p.add_run("Nomor : ")
    r.font.name = "Arial"
    _bookmark(p, "naskah_nomor", 1)
    body = d.add_paragraph()
    r = body.add_run(f"Dengan hormat, menindaklanjuti pengaduan Saudara {marker}.")
    r.font.name = "Times New Roman"
    for i in range(extra_paragraphs):
        q = d.add_paragraph(f"Paragraf {i}: " + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 6)
        q.runs[0].font.name = "Times New Roman"
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


LETTER = make_letter()
BIG = make_letter(extra_paragraphs=2500)  # ~100 pages: a conversion that takes a while


# -- checks ---------------------------------------------------------------------------------

PDFAID = "http://www.aiim.org/pdfa/ns/id/"


def pdfa_id(pdf: bytes) -> tuple[str | None, str | None]:
    reader = PdfReader(io.BytesIO(pdf))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    root = ET.fromstring(xmp)
    found: dict[str, str] = {}
    for el in root.iter():
        for key in ("part", "conformance"):
            if el.tag == f"{{{PDFAID}}}{key}" and el.text:
                found[key] = el.text.strip()
            if f"{{{PDFAID}}}{key}" in el.attrib:
                found[key] = el.attrib[f"{{{PDFAID}}}{key}"].strip()
    return found.get("part"), found.get("conformance")


def pdffonts(path: Path) -> list[tuple[str, str]]:
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        tokens = line.split()
        if len(tokens) >= 6:
            rows.append((tokens[0], tokens[-5]))  # name, emb
    return rows


def alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def cmdlines_containing(needle: str) -> list[int]:
    hits = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if needle.encode() in f.read():
                    hits.append(int(entry))
        except OSError:
            continue
    return hits


def wait_for_job(conv: Converter, timeout: float = 20.0) -> None:
    """Block until a conversion of ``conv`` is in progress (its input file exists)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        slot = conv.slot
        if slot is not None and any((slot / "jobs").glob("*.docx")):
            return
        time.sleep(0.005)
    raise AssertionError("no conversion started")


def in_thread(call, arg, *, key: str) -> tuple[threading.Thread, dict]:
    """Run ``call(arg)`` in a thread; its result lands in ``result[key]``, or ``result["error"]``."""
    result: dict = {}

    def run() -> None:
        try:
            result[key] = call(arg)
        except BaseException as exc:  # reported by the test
            result["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    return t, result


def convert_in_thread(conv: Converter, data: bytes) -> tuple[threading.Thread, dict]:
    return in_thread(conv.convert, data, key="pdf")


def _texts(pdfs: list[bytes]) -> list[str]:
    return [" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages) for pdf in pdfs]


def _refused_by_libreoffice() -> bytes:
    """A ZIP that passes Naskah's DOCX check but that LibreOffice will not open (no [Content_Types].xml)."""
    src = zipfile.ZipFile(io.BytesIO(LETTER))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in src.namelist():
            if name != "[Content_Types].xml":
                z.writestr(name, src.read(name))
    return buf.getvalue()


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("converter")


@pytest.fixture(scope="module")
def conv(workdir):
    c = Converter(workdir, timeout=30)
    yield c
    c.close()


@pytest.fixture(scope="module")
def letter_pdf(conv, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pdf") / "letter.pdf"
    out.write_bytes(conv.convert(LETTER))
    return out


# -- the PDF ----------------------------------------------------------------------------------


def test_result_is_pdfa_2b(letter_pdf):
    pdf = letter_pdf.read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert pdfa_id(pdf) == ("2", "B")


def test_all_fonts_embedded(letter_pdf):
    fonts = pdffonts(letter_pdf)
    assert len(fonts) >= 2  # Arial and Times New Roman (Liberation Sans/Serif stand in)
    assert all(emb == "yes" for _, emb in fonts), fonts


def test_qpdf_check_passes(letter_pdf):
    r = subprocess.run(["qpdf", "--check", str(letter_pdf)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_bookmark_is_named_destination(letter_pdf):
    reader = PdfReader(str(letter_pdf))
    dests = reader.named_destinations
    assert "/naskah_nomor" in dests, sorted(dests)
    dest = dests["/naskah_nomor"]
    assert reader.get_destination_page_number(dest) == 0
    # same place as LibreOffice's own (mangled) name for it
    mangled = dests["/" + lo_destination_name("naskah_nomor")]
    assert (dest.left, dest.top) == (mangled.left, mangled.top)
    assert float(dest.top) > 600  # near the top of the page


def test_lo_destination_name():
    assert lo_destination_name("naskah_nomor") == "naskah5Fnomor"
    assert lo_destination_name("a-b.c d") == "a-b2Ec20d"


# -- warm office --------------------------------------------------------------------------------


def test_three_documents_one_office(conv):
    conv.convert(LETTER)
    pid, restarts = conv.soffice_pid, conv.restarts
    assert pid is not None and alive(pid)
    texts = []
    for i in range(3):
        pdf = conv.convert(make_letter(marker=f"DOC{i}"))
        assert conv.soffice_pid == pid
        texts.append(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    assert conv.restarts == restarts
    assert [f"DOC{i}" in t for i, t in enumerate(texts)] == [True] * 3
    assert not list((conv.slot / "jobs").iterdir())  # temporary files are gone


def test_concurrent_callers_are_serialised(conv):
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(conv.convert(LETTER))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 3 and all(r.startswith(b"%PDF-") for r in results)


def test_corrupt_docx_is_a_conversion_error(conv):
    restarts = conv.restarts
    with pytest.raises(ConversionError, match="not a DOCX"):
        conv.convert(b"this is not a word document")
    with pytest.raises(ConversionError, match="not a DOCX"):
        conv.convert(LETTER[: len(LETTER) // 2])  # truncated
    with pytest.raises(ConversionError, match="could not open"):
        conv.convert(_refused_by_libreoffice())
    assert conv.restarts == restarts  # refused, not retried with a new office
    assert conv.convert(LETTER).startswith(b"%PDF-")


# -- robustness -----------------------------------------------------------------------------------


def test_soffice_killed_between_conversions(conv):
    conv.convert(LETTER)
    old, restarts = conv.soffice_pid, conv.restarts
    os.kill(old, signal.SIGKILL)
    pdf = conv.convert(LETTER)
    assert pdfa_id(pdf) == ("2", "B")
    assert conv.restarts == restarts + 1
    assert conv.soffice_pid != old and not alive(old)


def test_soffice_killed_during_conversion(conv):
    conv.convert(LETTER)
    old, restarts = conv.soffice_pid, conv.restarts
    t, result = convert_in_thread(conv, BIG)
    wait_for_job(conv)
    time.sleep(0.2)
    assert t.is_alive()  # still converting
    os.kill(old, signal.SIGKILL)
    t.join(120)
    assert "error" not in result, result.get("error")
    assert pdfa_id(result["pdf"]) == ("2", "B")
    assert conv.restarts >= restarts + 1
    assert not alive(old)


@pytest.mark.parametrize("stream", [False, True], ids=["convert", "map"])
def test_soffice_stopped_during_conversion(workdir, stream):
    """SIGSTOP: the timeout notices the hang, the office is killed and started again, and the letter
    completes; with ``map`` also the letters waiting behind the hung one, in their order."""
    docs = [BIG, make_letter(marker="SECOND"), make_letter(marker="THIRD")] if stream else [BIG]
    with Converter(workdir, timeout=10) as c:
        c.convert(LETTER)
        old = c.soffice_pid
        t, result = in_thread(c.map if stream else (lambda d: [c.convert(d[0])]), docs, key="pdfs")
        wait_for_job(c)
        time.sleep(0.1)
        started = time.monotonic()
        os.kill(old, signal.SIGSTOP)
        try:
            t.join(120)
        finally:
            if alive(old):
                os.kill(old, signal.SIGCONT)
        assert "error" not in result, result.get("error")
        assert [pdfa_id(pdf) for pdf in result["pdfs"]] == [("2", "B")] * len(docs)
        if stream:
            texts = _texts(result["pdfs"])
            assert "SECOND" in texts[1] and "THIRD" in texts[2]
        assert c.restarts >= 1
        assert 9 <= time.monotonic() - started < 90  # the timeout noticed the hang
        assert not alive(old)  # the stopped office was killed, not left behind


def test_close_leaves_no_process(workdir, conv):
    c = Converter(workdir)
    pdf = c.convert(LETTER)
    assert pdf.startswith(b"%PDF-")
    assert c.slot != conv.slot  # side by side with the module's converter
    assert set(c.pipe_names).isdisjoint(conv.pipe_names)
    pids = [c.soffice_pid, c.worker_pid]
    assert all(p is not None and alive(p) for p in pids)
    pipes = c.pipe_names
    c.close()
    assert not any(alive(p) for p in pids)
    for pipe in pipes:
        assert cmdlines_containing(pipe) == []
        assert not Path(f"/tmp/OSL_PIPE_{os.getuid()}_{pipe}").exists()
    assert c.soffice_pid is None
    with pytest.raises(ConversionError, match="closed"):
        c.convert(LETTER)
    c.close()  # idempotent
    # the module's converter is untouched
    assert conv.convert(LETTER).startswith(b"%PDF-")


def test_close_during_a_conversion(workdir):
    c = Converter(workdir)
    c.convert(LETTER)
    pids = [c.soffice_pid, c.worker_pid]
    t, result = convert_in_thread(c, BIG)
    wait_for_job(c)
    c.close()
    t.join(30)
    assert isinstance(result.get("error"), ConversionError), result
    assert "closed" in str(result["error"])
    assert c.restarts == 0  # not restarted behind close()'s back
    assert not any(alive(p) for p in pids)
    assert not list((c.slot / "jobs").iterdir())


def test_bogus_soffice_path(tmp_path):
    with pytest.raises(LibreOfficeMissing, match="apt-get install libreoffice-writer-nogui python3-uno"):
        Converter(tmp_path, soffice="/nonexistent/soffice")


def test_python_without_uno(tmp_path, monkeypatch):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(LibreOfficeMissing, match="python3-uno"):
        Converter(tmp_path, uno_python=str(fake))


def test_office_dies_with_a_sigkilled_naskah(tmp_path):
    script = tmp_path / "victim.py"
    script.write_text(
        "import os, sys, threading\n"
        "from pathlib import Path\n"
        "from correspondence.converter import Converter\n"
        "c = Converter(Path(sys.argv[1]))\n"
        "data = Path(sys.argv[2]).read_bytes()\n"
        # started from a short-lived thread: PDEATHSIG must not fire when *that* thread ends
        "t = threading.Thread(target=c.convert, args=(data,)); t.start(); t.join()\n"
        "c.convert(data)\n"
        "print(c.soffice_pid, c.worker_pid, c.restarts, c.pipe_names[0], flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    letter = tmp_path / "letter.docx"
    letter.write_bytes(LETTER)
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root))
    r = subprocess.run([sys.executable, str(script), str(tmp_path / "run"), str(letter)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == -signal.SIGKILL, r.stderr
    soffice_pid, worker_pid, restarts, pipe = r.stdout.split()
    soffice_pid, worker_pid = int(soffice_pid), int(worker_pid)
    assert restarts == "0"
    deadline = time.monotonic() + 5
    while (alive(soffice_pid) or alive(worker_pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(soffice_pid) and not alive(worker_pid)
    # the next converter on that workdir takes over the slot and sweeps the stale pipe socket
    stale = Path(f"/tmp/OSL_PIPE_{os.getuid()}_{pipe}")
    with Converter(tmp_path / "run") as c:
        assert c.convert(LETTER).startswith(b"%PDF-")
        assert c.slot == tmp_path / "run" / "lo-0"
        assert not stale.exists()
    assert not any(p.exists() for p in _lo_socket_paths(c.pipe_names[0], (c.slot / "profile").as_uri()))


# -- two converters at once --------------------------------------------------------------------------


def test_pool_converts_side_by_side_in_order(workdir):
    docs = [make_letter(marker=f"POOL{i}") for i in range(4)]
    with ConverterPool(workdir, size=2, timeout=30) as pool:
        pdfs = pool.map(docs)
        pids = [c.soffice_pid for c in pool.converters]
        assert all(p is not None and alive(p) for p in pids) and pids[0] != pids[1]  # two offices
        assert pool.convert(LETTER).startswith(b"%PDF-")
        assert pool.restarts == 0
    texts = [" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages) for pdf in pdfs]
    assert [f"POOL{i}" in t for i, t in enumerate(texts)] == [True] * 4  # each PDF is its own document
    assert all(pdfa_id(pdf) == ("2", "B") for pdf in pdfs)
    assert not any(alive(p) for p in pids)  # close() ended both


def test_map_streams_documents_through_one_office_in_order(conv):
    conv.convert(LETTER)
    pid, restarts = conv.soffice_pid, conv.restarts
    docs = [make_letter(marker=f"MAP{i}") for i in range(5)]
    pdfs = conv.map(docs)
    assert conv.soffice_pid == pid and conv.restarts == restarts
    assert [f"MAP{i}" in t for i, t in enumerate(_texts(pdfs))] == [True] * 5
    for pdf in pdfs:
        assert pdfa_id(pdf) == ("2", "B")
        assert "/naskah_nomor" in PdfReader(io.BytesIO(pdf)).named_destinations  # the destination names too
    assert conv.map([]) == []
    assert not list((conv.slot / "jobs").iterdir())


def test_convert_all_gives_each_document_its_pdf_or_its_error(conv):
    restarts = conv.restarts
    docs = [make_letter(marker="FIRST"), b"not a word document", _refused_by_libreoffice(), make_letter(marker="LAST")]
    out = conv.convert_all(docs)
    assert isinstance(out[1], ConversionError) and "not a DOCX" in str(out[1])
    assert isinstance(out[2], ConversionError) and "could not open" in str(out[2])
    assert ["FIRST" in t for t in _texts([out[0]])] == [True] and "LAST" in _texts([out[3]])[0]
    assert conv.restarts == restarts  # a refused document is not a dead office
    with pytest.raises(ConversionError, match=r"^document 2 of 4: the document is not a DOCX"):
        conv.map(docs)
    assert not list((conv.slot / "jobs").iterdir())


def test_each_pdf_is_its_own_documents_though_the_office_reuses_one_frame(conv):
    # the worker loads every document into the frame of the one before; a document LibreOffice
    # refuses leaves the previous one there, and the next letter must still be exported from itself
    markers = ["ALPHA", None, "BRAVO", "CHARLIE", None, None, "ALPHA", "DELTA"]
    docs = [make_letter(marker=m) if m else _refused_by_libreoffice() for m in markers]
    out = conv.convert_all(docs)
    for marker, result in zip(markers, out):
        if marker is None:
            assert isinstance(result, ConversionError) and "could not open" in str(result)
            continue
        text = _texts([result])[0]
        assert marker in text
        assert [m for m in set(markers) - {marker, None} if m in text] == []
    single = [conv.convert(make_letter(marker=m)) for m in ("ECHO", "FOXTROT")]
    assert ["ECHO" in t and "DELTA" not in t for t in _texts(single[:1])] == [True]
    assert ["FOXTROT" in t and "ECHO" not in t for t in _texts(single[1:])] == [True]


def test_map_completes_when_soffice_is_killed_mid_stream(conv):
    conv.convert(LETTER)
    old, restarts = conv.soffice_pid, conv.restarts
    docs = [BIG, make_letter(marker="SECOND"), BIG, make_letter(marker="FOURTH")]
    t, result = in_thread(conv.map, docs, key="pdfs")
    wait_for_job(conv)
    time.sleep(0.2)
    assert t.is_alive()
    os.kill(old, signal.SIGKILL)  # the first document converting, the second waiting behind it
    t.join(180)
    assert "error" not in result, result.get("error")
    pdfs = result["pdfs"]
    assert all(pdfa_id(pdf) == ("2", "B") for pdf in pdfs)
    texts = _texts(pdfs)
    assert "SECOND" in texts[1] and "FOURTH" in texts[3]
    assert conv.restarts >= restarts + 1 and not alive(old)
    assert not list((conv.slot / "jobs").iterdir())


def _office_that_will_not_start(tmp_path: Path) -> Path:
    program = tmp_path / "program"
    program.mkdir()
    broken = program / "soffice.bin"
    broken.write_text("#!/bin/sh\necho 'soffice: cannot open display' >&2\nexit 1\n")
    broken.chmod(0o755)
    return broken


def test_convert_all_when_the_office_will_not_start_names_why_for_every_document(tmp_path):
    broken = _office_that_will_not_start(tmp_path)
    with Converter(tmp_path / "work", soffice=str(broken), timeout=5) as c:
        out = c.convert_all([b"not a docx", LETTER, LETTER])
        assert [type(r) for r in out] == [ConversionError] * 3
        assert "not a DOCX" in str(out[0])  # checked before any office was needed
        assert all("did not start" in str(r) for r in out[1:]), out  # the one tried, and the one after it
        with pytest.raises(ConversionError, match=r"^document 1 of 2: LibreOffice did not start"):
            c.map([LETTER, LETTER])
        assert c.soffice_pid is None and c.worker_pid is None  # nothing left running


def test_iter_convert_is_a_pipeline_reading_documents_a_few_ahead(conv):
    conv.convert(LETTER)
    restarts = conv.restarts
    pulled: list[int] = []

    def documents():
        for i in range(6):
            pulled.append(i)
            yield b"not a word document" if i == 2 else make_letter(marker=f"PIPE{i}")

    seen = []
    for n, got in enumerate(conv.iter_convert(documents())):
        # the next documents are already with LibreOffice, the rest not yet read
        assert n + 1 < len(pulled) <= n + 1 + Converter.AHEAD + 1 or len(pulled) == 6, (n, pulled)
        seen.append(got)
    assert [type(r) for r in seen] == [bytes, bytes, ConversionError, bytes, bytes, bytes]
    assert "not a DOCX" in str(seen[2])
    texts = _texts([r for r in seen if isinstance(r, bytes)])
    assert [f"PIPE{i}" in t for i, t in zip((0, 1, 3, 4, 5), texts)] == [True] * 5
    assert conv.restarts == restarts
    assert not list((conv.slot / "jobs").iterdir())


def test_iter_convert_left_early_leaves_the_converter_in_step(conv):
    conv.convert(LETTER)
    pid, restarts = conv.soffice_pid, conv.restarts
    docs = (make_letter(marker=f"EARLY{i}") for i in range(5))
    for got in conv.iter_convert(docs):
        assert "EARLY0" in _texts([got])[0]
        break  # two more were with the worker: their replies must not answer the next request
    pdf = conv.convert(make_letter(marker="AFTERWARDS"))
    assert "AFTERWARDS" in _texts([pdf])[0]
    assert conv.soffice_pid == pid and conv.restarts == restarts  # no restart was needed
    assert not list((conv.slot / "jobs").iterdir())


def test_iter_convert_refuses_its_own_converter_inside_the_loop_and_passes_on_the_documents_fault(conv):
    def documents():
        yield make_letter(marker="BEFORE")
        raise ValueError("template broken")

    got = []
    with pytest.raises(ValueError, match="template broken"):
        for pdf in conv.iter_convert(documents()):
            got.append(pdf)
            with pytest.raises(ConversionError, match="busy with the iter_convert loop"):
                conv.convert(LETTER)  # would wait for ever for the loop's own lock
    assert len(got) == 1 and "BEFORE" in _texts(got)[0]  # the document before the fault came out first
    assert conv.convert(LETTER).startswith(b"%PDF-")  # and the converter is free again


def test_iter_convert_when_the_office_will_not_start_gives_every_document_why(tmp_path):
    broken = _office_that_will_not_start(tmp_path)
    with Converter(tmp_path / "work", soffice=str(broken), timeout=5) as c:
        out = list(c.iter_convert(iter([LETTER] * 5)))
    assert len(out) == 5 and all(isinstance(r, ConversionError) and "did not start" in str(r) for r in out), out


def test_pool_convert_all_spreads_documents_and_keeps_errors_in_place(workdir):
    docs = [make_letter(marker=f"DOC{i}") for i in range(6)]
    docs[3] = b"PK\x03\x04 not really"
    with ConverterPool(workdir, size=2, timeout=30) as pool:
        out = pool.convert_all(docs)
        assert all(c.soffice_pid is not None for c in pool.converters)  # both offices took documents
        with pytest.raises(ConversionError, match=r"^document 4 of 6: "):
            pool.map(docs)
    assert isinstance(out[3], ConversionError)
    good = [i for i in range(6) if i != 3]
    assert [f"DOC{i}" in t for i, t in zip(good, _texts([out[i] for i in good]))] == [True] * 5


def test_timeout_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("NASKAH_CONVERT_TIMEOUT", "7.5")
    assert Converter(tmp_path).timeout == 7.5
    assert Converter(tmp_path, timeout=3).timeout == 3  # an explicit value wins
    for bad in ("soon", "0", "-1", "nan", "inf"):
        monkeypatch.setenv("NASKAH_CONVERT_TIMEOUT", bad)
        with pytest.raises(ConversionError, match="NASKAH_CONVERT_TIMEOUT must be a positive number"):
            Converter(tmp_path)


# -- the same faults through the `naskah` command --------------------------------------------------------
#
# The command registers a complaint whose long text makes its tanda terima take a while to convert.
# The test waits until LibreOffice has the job's DOCX open (the conversion is under way, past the
# office's start-up), then kills or stops that soffice.bin. The command must still finish with the
# document, and once it has exited no process of its LibreOffice may be left.


def _office_processes(home: Path) -> dict[int, bytes]:
    """pid -> cmdline of every soffice.bin / UNO worker started for ``home``."""
    found = {}
    for pid in cmdlines_containing(str(home)):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if (b"soffice.bin" in cmd or b"uno_worker.py" in cmd) and alive(pid):
            found[pid] = cmd
    return found


def _converting_office(home: Path) -> int | None:
    """The soffice.bin of ``home`` that has a job's DOCX open right now, if any."""
    for pid, cmd in _office_processes(home).items():
        if b"soffice.bin" not in cmd:
            continue
        try:
            targets = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        except OSError:
            continue
        if any("/jobs/" in t and t.endswith(".docx") for t in targets):
            return pid
    return None


def _register_with_fault(tmp_path: Path, fault: signal.Signals, env: dict[str, str]) -> tuple[subprocess.CompletedProcess, int, set[int], float]:
    from clitools import NASKAH

    home = tmp_path / "home"
    content = tmp_path / "isi.txt"
    content.write_text("Antrian di loket perizinan sangat panjang dan tidak tertib. " * 600)
    proc = subprocess.Popen(
        [NASKAH, "complaint", "register", "--as", "staf", "--channel", "whatsapp", "--name", "Siti Aminah",
         "--subject", "Antrian layanan", "--content-file", str(content)],
        env={**os.environ, "NASKAH_HOME": str(home), **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    victim, offices, hit_at = None, set(), 0.0
    deadline = time.monotonic() + 240
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            offices.update(p for p, cmd in _office_processes(home).items() if b"soffice.bin" in cmd)
            if victim is None:
                victim = _converting_office(home)
                if victim is not None:
                    os.kill(victim, fault)
                    hit_at = time.monotonic()
            time.sleep(0.002)
        out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
        if victim is not None and alive(victim):
            os.kill(victim, signal.SIGCONT)
    assert victim is not None, "the conversion was never seen in progress"
    result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return result, victim, offices, time.monotonic() - hit_at


def _check_letter_and_nothing_left(tmp_path: Path, result: subprocess.CompletedProcess) -> None:
    from clitools import run_naskah

    home = tmp_path / "home"
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    register = result.stdout.strip().splitlines()[-1]
    out = tmp_path / "tanda_terima.pdf"
    assert run_naskah(home, "document", register, "tanda_terima", "--out", str(out)).returncode == 0
    pdf = out.read_bytes()
    assert pdfa_id(pdf) == ("2", "B")
    assert "Antrian di loket" in " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages[:1])
    left = _office_processes(home)
    deadline = time.monotonic() + 5  # PDEATHSIG and close() act at once; allow the kernel a moment
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = _office_processes(home)
    assert left == {}, left


def test_command_completes_when_soffice_is_killed_mid_conversion(tmp_path):
    result, victim, offices, _ = _register_with_fault(tmp_path, signal.SIGKILL, {})
    _check_letter_and_nothing_left(tmp_path, result)
    assert offices - {victim}, "no new soffice.bin was started after the kill"
    assert not alive(victim)


def test_command_completes_when_soffice_hangs_mid_conversion(tmp_path):
    # the timeout must leave room for this long document's conversion on a busy machine
    result, victim, offices, waited = _register_with_fault(tmp_path, signal.SIGSTOP, {"NASKAH_CONVERT_TIMEOUT": "15"})
    _check_letter_and_nothing_left(tmp_path, result)
    assert waited >= 15  # the hang was noticed by the timeout, not by luck
    assert offices - {victim}, "no new soffice.bin was started after the hang"
    assert not alive(victim)  # the stopped office was killed, not left behind
