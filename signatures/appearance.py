"""Signature appearances: the TTE stamp (QR + text) and the visible paraf box.

Every glyph is drawn with an embedded TrueType subset (pyHanko's ``GlyphAccumulator``):
pyHanko's default stamp font (Courier, not embedded) would break PDF/A.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import shutil
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import CIDFontType2, GlyphAccumulator
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter, init_xobject_dictionary
from pyhanko.stamp.base import BaseStamp, BaseStampStyle

from .errors import SignatureError

# fontTools reports every table it cannot subset (e.g. FFTM) as a warning on stderr
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
from .route import Signatory

DEFAULT_FOOTER = (
    "Dokumen ini telah ditandatangani secara elektronik menggunakan sertifikat elektronik "
    "yang diterbitkan oleh Balai Besar Sertifikasi Elektronik (BSrE), BSSN"
)

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/TTF/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)


class FontNotFound(SignatureError):
    """No usable TrueType font for the stamps (install fonts-liberation2 or set font_path)."""


@dataclass(frozen=True)
class StampSettings:
    footer: str = DEFAULT_FOOTER
    """Office wording printed under the TTE stamp text (BSrE/BSSN sentence)."""
    paraf_visible: bool = False
    """Draw paraf signatures as small boxes (default: invisible paraf)."""
    font_path: Path | None = None
    """TrueType/OpenType font for stamps and filled fields (default Liberation Sans/DejaVu)."""
    verify_url: str = "naskah:verify/{ref}"
    """QR content; ``{ref}`` is replaced by the letter's verification reference."""
    field_font_size: int = 12
    """Font size of the filled ``naskah_nomor`` / ``naskah_tanggal`` text (pt)."""

    def verification_url(self, ref: str) -> str:
        return self.verify_url.replace("{ref}", ref)


@functools.lru_cache(maxsize=8)
def _fc_match(family: str) -> str | None:
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "-f", "%{file}", family], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


def find_font(settings: StampSettings | None = None) -> Path:
    """The stamp font: settings.font_path, else Liberation Sans, else DejaVu Sans."""
    if settings is not None and settings.font_path is not None:
        p = Path(settings.font_path)
        if not p.is_file():
            raise FontNotFound(f"stamp font {p} does not exist")
        if p.suffix.lower() not in (".ttf", ".otf"):
            raise FontNotFound(f"stamp font {p} is not a .ttf/.otf file")
        return p
    for c in _FONT_CANDIDATES:
        if Path(c).is_file():
            return Path(c)
    for family in ("Liberation Sans", "DejaVu Sans"):
        found = _fc_match(family)
        if found and found.lower().endswith((".ttf", ".otf")) and Path(found).is_file():
            return Path(found)
    raise FontNotFound(
        "no TrueType font for signature stamps: install fonts-liberation2 or fonts-dejavu-core, "
        "or set StampSettings.font_path"
    )


@functools.lru_cache(maxsize=8)
def _font_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


# OpenType layout tables: harfbuzz would use them for kerning/ligatures, but fontTools'
# subsetter spends ~0.1 s per signature parsing them (pyHanko drops them from the subset
# anyway). For the short Latin lines of stamps and the number field, plain advances do.
_DROP_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "kern", "morx", "mort", "feat")


@functools.lru_cache(maxsize=8)
def _stamp_font_bytes(path: str) -> bytes:
    from fontTools.ttLib import TTFont

    tt = TTFont(io.BytesIO(_font_bytes(path)))
    if not any(tag in tt for tag in _DROP_TABLES):
        return _font_bytes(path)
    for tag in _DROP_TABLES:
        if tag in tt:
            del tt[tag]
    out = io.BytesIO()
    tt.save(out)
    return out.getvalue()


# What most stamps need: Latin letters of Indonesian names and titles, digits, punctuation, the euro
# sign. A font cut to these (about 600 of Liberation Sans' 2,600 glyphs) loads in half the time and
# memory for every stamp; a text with any other character gets the whole font.
_COMMON_TEXT = frozenset(
    [*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x2010, 0x2028), *range(0x2030, 0x203B), 0x20AC]
)


