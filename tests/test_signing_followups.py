"""Signing follow-ups, on real demo letters (LibreOffice PDF/A, real signatures):

* Padang's three visible parafs are stacked rows of one paraf table, clear of the TTE stamp;
* paraf and TTE times are the office's zona_waktu (Kutai Kartanegara: WITA), not the machine's;
* the reference in the TTE's QR resolves to the filed letter (``naskah archive get/show --ref``);
* JavaScript anywhere in a PDF is refused before signing and named by ``verify``;
* an unreadable PDF whose parser error has no message still gets a reason.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import sigtools  # tests/sigtools.py
from clitools import run_naskah as naskah
from correspondence.catalog import SHIPPED_OFFICES
from correspondence.demo import DEMO_PASSPHRASE, run_demo
from correspondence.services import Naskah, machine_now
from signatures import (CarriesJavaScript, NotAPdf, Pkcs12KeySource, Route, Signatory, StampSettings, load_certificate,
                        prepare, sign_paraf)
from signatures.appearance import PARAF_LINE, PARAF_ROW_HEIGHT
from signatures.changes import javascript_by_revision, javascript_in
from signatures.signing import read_pdf
from sigtools import widget_rects

WIB = timezone(timedelta(hours=7))
WITA = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Demo:
    home: Path
    office: str
    register: str
    nomor: str
    stages: dict[str, bytes]  # prepared, paraf-1 .. paraf-n, tte: the reply after each step
    signatories: dict[str, Signatory]
    verify_url: str
    clock: object


def walk_demo(tmp_path_factory, office: str, *, paraf_visible: bool, clock=machine_now) -> Demo:
    """The office's demo, in a home with its own copy of the profile."""
    home = tmp_path_factory.mktemp(office)
    office_dir = home / "offices" / office
    shutil.copytree(SHIPPED_OFFICES / office, office_dir)
    profile = office_dir / "office.yaml"
    text = profile.read_text(encoding="utf-8")
    assert "paraf_visible: false" in text
    profile.write_text(text.replace("paraf_visible: false", f"paraf_visible: {str(paraf_visible).lower()}"),
                       encoding="utf-8")
    with Naskah(home, clock=clock) as service:
        register, (nomor,) = run_demo(service, office, lambda line: None)
        profile_ = service.office(office)
        signed = next(d.doc_key for d in service.cases.documents(register) if d.stage == "tte")
        docs = service.cases.documents(register, signed)
        last = max(d.version for d in docs)
        stages = {d.stage: service.archive.blobs.get(d.sha256) for d in docs if d.version == last and d.media == "pdf"}
        people = {o.id: Signatory(o.id, o.name, o.nip, o.jabatan) for o in profile_.officials}
        url = profile_.signing.verify_url
    return Demo(home, office, register, nomor, stages, people, url, clock)


@pytest.fixture(scope="module")
def padang(tmp_path_factory) -> Demo:
    """With a fixed clock (as $NASKAH_NOW gives): a naive moment, the office's wall time (WIB) a
    minute ago, so that the demo certificates made now are already valid."""
    moment = (datetime.now(WIB) - timedelta(minutes=1)).replace(tzinfo=None, second=0, microsecond=0)
    return walk_demo(tmp_path_factory, "padang", paraf_visible=True, clock=lambda: moment)


@pytest.fixture(scope="module")
def kukar(tmp_path_factory) -> Demo:
    return walk_demo(tmp_path_factory, "kutai-kartanegara", paraf_visible=True)


def run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def render(pdf: bytes, folder: Path, name: str, page: int, dpi: int = 150) -> np.ndarray:
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    result = run("pdftoppm", "-r", str(dpi), "-f", str(page + 1), "-l", str(page + 1), "-gray", "-singlefile",
                 "-png", str(path), str(folder / name))
    assert result.returncode == 0, result.stderr
    return np.asarray(Image.open(folder / f"{name}.png").convert("L"))


