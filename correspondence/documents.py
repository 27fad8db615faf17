"""Render a DOCX template (docxtpl + Jinja) into the bytes of a finished document.

Everything in the context is treated as *text*: whatever a complainant typed (``{{ x }}``,
``<w:p>``, ``&``, ``]]>``, control characters) appears literally in the document and can neither
run template code nor inject WordprocessingML. The template vocabulary is in
``docs/templates.md``.

Three layers of defence, because docxtpl post-processes the rendered XML as a string:

* Jinja autoescape, with a ``finalize`` hook that escapes every printed value itself: ``& < > " '``
  become entities and ``{ } %`` become numeric character references, so docxtpl's post-render
  rewrites (``{_{`` -> ``{{``, tab and newline expansion) never see user text;
* characters that XML 1.0 forbids (C0 controls, lone surrogates, U+FFFE/FFFF) and the DEL/C1
  controls are removed; in plain fields a newline or tab becomes a space, only ``|paragraf`` keeps
  line breaks;
* an undefined variable fails (``TemplateError`` naming the template and the variable), so a typo
  in a template is caught when the secretariat first renders it, not by a reader of the letter.
"""
from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import jinja2
from docx.image.exceptions import UnrecognizedImageError
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from markupsafe import Markup

from . import dates
from .errors import TemplateError
from .letterhead import print_ready_logo
from .template_trim import trim_template

__all__ = ["TEMPLATE_FILES", "render_docx", "make_environment", "Paragraf", "clean_text"]

# Document key (as used in SOP files, ``documents:``) -> template file in letter_templates/.
TEMPLATE_FILES: dict[str, str] = {
    "tanda_terima": "tanda_terima.docx",
    "telaahan_staf": "telaahan_staf.docx",
    "lembar_disposisi": "lembar_disposisi.docx",
    "surat_tugas": "surat_tugas.docx",
    "bap": "bap.docx",
    "surat_jawaban": "surat_jawaban.docx",
}

LOGO_HEIGHT = Mm(20)

CHECKED = "\u2611"  # ☑
UNCHECKED = "\u2610"  # ☐

# XML 1.0 forbids C0 controls other than tab, LF, CR; surrogates; U+FFFE and U+FFFF. DEL and the C1
# controls are allowed but mean nothing in a letter (LibreOffice draws them as empty boxes): dropped too.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85]")
# Numeric references for characters docxtpl's post-processing would act on.
_XML_ESCAPES = {
    ord("&"): "&amp;",
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    ord('"'): "&#34;",
    ord("'"): "&#39;",
    ord("{"): "&#123;",
    ord("}"): "&#125;",
    ord("%"): "&#37;",
    ord("#"): "&#35;",
}


def clean_text(value: str) -> str:
    """Remove what XML 1.0 cannot carry; normalise line ends to ``\\n``."""
    return _ILLEGAL_XML.sub("", _NEWLINES.sub("\n", value))


def _escape(text: str) -> str:
    return text.translate(_XML_ESCAPES)


def _escape_line(text: str) -> Markup:
    """Escaped text for a single-line field: newlines and tabs become spaces."""
    text = clean_text(text).replace("\n", " ").replace("\t", " ")
    return Markup(_escape(text))


class Paragraf:
    """Multi-line text that keeps its line breaks, still escaped.

    Each line becomes a paragraph with the paragraph style of the template's paragraph (so a
    justified, indented body stays justified and indented; a soft line break would stretch the
    line before it in justified text); blank lines only separate paragraphs. docxtpl expands
    ``\\a`` after rendering (``resolve_listing``); user text cannot carry one (see ``clean_text``).
    """

    def __init__(self, text: Any) -> None:
        text = clean_text(_plain(text)).replace("\t", " ")
        lines = [line.rstrip() for line in text.split("\n")]
        self.xml = "\a".join(_escape(line) for line in lines if line.strip())

    def __html__(self) -> str:
        return self.xml

    def __str__(self) -> str:
        return self.xml


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{dates.tanggal(value)} {dates.jam(value)}"
    if isinstance(value, date):
        return dates.tanggal(value)
    return str(value)