@functools.lru_cache(maxsize=8)
def _common_font(path: str) -> tuple[bytes, frozenset[str]]:
    """The stamp font cut to the common characters, and the characters it covers."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    tt = TTFont(io.BytesIO(_stamp_font_bytes(path)))
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables = []
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=sorted(_COMMON_TEXT))
    cutter.subset(tt)
    out = io.BytesIO()
    tt.save(out)
    return out.getvalue(), frozenset(chr(c) for c in tt.getBestCmap())


def stamp_font_bytes(path: str, texts: Iterable[str] = ()) -> bytes:
    """The font program for stamps drawing ``texts``: the common cut when it has every character
    (whitespace aside), else the whole font. No texts: the whole font."""
    texts = list(texts)
    if texts:
        wanted = {c for t in texts for c in t if not c.isspace()}
        cut, covered = _common_font(path)
        if wanted <= covered:
            return cut
    return _stamp_font_bytes(path)


@functools.lru_cache(maxsize=8)
def font_ascent(path: str) -> float:
    """(hhea ascender + line gap) / units per em: where a word processor puts the first
    baseline under the top of a line (0.938 for Liberation Sans)."""
    from fontTools.ttLib import TTFont

    tt = TTFont(io.BytesIO(_font_bytes(path)), lazy=True)
    hhea = tt["hhea"]
    return (hhea.ascent + max(0, hhea.lineGap)) / tt["head"].unitsPerEm


class _SubsetPrograms:
    """Embedded font programs by (font, glyph set): a small LRU shared by the process.

    Cutting the subset and compiling it (fontTools) is the costliest part of drawing a TTE stamp,
    about a fifth of the whole TTE, and a signer's stamps repeat the same glyphs letter after
    letter: the same name, title and NIP, the same footer, the digits of a nomor and a date.
    """

    KEPT = 64

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple[bytes, frozenset[int]], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[bytes, frozenset[int]]) -> bytes | None:
        with self._lock:
            program = self._kept.get(key)
            if program is not None:
                self._kept.move_to_end(key)
            return program

    def put(self, key: tuple[bytes, frozenset[int]], program: bytes) -> None:
        with self._lock:
            self._kept[key] = program
            while len(self._kept) > self.KEPT:
                self._kept.popitem(last=False)


_SUBSETS = _SubsetPrograms()

_ALWAYS_EMBEDDED = "0123456789"
"""Characters every embedded subset carries, used or not: a nomor and a date differ from letter
to letter mostly in their digits, so with these in, one signer's stamps share one program."""