def dark_pixels(img: np.ndarray, rect: list[float], height: float, dpi: int = 150) -> int:
    s = dpi / 72
    x0, y0, x1, y1 = rect
    region = img[int((height - y1 + 1) * s): int((height - y0 - 1) * s), int((x0 + 1) * s): int((x1 - 1) * s)]
    return int((region < 128).sum())


def overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and a[2] > b[0] and a[1] < b[3] and a[3] > b[1]


def verified(home: Path, pdf: Path, office: str) -> subprocess.CompletedProcess:
    return naskah(home, "verify", str(pdf), "--office", office)


# --- Padang: three visible parafs in a paraf table ---------------------------------------------------


def test_padangs_three_parafs_are_table_rows_clear_of_the_tte(padang, tmp_path):
    final = padang.stages["tte"]
    rects = widget_rects(final)
    names = ["Paraf_1_kasi", "Paraf_2_kabid", "Paraf_3_sekretaris"]
    assert [n for n in rects if n.startswith("Paraf_")] == names
    tte_page, tte = rects["TTE_kadis"]
    rows = [rects[n][1] for n in names]
    assert {rects[n][0] for n in names} == {tte_page}
    for upper, lower in zip(rows, rows[1:]):
        assert upper[0] == lower[0] and upper[2] == lower[2]  # one column
        assert upper[1] == pytest.approx(lower[3] - PARAF_LINE, abs=0.02)  # stacked, sharing one line
    for row in rows:
        assert row[3] - row[1] == pytest.approx(PARAF_ROW_HEIGHT, abs=0.02)
        assert not overlap(row, tte), (row, tte)
    # each row is empty until its own paraf, then drawn; the TTE draws nothing over them
    from pypdf import PdfReader

    height = float(PdfReader(io.BytesIO(final)).pages[tte_page].mediabox.top)
    shown = {stage: render(pdf, tmp_path, stage, tte_page) for stage, pdf in padang.stages.items()}
    for i, row in enumerate(rows):
        assert dark_pixels(shown["prepared"], row, height) == 0
        assert dark_pixels(shown[f"paraf-{i + 1}"], row, height) > 100, names[i]
        if i:
            assert dark_pixels(shown[f"paraf-{i}"], row, height) == 0, names[i]
    words = " ".join(run("pdftotext", "-layout", str(tmp_path / "tte.pdf"), "-").stdout.split())
    for official in ("kasi", "kabid", "sekretaris"):
        assert padang.signatories[official].name in words
    out = tmp_path / "letter.pdf"
    out.write_bytes(final)
    result = verified(padang.home, out, "padang")
    assert result.returncode == 0 and "Verdict: VALID" in result.stdout, result.stdout


def test_a_fixed_clock_is_office_wall_time(padang, tmp_path):
    """The fixed clock's naive moment is WIB wall time: signed and printed as that, whatever the machine's zone."""
    moment = padang.clock()
    out = tmp_path / "letter.pdf"
    out.write_bytes(padang.stages["tte"])
    report = json.loads(naskah(padang.home, "verify", str(out), "--office", "padang", "--json").stdout)
    assert [s["signing_time"] for s in report["signatures"]] == [moment.replace(tzinfo=WIB).isoformat()] * 4
    text = " ".join(run("pdftotext", "-layout", str(out), "-").stdout.split())
    assert text.count(f"Paraf {moment:%d-%m-%Y %H.%M} WIB") == 3


# --- times in the office's zone ----------------------------------------------------------------------


