"""Reports on complaint handling: the yearly report to the Bupati/Wali Kota, the monthly recap,
and the IKM survey report. DOCX from a template with charts, then PDF/A by the warm converter.

Layers: :func:`gather` reads the case store and the deadlines (``deadlines.complaint_timing``) into
plain :class:`CaseFacts`; :func:`summarise` is pure arithmetic over them; :func:`report_context`
and :mod:`correspondence.charts` turn a :class:`Summary` into what the template shows;
``documents.render_docx`` renders it with the charts. Text of the documents is Bahasa Indonesia.

How a complaint is counted (the period is the date it was *received*):

* **channel**: the channel it came in by;
* **category or bidang**: a decision whose key names a kind (``jenis``, ``kategori``, ``bidang``:
  Kutai Kartanegara's ``jenis_aduan``), else the ``kategori`` written in its documents (Dharmasraya's
  TPP analysis), else "Belum dikategorikan";
* **status**: Selesai (finished or closed), Dalam proses, or Dalam proses, lewat batas waktu
  (open and already overdue: ``on_time`` is False);
* **time to resolution**: working days from receipt to finish (``working_days_taken``);
* **on time**: among finished complaints with a time limit, finished by the due time;
* **satisfaction**: the last Pernyataan Puas/Tidak Puas on the case (``body.pernyataan``), and the
  IKM of a survey when one is given.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date

from . import charts
from .documents import render_docx
from .errors import InvalidInput
from .ikm import ELEMENTS, GRADES, IkmResult, decimal_id

UNCATEGORISED = "Belum dikategorikan"
DONE, OPEN, LATE = "Selesai", "Dalam proses", "Dalam proses, lewat batas waktu"
ON_TIME, LATE_FINISH, NO_LIMIT = "Tepat waktu", "Terlambat", "Tanpa batas waktu"
PUAS, TIDAK_PUAS, NO_STATEMENT = "Puas", "Tidak Puas", "Belum ada pernyataan"
CATEGORY_KEYS = ("jenis", "kategori", "bidang")
# (label, lowest, highest) working days; None = no upper bound
DURATION_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0\u20131", 0, 1), ("2\u20133", 2, 3), ("4\u20135", 4, 5), ("6\u201310", 6, 10), ("11\u201314", 11, 14), ("> 14", 15, None),
)
CHART_WIDTH_MM = 160
TEMPLATES = {"yearly": "laporan_tahunan.docx", "monthly": "rekap_bulanan.docx", "ikm": "laporan_ikm.docx"}


# ---- period -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    kind: str  # "yearly" or "monthly"
    year: int
    month: int | None = None

    @classmethod
    def yearly(cls, year: int) -> "Period":
        if not 2000 <= year <= 2100:
            raise InvalidInput(f"year {year}: give a year such as 2026")
        return cls("yearly", year)

    @classmethod
    def monthly(cls, text: str) -> "Period":
        parts = text.strip().split("-")
        if len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4 or not 1 <= int(parts[1]) <= 12:
            raise InvalidInput(f"month '{text}': write it as YYYY-MM, e.g. 2026-11")
        return cls("monthly", cls.yearly(int(parts[0])).year, int(parts[1]))

    def contains(self, when: datetime | date) -> bool:
        return when.year == self.year and (self.month is None or when.month == self.month)

    @property
    def label(self) -> str:
        """"Tahun 2026" or "Bulan November 2026"."""
        if self.month is None:
            return f"Tahun {self.year}"
        return f"Bulan {format_date(date(self.year, self.month, 1), 'MMMM y', locale='id')}"

    @property
    def phrase(self) -> str:
        """The label inside a sentence: "tahun 2026", "bulan November 2026"."""
        return self.label[:1].lower() + self.label[1:]

    @property
    def slug(self) -> str:
        return str(self.year) if self.month is None else f"{self.year}-{self.month:02d}"


# ---- facts and summary (pure) -----------------------------------------------------------------

@dataclass(frozen=True)
class CaseFacts:
    """One complaint as a report counts it; ``subject`` is already redacted."""

    register: str
    received: datetime
    channel: str
    category: str
    subject: str
    closed: bool
    finished: datetime | None = None
    due: datetime | None = None
    on_time: bool | None = None
    working_days: int | None = None
    satisfaction: str | None = None

    @property
    def status(self) -> str:
        if self.done:
            return DONE
        return LATE if self.on_time is False else OPEN  # open with on_time False: already overdue

    @property
    def done(self) -> bool:
        return self.closed or self.finished is not None


@dataclass(frozen=True)
class Summary:
    period: Period
    now: datetime
    cases: tuple[CaseFacts, ...]
    ikm: IkmResult | None = None
    by_channel: tuple[tuple[str, int], ...] = ()
    by_category: tuple[tuple[str, int], ...] = ()
    by_status: tuple[tuple[str, int], ...] = ()
    by_month: tuple[tuple[str, int], ...] = ()
    durations: tuple[tuple[str, int], ...] = ()
    timeliness: tuple[tuple[str, int], ...] = ()
    satisfaction: tuple[tuple[str, int], ...] = ()
    mean_days: float | None = None
    median_days: float | None = None

    @property
    def total(self) -> int:
        return len(self.cases)

    def count(self, table: str, label: str) -> int:
        return dict(getattr(self, table)).get(label, 0)

    @property
    def on_time_share(self) -> float | None:
        """Share finished on time among finished complaints that had a time limit."""
        judged = self.count("timeliness", ON_TIME) + self.count("timeliness", LATE_FINISH)
        return self.count("timeliness", ON_TIME) / judged if judged else None

    @property
    def satisfied_share(self) -> float | None:
        stated = self.count("satisfaction", PUAS) + self.count("satisfaction", TIDAK_PUAS)
        return self.count("satisfaction", PUAS) / stated if stated else None


def _ranked(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _bucket(days: int) -> str:
    for label, low, high in DURATION_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return DURATION_BUCKETS[0][0]  # negative days cannot happen; count them in the first bucket


def summarise(cases: Iterable[CaseFacts], period: Period, now: datetime, ikm: IkmResult | None = None) -> Summary:
    cases = tuple(sorted(cases, key=lambda c: (c.received, c.register)))
    status = Counter(c.status for c in cases)
    done = [c for c in cases if c.done]
    days = [c.working_days for c in done if c.working_days is not None]
    timeliness = Counter(ON_TIME if c.on_time else LATE_FINISH if c.on_time is False else NO_LIMIT for c in done)
    durations = Counter(_bucket(d) for d in days)
    statements = Counter(c.satisfaction or NO_STATEMENT for c in cases)
    months: tuple[tuple[str, int], ...] = ()
    if period.month is None:
        per_month = Counter(c.received.month for c in cases)
        months = tuple((format_date(date(period.year, m, 1), "MMM", locale="id").rstrip("."), per_month.get(m, 0))
                       for m in range(1, 13))
    return Summary(
        period=period, now=now, cases=cases, ikm=ikm,
        by_channel=_ranked(Counter(c.channel for c in cases)),
        by_category=_ranked(Counter(c.category for c in cases)),
        by_status=tuple((label, status[label]) for label in (DONE, OPEN, LATE) if cases),
        by_month=months,
        durations=tuple((label, durations.get(label, 0)) for label, _, _ in DURATION_BUCKETS) if days else (),
        timeliness=tuple((label, timeliness[label]) for label in (ON_TIME, LATE_FINISH, NO_LIMIT) if timeliness[label]),
        satisfaction=tuple((label, statements[label]) for label in (PUAS, TIDAK_PUAS, NO_STATEMENT) if statements[label]),
        mean_days=statistics.fmean(days) if days else None,
        median_days=float(statistics.median(days)) if days else None,
    )


# ---- reading a case (pure over its records) ---------------------------------------------------

def _humanise(value: str) -> str:
    text = str(value).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def category_of(decisions: Mapping[str, str], history: Iterable[Any]) -> str:
    for key, value in decisions.items():
        if any(word in key for word in CATEGORY_KEYS) and value:
            return _humanise(value)
    for event in reversed(list(history)):
        body = event.data.get("content", {}).get("body", {})
        if isinstance(body, dict) and isinstance(body.get("kategori"), str) and body["kategori"].strip():
            return " ".join(body["kategori"].split())
    return UNCATEGORISED


def satisfaction_of(history: Iterable[Any]) -> str | None:
    """The last Pernyataan Puas/Tidak Puas on the case, if any."""
    for event in reversed(list(history)):
        body = event.data.get("content", {}).get("body", {})
        value = body.get("pernyataan") if isinstance(body, dict) else None
        if isinstance(value, str):
            said = " ".join(value.split()).casefold()
            if said == "puas":
                return PUAS
            if said == "tidak puas":
                return TIDAK_PUAS
    return None


# ---- gathering (reads the service's stores) ---------------------------------------------------

def gather(naskah: Any, office: Any, period: Period) -> list[CaseFacts]:
    """Every complaint of ``office`` received in ``period``, with its timing."""
    from .deadlines import complaint_timing  # the deadlines module owns due times and working days
    from .publication import case_redactor

    facts = []
    for complaint, state in naskah.cases.list():
        if complaint.office != office.id or not period.contains(complaint.received_at):
            continue
        history = naskah.cases.history(complaint.register)
        timing = complaint_timing(naskah, complaint.register)
        facts.append(CaseFacts(
            register=complaint.register, received=complaint.received_at, channel=complaint.channel_label,
            category=category_of(state.decisions, history),
            subject=case_redactor(complaint, history, office)(complaint.subject), closed=state.closed,
            finished=timing.finished, due=timing.due, on_time=timing.on_time, working_days=timing.working_days_taken,
            satisfaction=satisfaction_of(history),
        ))
    return facts


# ---- presentation -----------------------------------------------------------------------------

def persen(part: int | float, whole: int | float) -> str:
    return "-" if not whole else f"{part / whole * 100:.1f}%".replace(".", ",")


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:.1f} {unit}".replace(".", ",").strip()


def _rows(table: tuple[tuple[str, int], ...], total: int) -> list[dict[str, Any]]:
    return [{"label": label, "jumlah": n, "persen": persen(n, total)} for label, n in table]


def summary_charts(summary: Summary) -> dict[str, bytes | None]:
    def pairs(table: tuple[tuple[str, int], ...]) -> tuple[list[str], list[int]]:
        return [label for label, _ in table], [n for _, n in table]

    made: dict[str, bytes | None] = {
        "saluran": charts.horizontal_bars(*pairs(summary.by_channel), title="Pengaduan menurut saluran"),
        "kategori": charts.horizontal_bars(*pairs(summary.by_category), title="Pengaduan menurut kategori/bidang"),
        "status": charts.horizontal_bars(*pairs(summary.by_status), title="Pengaduan menurut status"),
        "bulan": charts.vertical_bars(*pairs(summary.by_month), title="Pengaduan diterima per bulan") if summary.by_month else None,
        "durasi": charts.vertical_bars(*pairs(summary.durations), title="Waktu penyelesaian", xlabel="Hari kerja"),
        "ketepatan": charts.shares(*pairs(summary.timeliness), title="Ketepatan waktu penyelesaian"),
        "kepuasan": charts.shares(*pairs(summary.satisfaction), title="Pernyataan kepuasan pengadu"),
        "ikm": ikm_chart(summary.ikm) if summary.ikm is not None else None,
    }
    return made


def ikm_chart(result: IkmResult) -> bytes | None:
    return charts.scores([f"U{i}. {name}" for i, name in enumerate(ELEMENTS, start=1)], [float(v) for v in result.nrr],
                         title="Nilai rata-rata per unsur pelayanan (NRR)")


def ikm_context(result: IkmResult) -> dict[str, Any]:
    return {
        "responden": result.respondents,
        "unsur": [{"no": i, "kode": f"U{i}", "nama": name, "nrr": decimal_id(v, 3), "tertimbang": decimal_id(w, 3)}
                  for i, (name, v, w) in enumerate(zip(ELEMENTS, result.nrr, result.weighted), start=1)],
        "indeks": decimal_id(result.index, 3),
        "nilai": decimal_id(result.ikm_published),
        "mutu": result.grade.letter,
        "kinerja": result.grade.kinerja,
        "konversi": [{"mutu": g.letter, "kinerja": g.kinerja, "dari": decimal_id(g.low), "sampai": decimal_id(g.high)}
                     for g in GRADES],
        "dikeluarkan": [{"baris": line, "alasan": "; ".join(p.teks() for p in problems)} for line, problems in result.left_out],
    }


_LOWER_WORDS = {"dan", "atau", "di", "ke", "dari", "untuk", "pada", "yang", "serta", "dengan", "bagi", "oleh"}


def judul(text: str) -> str:
    """Title case as Indonesian writes it: "DINAS ... DAN TENAGA KERJA" -> "Dinas ... dan Tenaga Kerja"."""
    words = text.split()
    return " ".join(w.lower() if i and w.lower() in _LOWER_WORDS else w[:1].upper() + w[1:].lower()
                    for i, w in enumerate(words))


def office_view(office: Any) -> dict[str, Any]:
    """The template's ``office``: the letters' office context plus ``name_title`` for running text."""
    from .drafting import office_context

    return {**office_context(office), "name_title": judul(office.name)}


def addressee(government: str) -> str:
    """"PEMERINTAH KABUPATEN DHARMASRAYA" -> "Bupati Dharmasraya"; "PEMERINTAH KOTA PADANG" -> "Wali Kota Padang"."""
    text = " ".join(government.split()).upper()
    for prefix, title in (("PEMERINTAH KABUPATEN ", "Bupati"), ("PEMERINTAH KOTA ", "Wali Kota"),
                          ("PEMERINTAH PROVINSI ", "Gubernur")):
        if text.startswith(prefix):
            return f"{title} {text[len(prefix):].title()}"
    return "Kepala Daerah"


def report_context(summary: Summary, *, office_ctx: dict[str, Any], signer: dict[str, Any], kepada: str) -> dict[str, Any]:
    total = summary.total
    done = summary.count("by_status", DONE)
    return {
        "office": office_ctx,
        "signer": signer,
        "kepada": kepada,
        "periode": {"label": summary.period.label, "teks": summary.period.phrase, "tahun": summary.period.year,
                    "jenis": summary.period.kind},
        "today": summary.now.date(),
        "dibuat": summary.now,
        "ringkasan": {
            "jumlah": total,
            "selesai": done,
            "proses": summary.count("by_status", OPEN),
            "lewat": summary.count("by_status", LATE),
            "persen_selesai": persen(done, total),
            "tepat_waktu": summary.count("timeliness", ON_TIME),
            "terlambat": summary.count("timeliness", LATE_FINISH),
            "tanpa_batas": summary.count("timeliness", NO_LIMIT),
            "persen_tepat_waktu": "-" if summary.on_time_share is None else persen(summary.on_time_share, 1),
            "rata_hari": _number(summary.mean_days, "hari kerja"),
            "median_hari": _number(summary.median_days, "hari kerja"),
            "puas": summary.count("satisfaction", PUAS),
            "tidak_puas": summary.count("satisfaction", TIDAK_PUAS),
            "tanpa_pernyataan": summary.count("satisfaction", NO_STATEMENT),
            "persen_puas": "-" if summary.satisfied_share is None else persen(summary.satisfied_share, 1),
        },
        "saluran": _rows(summary.by_channel, total),
        "kategori": _rows(summary.by_category, total),
        "status": _rows(summary.by_status, total),
        "bulan": _rows(summary.by_month, total),
        "durasi": _rows(summary.durations, sum(n for _, n in summary.durations)),
        "ketepatan": _rows(summary.timeliness, sum(n for _, n in summary.timeliness)),
        "kepuasan": _rows(summary.satisfaction, total),
        "ikm": ikm_context(summary.ikm) if summary.ikm is not None else None,
        "daftar": [
            {"no": i, "register": c.register, "tanggal": c.received.date(), "saluran": c.channel, "hal": c.subject,
             "kategori": c.category, "status": c.status,
             "hari": "-" if c.working_days is None or not c.done else str(c.working_days)}
            for i, c in enumerate(summary.cases, start=1)
        ],
    }


# ---- building (service side) ------------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    """A report as produced: what was counted, and the two files."""

    basename: str
    docx: bytes
    pdf: bytes
    summary: Summary | None = None
    ikm: IkmResult | None = None


def signer_of(office: Any) -> dict[str, Any]:
    """The Kepala Dinas signs reports: the holder of role ``kadis``, else the office's first official."""
    from .drafting import person

    for official in [*office.holders("kadis"), *office.officials]:
        return person(official)
    return {"id": "", "name": "", "nip": "", "pangkat": "", "jabatan": ""}