class ScaledGlyphAccumulator(GlyphAccumulator):
    """GlyphAccumulator that writes metrics in PDF glyph space (1/1000 em).

    pyHanko 0.38 writes the CIDFont ``/W`` widths and the font descriptor metrics in the
    font's own units. That is only right for fonts with 1000 units per em (most CFF fonts);
    TrueType fonts such as Liberation Sans and DejaVu Sans have 2048, and their text comes
    out stretched to twice its width. Here HarfBuzz shapes at a 1000-unit scale and every
    width and descriptor metric is scaled to 1000 units.
    """

    def __init__(self, *args, program_digest: bytes | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._program_digest = program_digest  # the font's, for _SUBSETS; None: nothing kept
        upm = self.units_per_em
        self._upm_factor = 1000.0 / upm
        if upm != 1000:
            self.hb_font.scale = (1000, 1000)
            self.units_per_em = 1000
            fd = self.cidfont_obj._font_descriptor
            for key in ("/Ascent", "/Descent", "/CapHeight"):
                if key in fd:
                    fd[pdf_name(key)] = generic.NumberObject(round(int(fd[key]) * self._upm_factor))
            if "/FontBBox" in fd:
                fd[pdf_name("/FontBBox")] = generic.ArrayObject(
                    generic.NumberObject(round(int(v) * self._upm_factor)) for v in fd["/FontBBox"]
                )

    def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
        try:
            return self._glyphs[glyph_id]
        except KeyError:
            pass
        cid, width = super()._get_cid_and_width(glyph_id)
        result = (cid, round(width * self._upm_factor))
        self._glyphs[glyph_id] = result
        return result

    # --- the embedded subset, cut once per glyph set ----------------------------------------

    def _extract_subset(self, options=None):
        """pyHanko cuts the font to the glyphs drawn and the subset is then compiled for the
        PDF; here the compiled program is kept by glyph set (``_SUBSETS``). TrueType only (the
        fonts Naskah finds); a CFF font takes pyHanko's own path."""
        if options is not None or self._program_digest is None \
                or not isinstance(self.cidfont_obj, CIDFontType2):
            return super()._extract_subset(options)
        from fontTools import subset

        cmap = self.tt.getBestCmap() or {}
        extra = {self.tt.getGlyphID(cmap[ord(c)]) for c in _ALWAYS_EMBEDDED if ord(c) in cmap}
        glyphs = frozenset(self._glyphs) | extra
        key = (self._program_digest, glyphs)
        program = _SUBSETS.get(key)
        if program is None:
            options = subset.Options(layout_closure=False)  # pyHanko's options for TrueType
            options.drop_tables += ["GPOS", "GDEF", "GSUB"]
            options.retain_gids = True  # the content streams name glyphs by their id in the font
            cutter = subset.Subsetter(options=options)
            cutter.populate(gids=sorted(glyphs))
            cutter.subset(self.tt)
            out = io.BytesIO()
            self.tt.save(out)
            program = out.getvalue()
            _SUBSETS.put(key, program)
        self._subset_program = program
        self.cidfont_obj.set_font_file = self._embed_program

    def _embed_program(self, writer: BasePdfFileWriter):
        """``CIDFontType2.set_font_file`` with the program ``_extract_subset`` kept."""
        stream = generic.StreamObject(stream_data=self._subset_program)
        stream.compress()
        ref = writer.add_object(stream)
        self.cidfont_obj._font_descriptor[pdf_name("/FontFile2")] = ref
        return ref


@functools.lru_cache(maxsize=8)
def _digest(program: bytes) -> bytes:
    return hashlib.sha256(program).digest()


class SharedFont(FontEngineFactory):
    """Font factory that gives one embedded subset per PDF writer.

    Create one per signing operation: the text fields and the stamp written in the same
    revision then share a single embedded font subset. ``texts``: every text the operation will
    draw with it (see :func:`stamp_font_bytes`); without them the whole font is loaded.
    """

    def __init__(self, path: Path, texts: Iterable[str] = ()) -> None:
        self.path = Path(path)
        self._program = stamp_font_bytes(str(self.path), texts)
        self._digest = _digest(self._program)
        self._engines: list[tuple[BasePdfFileWriter, GlyphAccumulator]] = []

    def create_font_engine(self, writer: BasePdfFileWriter, obj_stream=None) -> GlyphAccumulator:
        for w, eng in self._engines:
            if w is writer:
                return eng
        eng = ScaledGlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(self._program),
            font_size=10,
            obj_stream=obj_stream,
            program_digest=self._digest,
        )
        self._engines.append((writer, eng))
        return eng


def text_field_style(font: SharedFont, size: int) -> TextBoxStyle:
    """Style for a filled text field: one line, baseline where the letter's line has it."""
    ascent = font_ascent(str(font.path))
    bottom = max(1.0, (1.3 - ascent) * size)
    return TextBoxStyle(
        font=font,
        font_size=size,
        box_layout_rule=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MIN,
            margins=layout.Margins(left=0, right=0, top=0, bottom=bottom),
            inner_content_scaling=layout.InnerScaling.NO_SCALING,
        ),
    )


# --- text layout helpers ---------------------------------------------------------------


