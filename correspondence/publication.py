"""The public list of answered complaints (Pangkalpinang SOP step 12: "publikasi jawaban pengaduan").

Which complaints: those with a reply signed by TTE (the SOP's own step 12 delivers *and* publishes
it), and closed complaints whose record holds an answer written on a form (Kutai Kartanegara's
Kabid answer, Dharmasraya's settlement stated in the Pernyataan Puas/Tidak Puas). What is shown:
the nomor agenda, dates, channel, subject, complaint text and answer, every text passed through
:mod:`correspondence.redaction` with the names, numbers and addresses the case records. Who
complained is never shown, named or anonymous; nor the LAPOR! ticket, the addressee lines of the
reply, or any sender identifier.

The HTML page is self-contained (inline CSS, no script, no external asset, a Content-Security-Policy
that forbids loading anything) and every text is escaped by Jinja's autoescape. The PDF is the
``publikasi_jawaban.docx`` template converted to PDF/A by the warm converter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import jinja2

from . import dates
from .casestore import CaseEvent
from .complaint import Complaint
from .engine import CaseState
from .office import Office
from .redaction import Redactor

ANSWER_FIELDS = ("isi", "jawaban", "penyelesaian", "tindakan")
NAME_KEYS = ("name", "nama", "nama_lengkap")
TEMPLATE = "publikasi_jawaban.docx"


@dataclass(frozen=True)
class Answer:
    text: str
    answered: date
    nomor: str = ""


@dataclass(frozen=True)
class PublicEntry:
    """One answered complaint as the public may see it (every text already redacted)."""

    register: str
    received: date
    channel: str
    subject: str
    complaint: str
    answer: str
    answered: date
    nomor: str


@dataclass(frozen=True)
class Publication:
    office: Office
    year: int | None
    entries: tuple[PublicEntry, ...]
    made: datetime
    html: str
    docx: bytes
    pdf: bytes

    @property
    def basename(self) -> str:
        return f"publikasi-jawaban-{self.office.id}" + (f"-{self.year}" if self.year else "")


# ---- what the case records -------------------------------------------------------------------

def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key), item
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def recorded_names(history: Iterable[CaseEvent]) -> list[str]:
    """Every person's name written into the case's documents (parties, witnesses, addressees...)."""
    names = []
    for event in history:
        for key, value in _walk(event.data.get("content", {})):
            if key in NAME_KEYS and isinstance(value, str) and value.strip():
                names.append(value)
    return names


def _addressee_lines(history: Iterable[CaseEvent]) -> list[str]:
    lines: list[str] = []
    for event in history:
        letter = event.data.get("content", {}).get("letter", {})
        if isinstance(letter, dict):
            kepada = letter.get("kepada") or []
            lines += [str(k) for k in (kepada if isinstance(kepada, list) else [kepada])][1:]
    return lines


def case_redactor(complaint: Complaint, history: Iterable[CaseEvent], office: Office) -> Redactor:
    """The redactor of one case: its complainant, the names and addresses its documents record."""
    history = list(history)
    who = complaint.complainant
    names = ([] if who.anonymous else [who.name]) + recorded_names(history)
    addresses = ([who.address] if who.address else []) + _addressee_lines(history)
    contacts = office.contacts
    return Redactor.for_case(names=names, addresses=addresses, literals=[who.nik, who.phone, who.email],
                             keep=[contacts.phone, contacts.fax, contacts.email])


def _body_text(event: CaseEvent, fields: Iterable[str]) -> str:
    body = event.data.get("content", {}).get("body", {})
    if not isinstance(body, dict):
        return ""
    for name in fields:
        value = body.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def answer_of(history: list[CaseEvent], letters: Iterable[Any], state: CaseState) -> Answer | None:
    """The answer a complaint received, or None if it has none yet (see the module docstring)."""
    signed = [letter for letter in letters if letter.signed]
    if signed:
        letter = signed[-1]
        for event in reversed(history):
            if event.action in ("draft", "revise") and event.data.get("document") == letter.doc_key:
                text = _body_text(event, ("isi",))
                if text:
                    return Answer(text, date.fromisoformat(letter.tanggal[:10]), letter.nomor)
    if not state.closed:
        return None
    for event in reversed(history):
        text = _body_text(event, ANSWER_FIELDS)
        if text:
            return Answer(text, datetime.fromisoformat(history[-1].at).date())
    return None


def public_entry(complaint: Complaint, history: list[CaseEvent], answer: Answer, office: Office) -> PublicEntry:
    redact = case_redactor(complaint, history, office)
    return PublicEntry(
        register=complaint.register, received=complaint.received_at.date(), channel=complaint.channel_label,
        subject=redact(complaint.subject), complaint=redact(complaint.content), answer=redact(answer.text),
        answered=answer.answered, nomor=answer.nomor,
    )


# ---- rendering -------------------------------------------------------------------------------

def lines(text: str) -> list[str]:
    return [line.strip() for line in re.split(r"\r\n?|\n", text) if line.strip()]


def context(office_ctx: dict[str, Any], entries: Iterable[PublicEntry], year: int | None, made: datetime) -> dict[str, Any]:
    """What ``publikasi_jawaban.docx`` and the HTML page see."""
    return {
        "office": office_ctx,
        "tahun": year or "",
        "dibuat": made.date(),
        "entries": [
            {"register": e.register, "diterima": e.received, "saluran": e.channel, "hal": e.subject,
             "pengaduan": e.complaint, "jawaban": e.answer, "dijawab": e.answered, "nomor": e.nomor or "-"}
            for e in entries
        ],
    }


_HTML = """<!DOCTYPE html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Daftar Jawaban Pengaduan Masyarakat{% if tahun %} Tahun {{ tahun }}{% endif %} \u2014 {{ office.name }}</title>
<style>
body{font-family:"Liberation Sans",Arial,"DejaVu Sans",sans-serif;max-width:52rem;margin:0 auto;padding:1rem 1.25rem;color:#1a1a1a;line-height:1.5}
header{text-align:center;border-bottom:3px double #1a1a1a;padding-bottom:.5rem;margin-bottom:1.25rem}
header p{margin:.1rem 0}.gov,.office{font-weight:bold;text-transform:uppercase}.contact{font-size:.85rem}
h1{font-size:1.3rem;text-align:center;margin:.5rem 0}
article{border:1px solid #c8c8c8;border-radius:4px;padding:.75rem 1rem;margin:1rem 0;break-inside:avoid}
article h2{font-size:1.05rem;margin:0 0 .5rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .75rem;margin:0 0 .5rem;font-size:.9rem}
dt{color:#555}dd{margin:0}h3{font-size:.95rem;margin:.6rem 0 .2rem}
.note{font-size:.85rem;color:#444}footer{font-size:.8rem;color:#555;border-top:1px solid #c8c8c8;margin-top:1.5rem;padding-top:.5rem}
</style>
</head>
<body>
<header>
<p class="gov">{{ office.government }}</p>
<p class="office">{{ office.name }}</p>
<p class="contact">{{ office.address }}{% if office.phone %} \u00b7 Telepon {{ office.phone }}{% endif %}{% if office.email %} \u00b7 Pos-el {{ office.email }}{% endif %}{% if office.website %} \u00b7 {{ office.website }}{% endif %}</p>
</header>
<main>
<h1>Daftar Jawaban Pengaduan Masyarakat{% if tahun %} Tahun {{ tahun }}{% endif %}</h1>
<p class="note">Daftar ini memuat pengaduan masyarakat yang telah dijawab oleh {{ office.name_title }}, sebagai dokumentasi dan publikasi jawaban pengaduan. Identitas pengadu dan data pribadi lain (nama, NIK, nomor telepon, alamat email, alamat tempat tinggal) telah dihapus sesuai Undang-Undang Nomor 27 Tahun 2022 tentang Pelindungan Data Pribadi.</p>
{% for e in entries %}
<article id="aduan-{{ loop.index }}">
<h2>{{ loop.index }}. {{ e.hal }}</h2>
<dl>
<dt>Nomor register</dt><dd>{{ e.register }}</dd>
<dt>Diterima</dt><dd>{{ e.diterima|tanggal }} melalui {{ e.saluran }}</dd>
<dt>Dijawab</dt><dd>{{ e.dijawab|tanggal }}{% if e.nomor != "-" %}, surat nomor {{ e.nomor }}{% endif %}</dd>
</dl>
<h3>Pengaduan</h3>
{% for line in e.pengaduan|lines %}<p>{{ line }}</p>
{% endfor %}<h3>Jawaban</h3>
{% for line in e.jawaban|lines %}<p>{{ line }}</p>
{% endfor %}</article>
{% else %}
<p>Belum ada pengaduan yang telah dijawab{% if tahun %} pada tahun {{ tahun }}{% endif %}.</p>
{% endfor %}
</main>
<footer>Diterbitkan {{ dibuat|tanggal }} oleh {{ office.name_title }}. Jumlah pengaduan yang dijawab: {{ entries|length }}.</footer>
</body>
</html>
"""


def render_html(ctx: dict[str, Any]) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["tanggal"] = dates.tanggal
    env.filters["lines"] = lines
    return env.from_string(_HTML).render(ctx)


# ---- building (reads the case store and the archive; converts) -------------------------------

def build(naskah: Any, office: Office, *, year: int | None = None) -> Publication:
    """The publication of ``office``'s answered complaints (all, or those answered in ``year``)."""
    from .catalog import template_file
    from .documents import render_docx
    from .reports import office_view

    entries = []
    for complaint, state in naskah.cases.list():
        if complaint.office != office.id:
            continue
        history = naskah.cases.history(complaint.register)
        answer = answer_of(history, naskah.archive.letters_of(complaint.register), state)
        if answer is None or (year is not None and answer.answered.year != year):
            continue
        entries.append(public_entry(complaint, history, answer, office))
    entries.sort(key=lambda e: (e.answered, e.register), reverse=True)
    made = naskah.wall_time(office)
    ctx = context(office_view(office), entries, year, made)
    html = render_html(ctx)
    docx = render_docx(template_file(office, TEMPLATE), ctx)
    return Publication(office, year, tuple(entries), made, html, docx, naskah.converter.convert(docx))