# Markup made by Jinja itself (``"Sdr. " ~ name``, ``|join``, ``|replace`` escape their parts with
# markupsafe, which leaves control characters and braces alone). BEL stays: it is the paragraph
# separator of an escaped Paragraf (markupsafe keeps ``__html__`` output as is).
_ILLEGAL_IN_MARKUP = re.compile("[\x00-\x06\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _clean_markup(value: Markup) -> Markup:
    text = _ILLEGAL_IN_MARKUP.sub("", str(value))
    return Markup(text.replace("{", "&#123;").replace("}", "&#125;"))


def _finalize(value: Any) -> Any:
    """Every ``{{ ... }}`` goes through here before it is written into the XML."""
    if isinstance(value, Markup):
        return _clean_markup(value)
    if isinstance(value, (Paragraf, InlineImage)):
        return value
    if isinstance(value, jinja2.Undefined):
        return value  # StrictUndefined raises when printed
    return _escape_line(_plain(value))


# ---- filters ---------------------------------------------------------------------------------

def _date_filter(func):
    def apply(value: Any) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str):  # already written out by the caller
            return value
        return func(value)

    apply.__name__ = func.__name__
    return apply


def _terbilang(value: Any) -> str:
    if value is None or value == "":
        return ""
    return dates.terbilang(value)


def _waktu(value: Any) -> str:
    """A date as "Sabtu, 21 November 2026"; text is kept as the caller wrote it."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return f"{dates.hari(value)}, {dates.tanggal(value)} pukul {dates.jam(value)}"
    if isinstance(value, date):
        return f"{dates.hari(value)}, {dates.tanggal(value)}"
    return str(value)


def _centang(value: Any, label: str) -> str:
    """☑ if ``value`` (a label or a list of labels) contains ``label``, else ☐ (case-insensitive)."""
    def norm(x: Any) -> str:
        return " ".join(str(x).split()).casefold()

    if value is None:
        chosen: set[str] = set()
    elif isinstance(value, str):
        chosen = {norm(value)}
    else:
        chosen = {norm(v) for v in value}
    return CHECKED if norm(label) in chosen else UNCHECKED


def _paragraf(value: Any) -> Paragraf:
    return Paragraf(value)


FILTERS = {
    "tanggal": _date_filter(dates.tanggal),
    "hari": _date_filter(dates.hari),
    "tanggal_terbilang": _date_filter(dates.tanggal_terbilang),
    "tanggal_angka": _date_filter(dates.tanggal_angka),
    "jam": _date_filter(dates.jam),
    "terbilang": _terbilang,
    "waktu": _waktu,
    "centang": _centang,
    "paragraf": _paragraf,
}


class _Undefined(jinja2.StrictUndefined):
    """Fails on any use (print, test, loop) with the variable's name in the message."""

    __slots__ = ()


class _Kept:
    """A small thread-safe LRU of values computed from a text: ``get(key, make)`` gives the kept
    value or makes, keeps and gives it. A ``make`` that raises keeps nothing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def get(self, key: str, make: Callable[[], Any]) -> Any:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
                return value
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value


class _TemplateEnvironment(jinja2.Environment):
    """docxtpl compiles every XML part of a template with ``from_string`` on each render, about
    half of a letter's rendering time; a template's parts are the same source every time, so here
    each source is compiled once (a small LRU keyed by the source text). A source that does not
    compile is not kept: the error comes again on the next render."""

    CACHED_SOURCES = 64

    def __init__(self) -> None:
        super().__init__(autoescape=True, undefined=_Undefined, finalize=_finalize)
        self.filters.update(FILTERS)
        self._compiled = _Kept(self.CACHED_SOURCES)

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> jinja2.Template:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        return self._compiled.get(source, lambda: super(_TemplateEnvironment, self).from_string(source))


class _Template(DocxTemplate):
    """docxtpl's template whose XML clean-up is done once per part: ``patch_xml`` (about 40
    regular-expression passes that mend tags Word split) gives the same text for the same part,
    and a template's parts are the same on every render. A small LRU keyed by the part's text."""

    _patched = _Kept(64)

    def patch_xml(self, src_xml: str) -> str:
        return self._patched.get(src_xml, lambda: super(_Template, self).patch_xml(src_xml))


def make_environment() -> jinja2.Environment:
    """The Jinja environment for DOCX templates (autoescape, strict undefined, our filters)."""
    return _TemplateEnvironment()


_ENVIRONMENT = make_environment()  # shared by every render: its compiled templates are reused


# ---- rendering -------------------------------------------------------------------------------

def _template_source(template: Path) -> bytes:
    """The bytes to render ``template`` from: trimmed (:mod:`.template_trim`) when python-docx can
    read it; else as they are, and rendering says what is wrong with the file. OSError if unreadable."""
    data = template.read_bytes()
    try:
        return _trimmed(data)
    except Exception:
        return data


@functools.lru_cache(maxsize=32)
def _trimmed(template: bytes) -> bytes:
    """Each template is trimmed once, and again when its file changes (kept by its bytes)."""
    return trim_template(template)


class _OfficeView:
    """``office`` as the template sees it: the caller's object with ``logo`` as an image."""

    def __init__(self, office: Any, logo: Any) -> None:
        self._office = office
        self.logo = logo

    def __getattr__(self, name: str) -> Any:
        office = self._office
        if isinstance(office, Mapping):
            try:
                return office[name]
            except KeyError:
                raise AttributeError(name) from None
        return getattr(office, name)