def test_paraf_and_tte_times_are_in_the_offices_zone(kukar, tmp_path):
    """Kutai Kartanegara is WITA (+08:00); this machine's clock is not asked what zone it is in."""
    out = tmp_path / "letter.pdf"
    out.write_bytes(kukar.stages["tte"])
    result = naskah(kukar.home, "verify", str(out), "--office", kukar.office, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    times = [datetime.fromisoformat(s["signing_time"]) for s in report["signatures"]]
    assert [s["field"] for s in report["signatures"]] == ["Paraf_1_kabid", "TTE_kadis"]
    now = datetime.now(timezone.utc)
    for t in times:
        assert t.utcoffset() == timedelta(hours=8), t
        assert timedelta(0) <= now - t < timedelta(hours=1)  # the real clock's instant, not shifted by hours
    # the visible paraf prints that local time with the zone's name
    paraf = times[0].astimezone(WITA)
    text = " ".join(run("pdftotext", "-layout", str(out), "-").stdout.split())
    assert re.search(rf"Paraf {paraf:%d-%m-%Y} \d\d\.\d\d WITA", text), text
    shown = re.search(rf"Paraf {paraf:%d-%m-%Y} (\d\d)\.(\d\d) WITA", text)
    printed = paraf.replace(hour=int(shown.group(1)), minute=int(shown.group(2)), second=0, microsecond=0)
    assert abs(printed - paraf.replace(second=0, microsecond=0)) <= timedelta(minutes=1)
    # the date line of the letter is the office's date
    conn = sqlite3.connect(kukar.home / "naskah.db")
    tanggal = conn.execute("SELECT tanggal FROM letters WHERE nomor = ?", (kukar.nomor,)).fetchone()[0]
    conn.close()
    assert tanggal == times[1].date().isoformat()


# --- the QR's reference resolves to the filed letter -------------------------------------------------


def test_the_qr_reference_finds_the_filed_letter(kukar, tmp_path):
    conn = sqlite3.connect(kukar.home / "naskah.db")
    ref, digest = conn.execute("SELECT verification_ref, sha256 FROM letters WHERE nomor = ?", (kukar.nomor,)).fetchone()
    conn.close()
    assert re.fullmatch(r"[0-9a-f]{32}", ref)
    url = kukar.verify_url.replace("{ref}", ref)  # what the TTE's QR holds
    assert url.startswith("https://") and url.endswith(ref)
    for given in (ref, url, ref.upper()):
        out = tmp_path / f"{len(given)}.pdf"
        result = naskah(kukar.home, "archive", "get", "--ref", given, "--out", str(out))
        assert result.returncode == 0, result.stdout + result.stderr
        assert hashlib.sha256(out.read_bytes()).hexdigest() == digest
        assert out.read_bytes() == kukar.stages["tte"]
    shown = naskah(kukar.home, "archive", "show", "--ref", url, "--json")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    data = json.loads(shown.stdout)
    assert data["nomor"] == kukar.nomor and data["sha256"] == digest and data["verification"]["ok"]


def test_a_wrong_or_missing_reference_is_a_clear_error(kukar, tmp_path):
    out = tmp_path / "x.pdf"
    unknown = naskah(kukar.home, "archive", "get", "--ref", "0" * 32, "--out", str(out))
    assert unknown.returncode == 4 and "no filed letter with verification reference" in unknown.stderr
    garbage = naskah(kukar.home, "archive", "show", "--ref", "https://contoh.id/verifikasi/bukan-ref")
    assert garbage.returncode == 2 and "verification reference" in garbage.stderr
    both = naskah(kukar.home, "archive", "show", kukar.nomor, "--ref", "0" * 32)
    assert both.returncode == 2 and "one of them" in both.stderr
    neither = naskah(kukar.home, "archive", "get", "--out", str(out))
    assert neither.returncode == 2 and "one of them" in neither.stderr
    assert not out.exists()


# --- JavaScript ----------------------------------------------------------------------------------------


def with_javascript(pdf: bytes, where: str) -> bytes:
    """An incremental update putting a JavaScript action ``where``: the catalog's /OpenAction,
    the /Names tree, a page's /AA, or a new link annotation's /A."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import pdf_name
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(io.BytesIO(pdf))
    action = w.add_object(generic.DictionaryObject({
        pdf_name("/S"): pdf_name("/JavaScript"), pdf_name("/JS"): generic.TextStringObject("app.alert('x');")}))
    if where == "openaction":
        w.root[pdf_name("/OpenAction")] = action
        w.update_root()
    elif where == "names":
        tree = generic.DictionaryObject({pdf_name("/Names"): generic.ArrayObject([generic.TextStringObject("a"), action])})
        w.root[pdf_name("/Names")] = generic.DictionaryObject({pdf_name("/JavaScript"): w.add_object(tree)})
        w.update_root()
    elif where == "page-aa":
        page_ref = w.find_page_for_modification(0)[0]
        page_ref.get_object()[pdf_name("/AA")] = generic.DictionaryObject({pdf_name("/O"): action})
        w.mark_update(page_ref)
    elif where == "link":
        page_ref = w.find_page_for_modification(0)[0]
        link = w.add_object(generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/Annot"), pdf_name("/Subtype"): pdf_name("/Link"), pdf_name("/F"): generic.NumberObject(4),
            pdf_name("/Rect"): generic.ArrayObject([generic.FloatObject(v) for v in (10, 10, 20, 20)]),
            pdf_name("/Border"): generic.ArrayObject([generic.NumberObject(0)] * 3), pdf_name("/A"): action}))
        w.register_annotation(page_ref, link)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


PATHS = {"openaction": "/Root/OpenAction", "names": "/Root/Names/JavaScript/Names[1]",
         "page-aa": "/Root/Pages/Kids[0]/AA/O", "link": "/Root/Pages/Kids[0]/Annots["}


@pytest.mark.parametrize("where", sorted(PATHS))
def test_verify_names_javascript_wherever_it_hangs(kukar, tmp_path, where):
    clean = kukar.stages["tte"]
    assert javascript_by_revision(read_pdf(clean)) == {}
    loaded = with_javascript(clean, where)
    found = javascript_by_revision(read_pdf(loaded))
    assert list(found) == [read_pdf(clean).xrefs.total_revisions]  # the revision that added it, only
    assert len(found[list(found)[0]]) == 1 and found[list(found)[0]][0].startswith(PATHS[where])
    out = tmp_path / "js.pdf"
    out.write_bytes(loaded)
    result = verified(kukar.home, out, kukar.office)
    assert result.returncode == 1 and "Verdict: INVALID" in result.stdout
    assert "carries JavaScript" in result.stdout and PATHS[where] in result.stdout
    assert f"JavaScript added at {PATHS[where]}" in result.stdout  # in the TTE's "changes after signing"


@pytest.mark.parametrize("name", [b"/JS", b"/JavaScript", b"/J#53", b"/#4AS", b"/#4a#53", b"/J#61vaScript"])
def test_every_spelling_of_a_javascript_name_sends_the_file_to_the_catalog_walk(name):
    from signatures.changes import _J_NAME

    assert _J_NAME.search(b"<< /S " + name + b" >>")
    assert not _J_NAME.search(b"<< /TextAlign /Justify /Filter /JBIG2Decode /J 1 >>")  # tagged PDFs say /Justify


def test_a_clean_letter_skips_the_walk_and_a_loaded_one_does_not(kukar):
    from signatures.changes import could_hold_javascript

    clean = kukar.stages["tte"]
    assert not could_hold_javascript(read_pdf(clean))
    assert could_hold_javascript(read_pdf(with_javascript(clean, "openaction")))


def test_javascript_in_a_rewritten_file_is_named(kukar, tmp_path):
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    w = PdfWriter(clone_from=PdfReader(io.BytesIO(kukar.stages["tte"])))
    w._root_object[NameObject("/OpenAction")] = w._add_object(DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('x');")}))
    out = tmp_path / "rewritten.pdf"
    w.write(out)
    result = verified(kukar.home, out, kukar.office)
    assert result.returncode == 1 and "carries JavaScript" in result.stdout and "/Root/OpenAction" in result.stdout


@pytest.mark.parametrize("where", ["page-aa", "link", "names"])
def test_javascript_is_refused_before_prepare_and_paraf(kukar, where):
    prepared = kukar.stages["prepared"]
    original = prepared[: prepared.index(b"%%EOF") + len(b"%%EOF\n")]
    s = kukar.signatories
    route = Route.of(s["kabid"], tte=s["kadis"])
    with pytest.raises(CarriesJavaScript, match=re.escape(PATHS[where])):
        prepare(with_javascript(original, where), route, StampSettings())
    key = Pkcs12KeySource(kukar.home / "keys" / kukar.office / "kabid.p12", DEMO_PASSPHRASE.encode())
    with pytest.raises(CarriesJavaScript, match="PDF/A forbids it"):
        sign_paraf(with_javascript(prepared, where), route, 0, key, StampSettings())
    assert javascript_in(read_pdf(prepared)) == []


# --- an unreadable PDF always has a reason -------------------------------------------------------------


def pdf_with_root(root: bytes) -> bytes:
    """A syntactically whole PDF (header, xref, trailer, %%EOF) whose object 1, the /Root, is ``root``."""
    body = b"%PDF-1.7\n"
    offset = len(body)
    body += b"1 0 obj\n" + root + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 2\n0000000000 65535 f \n" + f"{offset:010d} 00000 n \n".encode()
    body += b"trailer\n<< /Size 2 /Root 1 0 R >>\nstartxref\n" + str(xref).encode() + b"\n%%EOF\n"
    return body


def test_a_parser_error_without_a_message_still_gives_a_reason(tmp_path):
    with pytest.raises(NotAPdf) as caught:
        read_pdf(pdf_with_root(b"42"))  # the catalog is a number: pyHanko asserts, with no message
    reason = str(caught.value)
    assert reason.startswith("the PDF cannot be read: ") and reason.removeprefix("the PDF cannot be read: ").strip()
    assert reason == "the PDF cannot be read: AssertionError"


# --- the validation gate analyses only the newest revision, and still enforces older locks -------------


GATE_PASS = "rahasia-gerbang"
GATE_PEOPLE = [Signatory(f"p{i}", f"Pejabat {i}", f"1980010{i} 200501 1 00{i}", f"Jabatan {i}") for i in range(1, 5)]
GATE_ROUTE = Route.of(*GATE_PEOPLE[:3], tte=GATE_PEOPLE[3])
GATE_SETTINGS = StampSettings(footer="uji gerbang", paraf_visible=True)


@pytest.fixture(scope="module")
def gated(tmp_path_factory) -> dict:
    """A letter with Paraf 1 and 2 signed (visible), its keys, and Paraf 3 still to sign."""
    import sigtools
    from signatures import create_demo_pki

    d = tmp_path_factory.mktemp("gate")
    pki = create_demo_pki(d / "pki", organisation="Pemerintah Kabupaten Uji", signatories=GATE_PEOPLE,
                          passphrase=GATE_PASS, now=datetime.now(timezone.utc) - timedelta(days=1))
    keys = {oid: Pkcs12KeySource(p, GATE_PASS.encode()) for oid, p in pki.pkcs12.items()}
    pdf = prepare(sigtools.make_letter_pdf(d, "letter"), GATE_ROUTE, GATE_SETTINGS)
    for i in range(2):
        pdf = sign_paraf(pdf, GATE_ROUTE, i, keys[GATE_PEOPLE[i].official_id], GATE_SETTINGS)
    return {"pdf": pdf, "keys": keys, "roots": [load_certificate(pki.ca_cert_path)]}


def signed_by_hand(pdf: bytes, key, field: str, change) -> bytes:
    """What a faulty signing call could produce: ``change`` and the signature of ``field`` in one revision."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    w = IncrementalPdfFileWriter(io.BytesIO(pdf))
    change(w)
    meta = signers.PdfSignatureMetadata(field_name=field, subfilter=SigSeedSubFilter.PADES)
    return signers.sign_pdf(w, meta, signer=key.signer()).getvalue()


def field_ref(w, name: str):
    for ref in w.root["/AcroForm"]["/Fields"]:
        if ref.get_object().get("/T") == name:
            return ref
    raise AssertionError(f"no field {name}")


def move_widget(name: str):
    def change(w) -> None:
        from pyhanko.pdf_utils import generic

        ref = field_ref(w, name)
        field = ref.get_object()
        assert field["/Subtype"] == "/Widget"  # Naskah's signature fields are their own widget
        field[generic.pdf_name("/Rect")] = generic.ArrayObject([generic.FloatObject(v) for v in (10, 10, 200, 60)])
        w.mark_update(ref)
    return change


def redraw_appearance(name: str):
    def change(w) -> None:
        from pyhanko.pdf_utils import generic

        ap = field_ref(w, name).get_object()["/AP"].raw_get("/N")
        stream = ap.get_object()
        w.objects[(ap.generation, ap.idnum)] = generic.StreamObject(
            dict(stream), stream_data=b"0 0 1 rg 0 0 100 20 re f")
    return change


def change_page(w) -> None:
    from pyhanko.pdf_utils import generic

    page_ref, _ = w.find_page_for_modification(0)
    raw = page_ref.get_object().raw_get("/Contents")
    target = raw.get_object()
    ref = raw if isinstance(target, generic.StreamObject) else target.raw_get(0)
    w.objects[(ref.generation, ref.idnum)] = generic.StreamObject(
        stream_data=ref.get_object().data + b"\n0 0 1 rg 72 400 200 40 re f\n")


def gate(pdf: bytes, keys) -> None:
    from signatures.signing import validation_gate

    third = GATE_PEOPLE[2].official_id
    validation_gate(pdf, GATE_ROUTE.field_name(2), keys[third].certificate, route=GATE_ROUTE)


def test_the_gate_accepts_an_honest_third_paraf(gated):
    key = gated["keys"][GATE_PEOPLE[2].official_id]
    gate(signed_by_hand(gated["pdf"], key, GATE_ROUTE.field_name(2), lambda w: None), gated["keys"])
    out = sign_paraf(gated["pdf"], GATE_ROUTE, 2, key, GATE_SETTINGS)
    gate(out, gated["keys"])


@pytest.mark.parametrize("change", [move_widget, redraw_appearance], ids=["widget", "appearance"])
@pytest.mark.parametrize("older", [0, 1], ids=["paraf-1", "paraf-2"])
def test_the_gate_rejects_a_revision_that_rewrites_an_earlier_paraf(gated, change, older):
    from signatures import SigningFailed

    key = gated["keys"][GATE_PEOPLE[2].official_id]
    name = GATE_ROUTE.field_name(older)
    tampered = signed_by_hand(gated["pdf"], key, GATE_ROUTE.field_name(2), change(name))
    with pytest.raises(SigningFailed) as caught:
        gate(tampered, gated["keys"])
    assert f"would invalidate {name}: it rewrites that signature's field" in str(caught.value)


def test_the_gate_rejects_a_revision_that_changes_page_content(gated):
    from signatures import SigningFailed

    key = gated["keys"][GATE_PEOPLE[2].official_id]
    tampered = signed_by_hand(gated["pdf"], key, GATE_ROUTE.field_name(2), change_page)
    with pytest.raises(SigningFailed) as caught:
        gate(tampered, gated["keys"])
    assert f"would invalidate {GATE_ROUTE.field_name(1)} (changes:" in str(caught.value)


def change_catalog(w) -> None:
    from pyhanko.pdf_utils import generic

    w.root[generic.pdf_name("/PageMode")] = generic.pdf_name("/FullScreen")
    w.update_root()


@pytest.mark.parametrize("change, says", [
    (change_page, "a content or data stream (object"),
    (change_catalog, "the document catalog in /PageMode"),
], ids=["page-content", "catalog"])
def test_the_gate_names_what_a_revision_changed_beyond_signing(gated, change, says):
    from signatures import SigningFailed

    key = gated["keys"][GATE_PEOPLE[2].official_id]
    tampered = signed_by_hand(gated["pdf"], key, GATE_ROUTE.field_name(2), change)
    with pytest.raises(SigningFailed) as caught:
        gate(tampered, gated["keys"])
    assert f"would invalidate {GATE_ROUTE.field_name(1)} (changes: {says}" in str(caught.value)


@pytest.mark.parametrize("change", [None, change_page, change_catalog, move_widget("Paraf_1_p1")],
                         ids=["honest", "page-content", "catalog", "earlier-widget"])
def test_verify_judges_like_pyhanko_honest_and_tampered_revisions(gated, change):
    """A visible-paraf letter, honest or with a third paraf that changed more than its field: the report with
    Naskah's judgement of signing revisions equals the one with pyHanko's analysis of every signature (the
    tampered revisions are left to pyHanko)."""
    from signatures.validation import ExpectedSignatory

    key = gated["keys"][GATE_PEOPLE[2].official_id]
    pdf = signed_by_hand(gated["pdf"], key, GATE_ROUTE.field_name(2), change or (lambda w: None))
    people = {p.official_id: ExpectedSignatory(p.official_id, p.name, p.nip, p.jabatan, None) for p in GATE_PEOPLE}
    fast, full, judged = sigtools.fast_and_full_verdicts(pdf, trust_roots=gated["roots"], signatories=people)
    assert fast == full
    assert judged == (2 if change is None else 0)
    changed = [p for s in fast["signatures"] for p in s["problems"] if "changes after this signature" in p]
    assert bool(changed) == (change is not None), changed


def test_the_gate_rejects_a_signature_after_the_tte(gated, tmp_path):
    """The TTE's DocMDP forbids every later change: a signature added after it (here in an extra field
    pyHanko creates) is refused, even though the TTE is not the signature before the newest one's field."""
    from signatures import SigningFailed, sign_tte
    from signatures.signing import validation_gate

    keys = gated["keys"]
    pdf = sign_paraf(gated["pdf"], GATE_ROUTE, 2, keys[GATE_PEOPLE[2].official_id], GATE_SETTINGS)
    pdf = sign_tte(pdf, GATE_ROUTE, keys[GATE_PEOPLE[3].official_id], GATE_SETTINGS, nomor="1/UJI/2026",
                   tanggal="21 November 2026", verification_ref="uji")
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    w = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(field_name="Tambahan", subfilter=SigSeedSubFilter.PADES)
    key = keys[GATE_PEOPLE[0].official_id]
    try:
        after = signers.sign_pdf(w, meta, signer=key.signer(), existing_fields_only=False).getvalue()
    except Exception as e:  # pyHanko itself may refuse to sign a certified document locked with P=1
        pytest.skip(f"pyHanko refuses to sign after DocMDP P=1: {e}")
    with pytest.raises(SigningFailed) as caught:
        validation_gate(after, "Tambahan", key.certificate)
    assert f"would invalidate {GATE_ROUTE.field_name(3)}" in str(caught.value)


def test_run_coroutine_hands_back_the_result_without_asyncio_formatting_it(monkeypatch):
    """asyncio.run (CPython 3.11, main thread) formats the repr of its main task, result included,
    when it restores the SIGINT handler: for a signed PDF that is every byte of it, twice."""
    import reprlib

    from signatures.signing import run_coroutine

    formatted = []
    real = reprlib.Repr.repr_instance
    monkeypatch.setattr(reprlib.Repr, "repr_instance", lambda self, x, level: formatted.append(type(x)) or real(self, x, level))
    pdf = b"%PDF-" + bytes(100_000)

    async def signing():
        return pdf

    assert run_coroutine(signing()) is pdf
    assert bytes not in formatted
