"""Remove personal data (UU 27/2022) from text that is to be published.

Pure: text in, text out. What is removed, and what replaces it:

| what | how it is found | replaced by |
|---|---|---|
| names recorded on the case (the complainant, people named in the case's documents) | whole name, any case; each part of it (3+ letters, capitalised or in capitals) | ``[nama]`` |
| other names | an honorific (Bapak, Pak, Ibu, Bu, Sdr., Sdri., Sdr./Sdri., Saudara/i, Tn., Ny., Nn., Mas, Mbak, ...) or "nama saya", "saya bernama", "atas nama", "a.n.", "Nama:" followed by capitalised words; not when the first word is a title of office (Kepala, Bupati, Camat, ...) | ``[nama]`` |
| NIK, KK, NPWP, NIP | 15 to 18 digits, optionally grouped by spaces, dots or dashes | ``[NIK]`` |
| telephone numbers | +62 / 62 / 0 followed by 8-13 more digits, grouped by spaces, dashes, dots or brackets | ``[nomor telepon]`` |
| email addresses | local@domain.tld | ``[alamat email]`` |
| street addresses | Jl./Jln./Jalan/Gg./Gang/Komplek/Perumahan/Blok, Kel./Kelurahan/Kec./Kecamatan/Desa/Dusun/Kampung/Jorong/Nagari followed by capitalised words or numbers; RT/RW numbers; "No. 12" next to one of these; the recorded address of the complainant | ``[alamat]`` (a run of parts becomes one) |

Values the office publishes itself (its phone number, email address) can be kept with ``keep``.
The rules prefer removing too much over too little: "Jalan Rusak" written as a title is
treated as an address. They cannot find a bare name without an honorific that is not recorded
on the case; such a text must be reviewed by a person (see docs/reports.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

NAME, ID, PHONE, EMAIL, ADDRESS = "[nama]", "[NIK]", "[nomor telepon]", "[alamat email]", "[alamat]"
_PRIORITY = {EMAIL: 5, ID: 4, PHONE: 3, ADDRESS: 2, NAME: 1}

_UP = "A-ZÀ-ÖØ-Þ"
_LOW = "a-zß-öø-ÿ"
# A word of a name: Capitalised, ALL CAPS, or an initial ("A.").
_NAME_WORD = rf"(?:[{_UP}][{_LOW}'’\-]+|[{_UP}]{{2,}}(?![{_LOW}])|[{_UP}]\.)"
_PREFIX_TITLE = r"(?:(?:Dr|Drs|Dra|Ir|Prof|H|Hj|KH|dr)\.\s*)"
_DEGREES = r"(?:,[ \t]*[A-Z][A-Za-z]{0,3}\.(?:[ \t]?[A-Z][A-Za-z]{0,3}\.)*)*"
_NAME_SEQ = rf"{_PREFIX_TITLE}*{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,3}}"

_HONORIFIC = (r"(?i:bapak|bpk\.?|pak|ibu|bu|saudara|saudari|sdri?\.?(?:\s?/\s?(?:sdri?\.?|i\.?))?|tuan|tn\.|"
              r"nyonya|ny\.|nona|nn\.|mas|mbak|kak|bang|adik)")
_HONORIFIC_NAME = re.compile(rf"(?<![\w.])(?:{_HONORIFIC})\s+(?P<name>{_NAME_SEQ}{_DEGREES})")
_SELF_NAMED = re.compile(
    rf"(?i:nama\s+saya|saya\s+bernama|bernama|atas\s+nama|a\.\s?n\.|nama(?:\s+(?:lengkap|pengadu|pelapor|pemohon))?\s*:)"
    rf"\s*:?\s*(?P<name>{_NAME_SEQ}{_DEGREES})")
# A title of office after an honorific is not a name: "Bapak Kepala Dinas", "Ibu Kota".
_NOT_NAMES = {
    "kepala", "kadis", "kabid", "kasi", "kasubag", "bupati", "wali", "walikota", "wakil", "gubernur", "camat",
    "lurah", "kades", "sekretaris", "sekda", "ketua", "direktur", "menteri", "presiden", "kota", "pertiwi",
    "negara", "pimpinan", "petugas", "pejabat", "dinas", "rt", "rw", "guru", "dokter", "kapolres", "kapolsek",
    "bidang", "tim", "staf", "pengadu", "pelapor", "pemohon", "anggota", "komandan",
}
_TITLES = {"dr", "drs", "dra", "ir", "prof", "h", "hj", "kh", "st", "sh", "se", "mh", "msi", "mm", "amd", "skom",
           "spd", "sip", "mt", "mpd", "ssos", "bapak", "ibu", "sdr", "sdri", "pak", "bu"}

_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_ID_NUMBER = re.compile(r"(?<![\d])(?:\d[ .\-]?){14,17}\d(?![\d])")
_PHONE = re.compile(r"(?<![\w/])(?:\+\s?62|\(?\+?62\)?|\(?0)[\d \t.\-()]{7,22}\d(?![\d])")

_PLACE_WORD = rf"(?:Km\.?\s?\d+(?:[.,]\d+)?|[{_UP}][{_LOW}]{{0,2}}\.|[{_UP}][\w'’\-]*|\d+[A-Za-z]?)"
_PLACE = rf"{_PLACE_WORD}(?:[ \t]+{_PLACE_WORD}){{0,6}}"
_STREET = re.compile(rf"\b(?:(?i:jl|jln)\b\.?|Jalan\b|Gg\b\.?|Gang\b|Lorong\b|Lr\b\.?|Komp\b\.?|Kompl\b\.?|"
                     rf"Komplek\b|Kompleks\b|Perum\b\.?|Perumahan\b|Blok\b)[ \t]*{_PLACE}")
_AREA = re.compile(rf"\b(?:Kel\b\.?|Kelurahan\b|Kec\b\.?|Kecamatan\b|Desa\b|Ds\b\.?|Dusun\b|Dsn\b\.?|Kampung\b|"
                   rf"Kp\b\.?|Jorong\b|Nagari\b|Gampong\b)[ \t]*{_PLACE}")
_RT_RW = re.compile(r"\b(?:RT|Rt)\b\.?\s*(?:/\s*RW\.?\s*)?\d{1,3}(?:\s*[/,]?\s*(?:(?:RW|Rw)\b\.?\s*)?\d{1,3})?"
                    r"|\b(?:RW|Rw)\b\.?\s*\d{1,3}")
_HOUSE_NUMBER = re.compile(r"\b(?i:no(?:mor)?)\b\.?[ \t]*\d+[A-Za-z]?(?:[ \t]*/[ \t]*\d+)?")
_ADDRESS_GAP = re.compile(r"^[\s,]*$")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str


def _flexible(literal: str) -> str:
    """A literal as a regex that allows any run of whitespace between its words."""
    return r"\s+".join(re.escape(part) for part in literal.split())


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def person_name(raw: str) -> str:
    """A recorded name without titles and degrees: "Drs. Hendri Syaputra, M.Si." -> "Hendri Syaputra"."""
    head = raw.split(",")[0]
    words = [w for w in head.split() if re.sub(r"[.\s]", "", w).lower() not in _TITLES]
    return " ".join(words)


@dataclass(frozen=True)
class Redactor:
    """Redacts one case's texts; ``names`` and ``addresses`` are what the case records."""

    names: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    literals: tuple[str, ...] = ()  # other recorded personal values: NIK, phone, email
    keep: tuple[str, ...] = ()      # the office's own public contacts

    @classmethod
    def for_case(cls, *, names: Iterable[str] = (), addresses: Iterable[str] = (), literals: Iterable[str] = (),
                 keep: Iterable[str] = ()) -> "Redactor":
        clean_names = tuple(sorted({person_name(n) for n in names if person_name(n)}, key=len, reverse=True))
        return cls(clean_names, tuple(a.strip() for a in addresses if a and a.strip()),
                   tuple(v.strip() for v in literals if v and v.strip()), tuple(k for k in keep if k))

    def __call__(self, text: str) -> str:
        return redact(text, self)

    # -- detectors -----------------------------------------------------------------------
    def spans(self, text: str) -> list[Span]:
        found: list[Span] = []
        kept_digits = {_digits(k) for k in self.keep if len(_digits(k)) >= 6}
        kept_lower = {k.strip().lower() for k in self.keep}

        for m in _EMAIL.finditer(text):
            if m.group().lower() not in kept_lower:
                found.append(Span(m.start(), m.end(), EMAIL))
        for m in _ID_NUMBER.finditer(text):
            found.append(Span(m.start(), m.end(), ID))
        for m in _PHONE.finditer(text):
            digits = _digits(m.group())
            if 9 <= len(digits) <= 15 and digits not in kept_digits and not digits.startswith("00"):
                found.append(Span(m.start(), m.end(), PHONE))
        for literal in self.literals:
            digits = _digits(literal)
            if len(digits) >= 6 and "@" not in literal:
                pattern = r"[\s.\-()]*".join(digits)
                for m in re.finditer(rf"(?<!\d){pattern}(?!\d)", text):
                    found.append(Span(m.start(), m.end(), ID if len(digits) >= 15 else PHONE))
            else:
                for m in re.finditer(_flexible(literal), text, re.IGNORECASE):
                    found.append(Span(m.start(), m.end(), EMAIL if "@" in literal else NAME))
        found += self._addresses(text)
        found += self._names(text)
        return found

    def _addresses(self, text: str) -> list[Span]:
        spans = [Span(m.start(), m.end(), ADDRESS) for rx in (_STREET, _AREA, _RT_RW) for m in rx.finditer(text)]
        for address in self.addresses:
            for m in re.finditer(_flexible(address), text, re.IGNORECASE):
                spans.append(Span(m.start(), m.end(), ADDRESS))
            for part in address.split(","):
                part = part.strip()
                if len(part) >= 4 and (re.search(r"\d", part) or _STREET.search(part) or _AREA.search(part)):
                    for m in re.finditer(rf"(?<!\w){_flexible(part)}(?!\w)", text, re.IGNORECASE):
                        spans.append(Span(m.start(), m.end(), ADDRESS))
        # "No. 12" is an address only next to another part of one (not "UU No. 25 Tahun 2009").
        for m in _HOUSE_NUMBER.finditer(text):
            if any((s.end <= m.start() and _ADDRESS_GAP.match(text[s.end:m.start()]))
                   or (s.start >= m.end() and _ADDRESS_GAP.match(text[m.end():s.start])) for s in spans):
                spans.append(Span(m.start(), m.end(), ADDRESS))
        return spans

    def _names(self, text: str) -> list[Span]:
        spans: list[Span] = []
        for name in self.names:
            for m in re.finditer(rf"(?<!\w){_flexible(name)}(?!\w)", text, re.IGNORECASE):
                spans.append(Span(m.start(), m.end(), NAME))
            for word in name.split():
                bare = word.strip(".,'’")
                if len(bare) < 3 or bare.lower() in _TITLES or bare.lower() in _NOT_NAMES:
                    continue
                forms = {bare, bare[:1].upper() + bare[1:].lower(), bare.upper()}
                alternatives = "|".join(re.escape(f) for f in sorted(forms))
                for m in re.finditer(rf"(?<!\w)(?:{alternatives})(?!\w)", text):
                    spans.append(Span(m.start(), m.end(), NAME))
        for rx in (_HONORIFIC_NAME, _SELF_NAMED):
            for m in rx.finditer(text):
                first = re.sub(r"[^\w]", "", m.group("name").split()[0]).lower()
                if first in _NOT_NAMES:
                    continue
                spans.append(Span(m.start("name"), m.end("name"), NAME))
        return spans


def _merge(spans: list[Span], text: str) -> list[Span]:
    """Overlapping spans become one (the longer one's label); touching address parts become one."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            label = last.label if (last.end - last.start, _PRIORITY[last.label]) >= (span.end - span.start, _PRIORITY[span.label]) else span.label
            merged[-1] = Span(last.start, max(last.end, span.end), label)
            continue
        if merged and merged[-1].label == span.label and span.label in (ADDRESS, NAME) \
                and _ADDRESS_GAP.match(text[merged[-1].end:span.start]) \
                and (span.label == ADDRESS or not text[merged[-1].end:span.start].strip()):
            merged[-1] = Span(merged[-1].start, span.end, span.label)
            continue
        merged.append(span)
    return merged


def redact(text: str, redactor: Redactor | None = None) -> str:
    """``text`` with every personal datum found replaced by its label."""
    if not text:
        return text
    spans = _merge((redactor or Redactor()).spans(text), text)
    out, pos = [], 0
    for span in spans:
        out.append(text[pos:span.start])
        out.append(span.label)
        pos = span.end
    out.append(text[pos:])
    return "".join(out)