class TextWriter:
    """Draws lines of text with one GlyphAccumulator at varying sizes."""

    def __init__(self, engine: GlyphAccumulator) -> None:
        self.engine = engine

    def width(self, text: str, size: float) -> float:
        if not text:
            return 0.0
        self.engine.font_size = size
        return self.engine.shape(text, with_actual_text=False).x_advance * size

    def wrap(self, text: str, size: float, max_width: float) -> list[str]:
        words = text.split()
        if not words:
            return [""]
        lines: list[str] = []
        current = words[0]
        for w in words[1:]:
            trial = f"{current} {w}"
            if self.width(trial, size) <= max_width:
                current = trial
            else:
                lines.append(current)
                current = w
        lines.append(current)
        return lines

    def clip(self, text: str, size: float, max_width: float) -> str:
        if self.width(text, size) <= max_width:
            return text
        while text and self.width(text + "…", size) > max_width:
            text = text[:-1]
        return text.rstrip() + "…"

    def line(self, text: str, size: float, x: float, y: float) -> bytes:
        self.engine.font_size = size
        ops = self.engine.shape(text).graphics_ops
        return b"BT /F1 %g Tf 1 0 0 1 %g %g Tm %s ET" % (size, x, y, ops)


QR_BORDER = 1
"""Quiet zone in modules around the QR (the stamp's white space adds to it)."""


def qr_code(data: str):
    """The QR code the TTE stamp draws for ``data`` (error correction M, 1-module border).

    Tests rebuild it to compare a rendered stamp module by module. The symbol is qrcode's; its
    mask is chosen by :mod:`signatures.qr_mask` (qrcode's choice, found faster).
    """
    import qrcode

    from .qr_mask import StampQR

    qr = StampQR(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QR_BORDER)
    qr.add_data(data)
    qr.make(fit=True)
    return qr


def _qr_xobject(writer: BasePdfFileWriter, data: str):
    from pyhanko.pdf_utils.qr import PdfStreamQRImage

    qr = qr_code(data)
    img = qr.make_image(image_factory=PdfStreamQRImage)
    stream = img.render_command_stream()
    size = (qr.modules_count + 2 * qr.border) * qr.box_size
    xobj = init_xobject_dictionary(stream, size, size)
    xobj.compress()
    return writer.add_object(xobj), size


# --- TTE stamp ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TteStampStyle(BaseStampStyle):
    """QR code on the left; signer block and footer wording on the right."""

    font: SharedFont | None = None
    url: str = ""
    heading: str = "Ditandatangani secara elektronik oleh:"
    jabatan: str = ""
    name: str = ""
    nip: str = ""
    footer: str = ""
    border_width: int = 0
    max_size: float = 8.0
    footer_ratio: float = 0.72

    def create_stamp(self, writer, box: layout.BoxConstraints, text_params: dict) -> BaseStamp:
        return _TteStamp(writer, self, box)


class _TteStamp(BaseStamp):
    style: TteStampStyle

    def _render_inner_content(self):
        st = self.style
        assert st.font is not None
        w, h = self.box.width, self.box.height
        pad = 3.0
        eng = st.font.create_font_engine(self.writer)
        tw = TextWriter(eng)
        self.set_resource(ResourceType.FONT, pdf_name("/F1"), eng.as_resource())
        cmds: list[bytes] = []

        qr_size = max(10.0, min(h - 2 * pad, w * 0.4))
        qr_ref, natural = _qr_xobject(self.writer, st.url)
        self.set_resource(ResourceType.XOBJECT, pdf_name("/QR"), qr_ref)
        scale = qr_size / natural
        qr_y = (h - qr_size) / 2
        cmds.append(b"q %g 0 0 %g %g %g cm /QR Do Q" % (scale, scale, pad, qr_y))

        x0 = pad + qr_size + 5
        avail_w = max(20.0, w - x0 - pad)
        avail_h = h - 2 * pad
        size = st.max_size
        while True:
            fsize = size * st.footer_ratio
            main = tw.wrap(st.heading, size, avail_w)
            main += tw.wrap(st.jabatan, size, avail_w) if st.jabatan else []
            main += tw.wrap(st.name, size, avail_w)
            if st.nip:
                main += [tw.clip(f"NIP. {st.nip}", size, avail_w)]
            foot = tw.wrap(st.footer, fsize, avail_w) if st.footer else []
            lead, flead = size * 1.18, fsize * 1.18
            total = len(main) * lead + (len(foot) * flead + fsize * 0.6 if foot else 0)
            if total <= avail_h or size <= 4.0:
                break
            size = max(4.0, size * 0.92)

        y = h - pad - (avail_h - total) / 2  # vertically centred block
        cmds.append(b"0 g")
        for line in main:
            y -= lead
            cmds.append(tw.line(line, size, x0, y + (lead - size) * 0.6))
        if foot:
            y -= fsize * 0.6
            cmds.append(b"0.25 g")
            for line in foot:
                y -= flead
                cmds.append(tw.line(line, fsize, x0, y + (flead - fsize) * 0.6))
        return [b"q"] + cmds + [b"Q"]


