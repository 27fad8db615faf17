"""What a signed letter shows and carries: the TTE stamp (QR with the verification reference,
name, NIP, jabatan, footer), parafs visible as a table or invisible per office setting, embedded
fonts and PDF/A identification after every signature. Real LibreOffice output of the shipped
reply template, real signatures, rendered by poppler."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from correspondence.catalog import SHIPPED_OFFICES
from correspondence.demo import DEMO_PASSPHRASE, run_demo
from correspondence.services import Naskah
from signatures import Pkcs12KeySource, Route, Signatory, StampSettings, prepare, sign_paraf
from signatures.appearance import (
    PARAF_LINE,
    PARAF_ROW_HEIGHT,
    PARAF_TABLE_MAX_WIDTH,
    initials,
    paraf_table_boxes,
    qr_code,
)
from signatures.signing import plan_layout, read_layout
from sigtools import widget_rects

WIB = timezone(timedelta(hours=7))
DPI = 300
SIGNED_STAGES = ("paraf-1", "paraf-2", "tte")


@dataclass(frozen=True)
class Letter:
    home: Path
    stages: dict[str, bytes]  # prepared, paraf-1, paraf-2, tte: the reply letter after each step
    original: bytes  # LibreOffice's PDF/A, before Naskah added anything
    verify_url: str
    ref: str
    signatories: dict[str, Signatory]


@pytest.fixture(scope="module")
def letter(tmp_path_factory) -> Letter:
    """The Pangkalpinang demo, its office profile switched to visible parafs."""
    home = tmp_path_factory.mktemp("appearance")
    office_dir = home / "offices" / "pangkalpinang"
    shutil.copytree(SHIPPED_OFFICES / "pangkalpinang", office_dir)
    profile = office_dir / "office.yaml"
    text = profile.read_text(encoding="utf-8")
    assert "paraf_visible: false" in text
    profile.write_text(text.replace("paraf_visible: false", "paraf_visible: true"), encoding="utf-8")
    with Naskah(home) as service:
        register, (nomor,) = run_demo(service, "pangkalpinang", lambda line: None)
        office = service.office("pangkalpinang")
        assert office.signing.paraf_visible
        docs = service.cases.documents(register, "surat_jawaban")
        last = max(d.version for d in docs)
        stages = {d.stage: service.archive.blobs.get(d.sha256) for d in docs if d.version == last and d.media == "pdf"}
        filed = service.archive.get(nomor)
        assert service.archive.read(nomor) == stages["tte"]
        people = {o.id: Signatory(o.id, o.name, o.nip, o.jabatan) for o in office.officials}
    prepared = stages["prepared"]
    original = prepared[: prepared.index(b"%%EOF") + len(b"%%EOF\n")]
    return Letter(home, stages, original, office.signing.verify_url, filed.verification_ref, people)


def run(*cmd: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def render(pdf: bytes, tmp_path: Path, name: str, *, page: int = 1, dpi: int = DPI) -> np.ndarray:
    """The page as a grey-level array (0 black .. 255 white), via pdftoppm."""
    path = write(tmp_path, f"{name}.pdf", pdf)
    result = run("pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-gray", "-singlefile", "-png",
                 str(path), str(tmp_path / name))
    assert result.returncode == 0, result.stderr
    return np.asarray(Image.open(tmp_path / f"{name}.png").convert("L"))


def crop(img: np.ndarray, rect: list[float], page_height: float, *, inset: float = 1.0, dpi: int = DPI) -> np.ndarray:
    s = dpi / 72
    x0, y0, x1, y1 = rect
    return img[int((page_height - y1 + inset) * s): int((page_height - y0 - inset) * s),
               int((x0 + inset) * s): int((x1 - inset) * s)]


def ink(region: np.ndarray) -> int:
    return int((region < 128).sum())


def page_height(pdf: bytes, page: int = 0) -> float:
    from pypdf import PdfReader

    return float(PdfReader(io.BytesIO(pdf)).pages[page].mediabox.top)


def fonts_not_embedded(path: Path) -> list[str]:
    lines = run("pdffonts", str(path)).stdout.splitlines()[2:]
    assert lines, "pdffonts lists no font"
    return [line for line in lines if line.split()[-5] != "yes"]


# --- the TTE stamp ------------------------------------------------------------------------------


def test_tte_stamp_is_drawn_only_by_the_tte(letter, tmp_path):
    page, rect = widget_rects(letter.stages["tte"])["TTE_kadis"]
    height = page_height(letter.stages["tte"], page)
    before = crop(render(letter.stages["paraf-2"], tmp_path, "before", page=page + 1), rect, height)
    after = crop(render(letter.stages["tte"], tmp_path, "after", page=page + 1), rect, height)
    assert ink(before) == 0
    assert ink(after) > 0.15 * after.size  # the QR alone blackens about a fifth of the stamp


def test_tte_stamp_text_names_the_official_and_the_footer(letter, tmp_path):
    page, (x0, y0, x1, y1) = widget_rects(letter.stages["tte"])["TTE_kadis"]
    path = write(tmp_path, "tte.pdf", letter.stages["tte"])
    height = page_height(letter.stages["tte"], page)
    area = run("pdftotext", "-f", str(page + 1), "-l", str(page + 1), "-x", str(int(x0)), "-y", str(int(height - y1)),
               "-W", str(int(x1 - x0) + 1), "-H", str(int(y1 - y0) + 1), str(path), "-").stdout
    words = " ".join(area.split())
    kadis = letter.signatories["kadis"]
    assert "Ditandatangani secara elektronik oleh:" in words
    assert kadis.name in words and f"NIP. {kadis.nip}" in words
    assert " ".join(kadis.jabatan.split()) in words
    assert "Balai Besar Sertifikasi Elektronik (BSrE), BSSN" in words


def read_qr(region: np.ndarray, modules: int) -> np.ndarray:
    """Module matrix of the QR in ``region`` (dark = True), sampled at each module's centre.

    The dark extent of a QR is exactly its module grid (three finder patterns sit in its
    corners); the module size is checked against the top-left finder (7 modules wide).
    """
    dark = region < 128
    rows, cols = np.nonzero(dark)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    module = (right - left) / modules
    finder_run = np.argmin(dark[top + int(module / 2), left:]) or (right - left)  # first light pixel
    assert finder_run / module == pytest.approx(7, abs=0.3), "the dark area is not a QR of that size"
    assert (bottom - top) == pytest.approx(right - left, abs=2), "the QR is not square"
    centres = [int((i + 0.5) * module) for i in range(modules)]
    return np.array([[dark[top + r, left + c] for c in centres] for r in centres])


def test_qr_encodes_the_letters_verification_url(letter, tmp_path):
    page, rect = widget_rects(letter.stages["tte"])["TTE_kadis"]
    img = render(letter.stages["tte"], tmp_path, "qr", page=page + 1)
    stamp = crop(img, rect, page_height(letter.stages["tte"], page))
    qr_area = stamp[:, : stamp.shape[0]]  # the QR: a square at the left, at most as tall as the stamp
    url = letter.verify_url.replace("{ref}", letter.ref)
    assert url.startswith("https://") and letter.ref in url and len(letter.ref) >= 32
    expected = np.array(qr_code(url).modules, dtype=bool)
    seen = read_qr(qr_area, len(expected))
    assert (seen == expected).all(), f"{int((seen != expected).sum())} of {expected.size} modules differ"
    # and it is not the QR of another reference
    other = np.array(qr_code(letter.verify_url.replace("{ref}", "0" * 32)).modules, dtype=bool)
    assert other.shape != seen.shape or (seen != other).any()


# --- visible parafs (office setting paraf_visible: true) -------------------------------------


def test_each_visible_paraf_appears_with_its_own_signature(letter, tmp_path):
    final = widget_rects(letter.stages["tte"])
    anchors, _ = read_layout(letter.original)
    paraf = {name: final[name] for name in ("Paraf_1_kabid_wasdal", "Paraf_2_sekretaris")}
    _, tte = final["TTE_kadis"]
    height = page_height(letter.stages["tte"])
    shown = {stage: render(letter.stages[stage], tmp_path, stage) for stage in ("prepared", *SIGNED_STAGES)}
    for i, (name, (page, rect)) in enumerate(paraf.items()):
        assert page == anchors["naskah_paraf"].page
        assert rect[2] - rect[0] > 50 and rect[3] - rect[1] > 15, rect
        assert abs(rect[3] - anchors["naskah_paraf"].top) < 2 * PARAF_ROW_HEIGHT  # at the anchor
        assert rect[2] <= tte[0] or rect[0] >= tte[2] or rect[3] <= tte[1]  # clear of the TTE stamp
        assert ink(crop(shown["prepared"], rect, height)) == 0
        signed_at = SIGNED_STAGES[i]
        unsigned = SIGNED_STAGES[:i]
        for stage in unsigned:
            assert ink(crop(shown[stage], rect, height)) == 0, (name, stage)
        assert ink(crop(shown[signed_at], rect, height)) > 200, (name, signed_at)
        assert (crop(shown["tte"], rect, height) == crop(shown[signed_at], rect, height)).all()


def test_visible_parafs_show_name_and_time(letter, tmp_path):
    text = run("pdftotext", "-layout", str(write(tmp_path, "t.pdf", letter.stages["tte"])), "-").stdout
    for official in ("kabid_wasdal", "sekretaris"):
        assert letter.signatories[official].name in text
    assert len(re.findall(r"\d{2}-\d{2}-\d{4} \d{2}\.\d{2}", text)) >= 2


@pytest.mark.parametrize("stage", ["prepared", *SIGNED_STAGES])
def test_fonts_embedded_and_qpdf_clean_after_every_signature(letter, stage, tmp_path):
    path = write(tmp_path, f"{stage}.pdf", letter.stages[stage])
    assert fonts_not_embedded(path) == []
    check = run("qpdf", "--check", str(path))
    assert check.returncode == 0, check.stdout + check.stderr


# --- XMP metadata ---------------------------------------------------------------------------------

RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
NS = {
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def xmp_properties(pdf: bytes) -> dict[str, str]:
    """Simple XMP properties as 'prefix:Name' -> text, written as attributes or elements;
    for dc:title / dc:creator the first rdf:li."""
    from pypdf import PdfReader

    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    xml = ET.fromstring(root["/Metadata"].get_object().get_data())
    prefix = {uri: p for p, uri in NS.items()}
    out: dict[str, str] = {}

    def name(tag: str) -> str | None:
        uri, _, local = tag[1:].partition("}")
        return f"{prefix[uri]}:{local}" if uri in prefix else None

    for desc in xml.iter(f"{RDF}Description"):
        for key, value in desc.attrib.items():
            if (n := name(key)) is not None:
                out[n] = value
        for child in desc:
            if (n := name(child.tag)) is None:
                continue
            li = child.find(f".//{RDF}li")
            out[n] = (li.text if li is not None else child.text) or ""
    return out


def info(pdf: bytes) -> dict[str, str]:
    from pypdf import PdfReader

    return {k: str(v) for k, v in (PdfReader(io.BytesIO(pdf)).metadata or {}).items()}


def pdf_date(value: str) -> datetime:
    """D:YYYYMMDDHHmmSS with Z or +hh'mm' (LibreOffice writes Z')."""
    m = re.match(r"D:(\d{14})(Z|[+-]\d{2}'?\d{2})?", value)
    assert m, value
    when = datetime.strptime(m.group(1), "%Y%m%d%H%M%S")
    zone = (m.group(2) or "Z").replace("'", "")
    offset = timedelta(0) if zone == "Z" else (1 if zone[0] == "+" else -1) * timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
    return when.replace(tzinfo=timezone(offset))


@pytest.mark.parametrize("stage", ["prepared", *SIGNED_STAGES])
def test_pdfa_identification_and_dates_stay_consistent(letter, stage):
    pdf = letter.stages[stage]
    xmp, inf = xmp_properties(pdf), info(pdf)
    assert xmp.get("pdfaid:part") == "2" and xmp.get("pdfaid:conformance") == "B", xmp
    assert pdf_date(inf["/CreationDate"]) == datetime.fromisoformat(xmp["xmp:CreateDate"].replace("Z", "+00:00"))
    if "/ModDate" in inf:  # PDF/A: an Info entry must equal its XMP twin; an absent one is fine
        assert pdf_date(inf["/ModDate"]) == datetime.fromisoformat(xmp["xmp:ModifyDate"])
    assert inf.get("/Title") == xmp.get("dc:title") == "Surat Jawaban Pengaduan"
    assert xmp["xmp:CreatorTool"] == inf["/Creator"]


@pytest.mark.parametrize("stage", ["prepared", *SIGNED_STAGES])
def test_producer_is_the_same_in_info_and_xmp(letter, stage):
    pdf = letter.stages[stage]
    assert info(pdf)["/Producer"] == xmp_properties(pdf)["pdf:Producer"]


# --- invisible parafs and the paraf table, on the same LibreOffice PDF --------------------------


def keys(letter: Letter) -> dict[str, Pkcs12KeySource]:
    folder = letter.home / "keys" / "pangkalpinang"
    return {oid: Pkcs12KeySource(folder / f"{oid}.p12", DEMO_PASSPHRASE.encode())
            for oid in ("kabid_wasdal", "sekretaris", "kadis")}


def route(letter: Letter) -> Route:
    s = letter.signatories
    return Route.of(s["kabid_wasdal"], s["sekretaris"], tte=s["kadis"])


def test_invisible_parafs_change_no_pixel(letter, tmp_path):
    settings = StampSettings(paraf_visible=False)
    k, r = keys(letter), route(letter)
    when = datetime(2026, 11, 23, 8, 15, tzinfo=WIB)
    prepared = prepare(letter.original, r, settings)
    p1 = sign_paraf(prepared, r, 0, k["kabid_wasdal"], settings, when=when)
    p2 = sign_paraf(p1, r, 1, k["sekretaris"], settings, when=when)
    rects = widget_rects(p2)
    assert rects["Paraf_1_kabid_wasdal"][1] == rects["Paraf_2_sekretaris"][1] == [0, 0, 0, 0]
    assert (render(prepared, tmp_path, "prep", dpi=100) == render(p2, tmp_path, "p2", dpi=100)).all()
    assert "Paraf" not in run("pdftotext", str(write(tmp_path, "p2.pdf", p2)), "-").stdout
    assert fonts_not_embedded(tmp_path / "p2.pdf") == []


def test_paraf_table_boxes_stack_rows_sharing_their_lines():
    boxes = paraf_table_boxes(3, left=70.85, top=263.34, right=291.55)
    assert [b[0] for b in boxes] == [70.85] * 3
    assert all(b[2] == pytest.approx(291.55 - 70.85) and b[3] == PARAF_ROW_HEIGHT for b in boxes)
    for upper, lower in zip(boxes, boxes[1:]):
        assert upper[1] - upper[3] == pytest.approx(lower[1] - PARAF_LINE)  # one shared line
    assert paraf_table_boxes(1, left=40, top=300, right=560)[0][2] == PARAF_TABLE_MAX_WIDTH


def test_initials():
    assert initials("Hendra Gunawan, S.T.") == "H.G."
    assert initials("Ir. Joko Prasetyo") == "J.P."
    assert initials("Rina Marlina, S.Sos., M.Si") == "R.M."


def table_prepare(letter: Letter, r: Route) -> tuple[bytes, list[tuple[float, float, float, float]]]:
    """prepare() with the paraf fields placed as paraf_table_boxes() lays them out: the layout
    signing.plan_layout is to use (see the report of this change)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, MDPPerm, SigFieldSpec, append_signature_field

    anchors, pages = read_layout(letter.original)
    _, plans = plan_layout(anchors, pages, r, StampSettings(paraf_visible=False))
    tte = plans[-1].box
    anchor = anchors["naskah_paraf"]
    rows = paraf_table_boxes(len(r.steps) - 1, left=anchor.left, top=anchor.top, right=tte[0] - 6)
    boxes = [(x, top - h, x + w, top) for x, top, w, h in rows]
    w = IncrementalPdfFileWriter(io.BytesIO(letter.original))
    for i, plan in enumerate(plans):
        last = i == len(plans) - 1
        append_signature_field(w, SigFieldSpec(
            sig_field_name=plan.name, on_page=plan.page, box=plan.box if last else boxes[i],
            field_mdp_spec=FieldMDPSpec(FieldMDPAction.ALL) if last else FieldMDPSpec(FieldMDPAction.INCLUDE, [plan.name]),
            doc_mdp_update_value=MDPPerm.NO_CHANGES if last else None))
    out = io.BytesIO()
    w.write(out)
    return out.getvalue(), boxes


def test_paraf_table_rows_render_jabatan_name_and_time(letter, tmp_path):
    settings = StampSettings(paraf_visible=True)
    k, r = keys(letter), route(letter)
    pdf, boxes = table_prepare(letter, r)
    when = datetime(2026, 11, 23, 8, 15, tzinfo=WIB)
    pdf = sign_paraf(pdf, r, 0, k["kabid_wasdal"], settings, when=when)
    pdf = sign_paraf(pdf, r, 1, k["sekretaris"], settings, when=when + timedelta(minutes=40))
    path = write(tmp_path, "table.pdf", pdf)
    assert fonts_not_embedded(path) == []
    assert run("qpdf", "--check", str(path)).returncode == 0
    img = render(pdf, tmp_path, "table")
    height = page_height(pdf)
    for box in boxes:
        assert ink(crop(img, list(box), height)) > 300
    # the shared line between the rows is drawn once, across the whole width
    s = DPI / 72
    y = int((height - boxes[1][3] + PARAF_LINE / 2) * s)
    x0, x1 = int(boxes[0][0] * s) + 4, int(boxes[0][2] * s) - 4
    assert (img[y - 2: y + 3, x0:x1].min(axis=0) < 160).all()
    for (x_0, y_0, x_1, y_1), official, time in zip(boxes, ("kabid_wasdal", "sekretaris"), ("08.15", "08.55")):
        area = run("pdftotext", "-x", str(int(x_0)), "-y", str(int(height - y_1)), "-W", str(int(x_1 - x_0)),
                   "-H", str(int(y_1 - y_0)), str(path), "-").stdout
        words = " ".join(area.split())
        person = letter.signatories[official]
        assert person.name in words and f"Paraf 23-11-2026 {time} WIB" in words
        assert " ".join(person.jabatan.split()) in words


def test_three_visible_parafs_stay_clear_of_the_tte_stamp(letter):
    anchors, pages = read_layout(letter.original)
    people = [Signatory(f"p{i}", f"Pejabat {i}", f"19700101 199503 1 00{i}", "Kepala Bidang") for i in range(4)]
    _, plans = plan_layout(anchors, pages, Route.of(*people[:3], tte=people[3]), StampSettings(paraf_visible=True))
    tte = plans[-1].box
    for plan in plans[:-1]:
        x0, y0, x1, y1 = plan.box
        assert x1 <= tte[0] or x0 >= tte[2] or y1 <= tte[1] or y0 >= tte[3], (plan.name, plan.box, tte)


def test_stamps_use_the_common_cut_of_the_font_and_the_whole_font_beyond_it():
    """Stamps load a font cut to common Latin text (faster, smaller) when every character drawn is in it;
    any other character brings the whole font, so nothing is drawn as a missing glyph."""
    from fontTools.ttLib import TTFont

    from correspondence.catalog import SHIPPED_OFFICES
    from correspondence.office import load_office
    from signatures.appearance import StampSettings, _stamp_font_bytes, find_font, stamp_font_bytes

    path = str(find_font(StampSettings()))
    whole = _stamp_font_bytes(path)
    texts = [t for f in sorted(SHIPPED_OFFICES.glob("*/office.yaml"))
             for o in load_office(f).officials for t in (o.name, o.jabatan, o.nip)]
    assert len(texts) > 20
    cut = stamp_font_bytes(path, texts + ["800/0012/DPMPTSP/2026", "Pangkalpinang, 21 November 2026"])
    assert len(cut) < len(whole) / 3  # every shipped official's stamp uses the cut
    cmap = TTFont(io.BytesIO(cut)).getBestCmap()
    assert all(ord(c) in cmap for t in texts for c in t if not c.isspace())
    for beyond in ("Đặng Văn Lâm", "Ιωάννης", "李小龙", "Ahmad ☺"):
        assert stamp_font_bytes(path, ["Kepala Dinas", beyond]) == whole
    assert stamp_font_bytes(path, []) == whole


def test_tte_stamps_share_one_font_program_per_glyph_set(letter, tmp_path):
    """The TTE's embedded subset (stamp, nomor and tanggal) is cut and compiled once per glyph set: a
    second letter whose nomor differs only in digits reuses it, new characters cut a new one, and the
    page drawn with a kept program is pixel for pixel the one drawn with a freshly cut program."""
    from signatures import appearance, sign_tte

    k, r = keys(letter), route(letter)
    when = datetime(2026, 11, 23, 9, 30, tzinfo=WIB)
    settings = StampSettings(paraf_visible=True, verify_url=letter.verify_url)
    p2 = letter.stages["paraf-2"]

    def tte(nomor: str) -> bytes:
        return sign_tte(p2, r, k["kadis"], settings, nomor=nomor, tanggal="Pangkalpinang, 23 November 2026",
                        verification_ref=letter.ref, when=when)

    kept = appearance._SUBSETS._kept
    kept.clear()
    first = tte("500.16/0012/DPMPTSP/2026")
    assert len(kept) == 1
    reused = tte("500.16/0345/DPMPTSP/2026")  # other digits: the same program
    assert len(kept) == 1
    tte("500.16/0345/QZ/2026")  # Q and Z are new glyphs: a program of its own
    assert len(kept) == 2
    kept.clear()
    fresh = tte("500.16/0345/DPMPTSP/2026")
    assert len(kept) == 1

    page, rect = widget_rects(reused)["TTE_kadis"]
    drawn = render(reused, tmp_path, "reused", page=page + 1)
    stamp = crop(drawn, rect, page_height(reused, page))
    assert ink(stamp) > 0.15 * stamp.size
    assert (drawn == render(fresh, tmp_path, "fresh", page=page + 1)).all()
    assert (drawn != render(first, tmp_path, "first", page=page + 1)).any()  # its own nomor
    path = write(tmp_path, "reused.pdf", reused)
    assert "0345" in run("pdftotext", str(path), "-").stdout
    assert fonts_not_embedded(path) == []