def _logo(tpl: DocxTemplate, template: Path, office: Any) -> Any:
    if isinstance(office, Mapping):
        path = office.get("logo")
    else:
        path = getattr(office, "logo", None)
    if path in (None, ""):
        return ""
    path = Path(path)
    if not path.is_file():
        raise TemplateError(f"{template.name}: logo kantor (office.logo) tidak ditemukan: {path}")
    return InlineImage(tpl, BytesIO(print_ready_logo(path, LOGO_HEIGHT.mm)), height=LOGO_HEIGHT)


def _undefined_name(exc: jinja2.UndefinedError, source: str) -> str:
    """The dotted name of the missing variable, as far as the template source tells it."""
    message = exc.message or ""
    m = re.match(r"'([^']+)' is undefined", message)
    if m:
        return m.group(1)
    m = re.search(r"has no attribute '([^']+)'|no element '([^']+)'", message)
    if not m:
        return message
    attr = m.group(1) or m.group(2)
    found = re.findall(r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\.%s\b" % re.escape(attr), source)
    if found:
        return f"{found[0]}.{attr}"
    return attr


def _context_lines(exc: BaseException) -> str:
    lines = getattr(exc, "docx_context", None)
    if not lines:
        return ""
    text = " ".join(" ".join(lines).split())
    return f" (dekat teks: \u201c{text[:160]}\u201d)" if text else ""


def render_docx(
    template: Path,
    context: Mapping[str, Any],
    images: Mapping[str, bytes | None] | None = None,
    *,
    image_width_mm: float = 160,
) -> bytes:
    """Render ``template`` with ``context``; return the DOCX bytes.

    ``images`` (PNG bytes by name, e.g. charts) appear to the template as ``grafik.<name>``,
    ``image_width_mm`` wide; ``''`` where an image is None, so a template writes
    ``{%p if grafik.x %}``.

    Raises ``TemplateError`` (template missing or unreadable, a broken Jinja tag, a variable the
    context lacks, a missing logo file); the message names the template file and the fault.
    """
    template = Path(template)
    if not template.is_file():
        raise TemplateError(f"template tidak ditemukan: {template}")
    try:
        tpl = _Template(BytesIO(_template_source(template)))
        tpl.init_docx()
    except Exception as exc:  # python-docx raises assorted errors on a non-DOCX file
        raise TemplateError(f"{template.name}: bukan berkas DOCX yang dapat dibaca ({exc})") from None

    ctx = dict(context)
    if "office" in ctx:
        ctx["office"] = _OfficeView(ctx["office"], _logo(tpl, template, ctx["office"]))
    if images is not None:
        ctx["grafik"] = {
            name: InlineImage(tpl, BytesIO(png), width=Mm(image_width_mm)) if png else ""
            for name, png in images.items()
        }

    try:
        tpl.render(ctx, jinja_env=_ENVIRONMENT, autoescape=True)
        out = BytesIO()
        tpl.save(out)
    except jinja2.UndefinedError as exc:
        try:
            source = tpl.patch_xml(tpl.get_xml())
        except Exception:
            source = ""
        name = _undefined_name(exc, source)
        raise TemplateError(
            f"{template.name}: variabel '{name}' tidak ada dalam konteks ({exc.message}); "
            f"periksa ejaan di template atau lengkapi data"
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"{template.name}: tag template rusak: {exc.message}{_context_lines(exc)}"
        ) from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{template.name}: {exc}{_context_lines(exc)}") from None
    except UnrecognizedImageError:
        raise TemplateError(
            f"{template.name}: logo kantor (office.logo) bukan gambar yang dikenali (PNG/JPEG)"
        ) from None
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        # an expression in the template failed on the data (a date filter given a list, ...)
        raise TemplateError(
            f"{template.name}: ekspresi template gagal: {type(exc).__name__}: {exc}"
        ) from None
    return out.getvalue()