# --- visible paraf -------------------------------------------------------------------------

_WIB_ZONES = {7: "WIB", 8: "WITA", 9: "WIT"}


def format_when(when: datetime) -> str:
    """21-11-2026 14.05 WIB (zone name for Indonesian offsets, else +hh:mm)."""
    text = when.strftime("%d-%m-%Y %H.%M")
    off = when.utcoffset()
    if off is not None:
        hours = off / timedelta(hours=1)
        if hours in _WIB_ZONES:
            text += f" {_WIB_ZONES[int(hours)]}"
        else:
            text += " " + when.strftime("%z")
    return text


# A paraf table: one row per paraf, stacked under the ``naskah_paraf`` anchor. Each row is the
# paraf's own signature field (it locks itself), so a row appears when its paraf is made.
PARAF_ROW_HEIGHT = 24.0
PARAF_TABLE_MAX_WIDTH = 230.0
PARAF_TABLE_MIN_WIDTH = 120.0
PARAF_LINE = 0.5
"""Stroke width of the table lines; rows overlap by it so that neighbours share one line."""


def paraf_table_boxes(
    rows: int, *, left: float, top: float, right: float
) -> list[tuple[float, float, float, float]]:
    """``(left, top, width, height)`` of each paraf row, first paraf on top.

    ``right`` is where the table must stop (the TTE stamp's left edge less a gap, or the
    page's right margin); the table is at most ``PARAF_TABLE_MAX_WIDTH`` wide.
    """
    width = max(PARAF_TABLE_MIN_WIDTH, min(PARAF_TABLE_MAX_WIDTH, right - left))
    step = PARAF_ROW_HEIGHT - PARAF_LINE
    return [(left, top - i * step, width, PARAF_ROW_HEIGHT) for i in range(rows)]


def initials(name: str) -> str:
    """'Hendra Gunawan, S.T.' -> 'H.G.': the name before its degrees, titles (Ir., Dr.) left out."""
    words = [w for w in name.split(",")[0].split() if not w.endswith(".") and w[:1].isalpha()]
    return "".join(f"{w[0].upper()}." for w in words) or name[:3]


@dataclass(frozen=True)
class ParafStampStyle(BaseStampStyle):
    """A visible paraf: a table row (wide box) or a small box (narrow box), by the field's shape."""

    font: SharedFont | None = None
    jabatan: str = ""
    name: str = ""
    when: str = ""
    border_width: int = 0  # drawn by the stamp itself, inside the box (see PARAF_LINE)
    line_color: tuple = (0.35, 0.35, 0.35)
    max_size: float = 7.0
    min_size: float = 4.5

    def create_stamp(self, writer, box: layout.BoxConstraints, text_params: dict) -> BaseStamp:
        return _ParafStamp(writer, self, box)