def build(naskah: Any, office: Any, period: Period, *, ikm: IkmResult | None = None, kepada: str | None = None) -> Report:
    """The yearly report or monthly recap of ``office`` for ``period`` (DOCX and PDF/A)."""
    from .catalog import template_file

    summary = summarise(gather(naskah, office, period), period, naskah.wall_time(office), ikm)
    ctx = report_context(summary, office_ctx=office_view(office), signer=signer_of(office),
                         kepada=kepada or addressee(office.government))
    docx = render_docx(template_file(office, TEMPLATES[period.kind]), ctx, summary_charts(summary), image_width_mm=CHART_WIDTH_MM)
    stem = "laporan-tahunan" if period.kind == "yearly" else "rekap-bulanan"
    return Report(f"{stem}-{office.id}-{period.slug}", docx, naskah.converter.convert(docx), summary=summary, ikm=ikm)


def build_ikm(naskah: Any, office: Any, result: IkmResult, *, source: str, periode: str = "") -> Report:
    """The survey report (Laporan Hasil Survei Kepuasan Masyarakat) of one IKM survey."""
    from .catalog import template_file

    now = naskah.wall_time(office)
    ctx = {"office": office_view(office), "signer": signer_of(office), "today": now.date(),
           "periode": periode, "sumber": source, "ikm": ikm_context(result)}
    docx = render_docx(template_file(office, TEMPLATES["ikm"]), ctx, {"ikm": ikm_chart(result)}, image_width_mm=CHART_WIDTH_MM)
    stem = Path(source).stem or "survei"
    return Report(f"laporan-ikm-{office.id}-{stem}", docx, naskah.converter.convert(docx), ikm=result)