class _ParafStamp(BaseStamp):
    style: ParafStampStyle

    def _render_inner_content(self):
        st = self.style
        assert st.font is not None
        w, h = self.box.width, self.box.height
        eng = st.font.create_font_engine(self.writer)
        tw = TextWriter(eng)
        self.set_resource(ResourceType.FONT, pdf_name("/F1"), eng.as_resource())
        half = PARAF_LINE / 2
        cmds = [b"q %g %g %g RG %g w %g %g %g %g re S" % (*st.line_color, PARAF_LINE, half, half, w - PARAF_LINE, h - PARAF_LINE)]
        if w >= 3 * h:
            cmds += self._row(tw, w, h)
        else:
            cmds += self._box(tw, w, h)
        cmds.append(b"Q")
        return cmds

    def _name(self, tw: TextWriter, size: float, width: float) -> str:
        name = self.style.name
        return name if tw.width(name, size) <= width else tw.clip(initials(name), size, width)

    def _row(self, tw: TextWriter, w: float, h: float) -> list[bytes]:
        """| jabatan (wrapped, shrunk until it fits) | name (or initials) over "Paraf <date-time>" |."""
        st = self.style
        pad = 2.5
        split = round(w * 0.52, 2)
        left_w, right_w = split - 2 * pad, w - split - 2 * pad
        size = st.max_size
        while True:
            room = max(1, int((h - 2 * pad) // (size * 1.15)))
            jab = tw.wrap(st.jabatan, size, left_w)
            if len(jab) <= room or size <= st.min_size:
                break
            size = max(st.min_size, size - 0.25)
        if len(jab) > room:
            jab = jab[: room - 1] + [" ".join(jab[room - 1:])]
        left = [(tw.clip(x, size, left_w), size, 0.0) for x in jab]
        rsize = max(st.min_size, min(st.max_size, (h - 2 * pad) / (1.9 * 1.15)))
        right = [(self._name(tw, rsize, right_w), rsize, 0.0),
                 (tw.clip(f"Paraf {st.when}", rsize * 0.9, right_w), rsize * 0.9, 0.3)]
        return ([b"%g 0 m %g %g l S" % (split, split, h)]
                + _column(tw, left, pad, h) + _column(tw, right, split + pad, h))

    def _box(self, tw: TextWriter, w: float, h: float) -> list[bytes]:
        """Paraf / jabatan (up to two lines) / name / date-time; one size for every box this tall."""
        st = self.style
        pad = 3.0
        avail = w - 2 * pad
        size = max(st.min_size, min(st.max_size, (h - 2 * pad) / 5 / 1.15))
        jab = tw.wrap(st.jabatan, size, avail)
        if len(jab) > 2:
            jab = [jab[0], " ".join(jab[1:])]
        lines = [("Paraf", size, 0.3), *((tw.clip(x, size, avail), size, 0.0) for x in jab),
                 (self._name(tw, size, avail), size, 0.0), (tw.clip(st.when, size, avail), size, 0.3)]
        return _column(tw, lines, pad, h)


def _column(tw: TextWriter, lines: list[tuple[str, float, float]], x: float, h: float) -> list[bytes]:
    """(text, size, grey) lines centred vertically in a box ``h`` tall, starting at ``x``."""
    total = sum(size * 1.15 for _, size, _ in lines)
    y = h - max(0.0, (h - total) / 2)
    out = []
    for text, size, grey in lines:
        lead = size * 1.15
        y -= lead
        if text:
            out.append(b"%g g " % grey + tw.line(text, size, x, y + (lead - size) * 0.6))
    return out


def tte_style(font: SharedFont, signatory: Signatory, settings: StampSettings, url: str) -> TteStampStyle:
    return TteStampStyle(
        font=font, url=url, jabatan=signatory.jabatan, name=signatory.name,
        nip=signatory.nip, footer=settings.footer,
    )


def paraf_style(font: SharedFont, signatory: Signatory, when: datetime) -> ParafStampStyle:
    return ParafStampStyle(
        font=font, jabatan=signatory.jabatan, name=signatory.name, when=format_when(when)
    )


__all__ = [
    "DEFAULT_FOOTER",
    "FontNotFound",
    "ParafStampStyle",
    "SharedFont",
    "StampSettings",
    "TteStampStyle",
    "find_font",
    "format_when",
    "initials",
    "paraf_table_boxes",
    "qr_code",
    "paraf_style",
    "text_field_style",
    "tte_style",
]
