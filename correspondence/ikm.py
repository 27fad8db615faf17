"""IKM (Indeks Kepuasan Masyarakat) per PermenPANRB 14/2017: read a survey, compute, grade.

Pure: bytes of a CSV in, an :class:`IkmResult` out; no file or database access.

* **Input.** One respondent per row; columns ``u1`` .. ``u9`` hold the scores 1-4 of the nine
  elements in the order of :data:`ELEMENTS`. Column names are matched without regard to case or
  surrounding spaces; other columns (respondent number, gender, remarks) are allowed and ignored.
  The delimiter is a comma, or a semicolon or tab when the header uses one (spreadsheets in an
  Indonesian locale save CSV with semicolons). UTF-8 with or without BOM; anything else is refused.
* **Rows left out.** A row with a missing, non-integer or out-of-range score is left out *whole*
  and reported with its line number as a spreadsheet shows it (header = line 1; a quoted field
  spanning several lines is still one row). A row whose cells are all empty is no respondent and
  is skipped without a report.
* **Arithmetic.** Exact, with :class:`fractions.Fraction`: NRR per element = sum of its scores /
  respondents; index = sum of NRR x 1/9 (the weight is exactly 1/9, not the 0.111 of the
  regulation's worked tables, which would give 99.9 for a perfect survey); IKM = index x 25.
* **Grade.** The regulation's conversion table is written in two decimals (A 88.31-100.00,
  B 76.61-88.30, C 65.00-76.60, D 25.00-64.99), leaving gaps such as 88.30 < x < 88.31. The IKM
  is therefore rounded half up to two decimals (the figure that is published) and that figure is
  looked up; both ends of every interval are inclusive. So 88.305 is published as 88.31 and
  graded A, 88.3049 as 88.30 and graded B.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from .errors import InvalidInput

#: The nine elements (unsur) in the order of the regulation; column ``u<i>`` is element i.
ELEMENTS: tuple[str, ...] = (
    "Persyaratan",
    "Sistem, mekanisme dan prosedur",
    "Waktu penyelesaian",
    "Biaya/tarif",
    "Produk spesifikasi jenis pelayanan",
    "Kompetensi pelaksana",
    "Perilaku pelaksana",
    "Penanganan pengaduan, saran dan masukan",
    "Sarana dan prasarana",
)
COLUMNS: tuple[str, ...] = tuple(f"u{i}" for i in range(1, len(ELEMENTS) + 1))
WEIGHT = Fraction(1, len(ELEMENTS))
SCALE = 25
LOWEST, HIGHEST = 1, 4
MAX_PROBLEMS_IN_ERROR = 10


@dataclass(frozen=True)
class Grade:
    """A row of the conversion table: mutu pelayanan (letter) and kinerja unit pelayanan."""

    letter: str
    kinerja: str
    low: Decimal
    high: Decimal


GRADES: tuple[Grade, ...] = (
    Grade("A", "Sangat Baik", Decimal("88.31"), Decimal("100.00")),
    Grade("B", "Baik", Decimal("76.61"), Decimal("88.30")),
    Grade("C", "Kurang Baik", Decimal("65.00"), Decimal("76.60")),
    Grade("D", "Tidak Baik", Decimal("25.00"), Decimal("64.99")),
)


def published(ikm: Fraction) -> Decimal:
    """The IKM as published and graded: rounded half up to two decimals."""
    return (Decimal(ikm.numerator) / Decimal(ikm.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def grade_of(ikm: Fraction) -> Grade:
    """The grade of an exact IKM value (see the module docstring for the rounding)."""
    value = published(ikm)
    for grade in GRADES:
        if grade.low <= value <= grade.high:
            return grade
    raise ValueError(f"IKM {value} is outside 25.00-100.00")


@dataclass(frozen=True)
class RowProblem:
    """Why a row was left out: ``kind`` is missing, not_integer, not_number, out_of_range or extra."""

    line: int
    column: str
    kind: str
    value: str = ""

    def reason(self) -> str:
        """English, for the command line."""
        return {
            "missing": f"{self.column} is empty",
            "not_integer": f"{self.column} = {self.value!r} is not a whole number",
            "not_number": f"{self.column} = {self.value!r} is not a number",
            "out_of_range": f"{self.column} = {self.value} is outside {LOWEST}-{HIGHEST}",
            "extra": f"more cells than header columns ({self.value!r})",
        }[self.kind]

    def text(self) -> str:
        return f"line {self.line}: {self.reason()}"

    def teks(self) -> str:
        """Bahasa Indonesia, for the survey report."""
        return {
            "missing": f"{self.column} kosong",
            "not_integer": f"{self.column} = \u201c{self.value}\u201d bukan bilangan bulat",
            "not_number": f"{self.column} = \u201c{self.value}\u201d bukan angka",
            "out_of_range": f"{self.column} = {self.value} di luar rentang {LOWEST}\u2013{HIGHEST}",
            "extra": f"sel melebihi jumlah kolom judul (\u201c{self.value}\u201d)",
        }[self.kind]


@dataclass(frozen=True)
class Survey:
    """The valid responses (nine scores each) and the rows left out, by line."""

    responses: tuple[tuple[int, ...], ...]
    left_out: tuple[tuple[int, tuple[RowProblem, ...]], ...]

    @property
    def problems(self) -> tuple[RowProblem, ...]:
        return tuple(p for _, problems in self.left_out for p in problems)


@dataclass(frozen=True)
class IkmResult:
    respondents: int
    nrr: tuple[Fraction, ...]
    index: Fraction
    ikm: Fraction
    grade: Grade
    left_out: tuple[tuple[int, tuple[RowProblem, ...]], ...] = ()

    @property
    def ikm_published(self) -> Decimal:
        return published(self.ikm)

    @property
    def weighted(self) -> tuple[Fraction, ...]:
        """NRR tertimbang: each element's NRR x 1/9."""
        return tuple(v * WEIGHT for v in self.nrr)

    def to_json(self) -> dict[str, object]:
        """``{"ikm", "grade", "nrr", "respondents"}``; ``ikm`` and ``nrr`` are the exact values as floats."""
        return {"ikm": float(self.ikm), "grade": self.grade.letter, "nrr": [float(v) for v in self.nrr],
                "respondents": self.respondents}


# ---- reading -------------------------------------------------------------------------------

_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def _decode(data: bytes, source: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise InvalidInput(f"{source}: the file is UTF-16/UTF-32 text; save it as 'CSV UTF-8 (comma delimited)'")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(f"{source}: not UTF-8 text (byte {exc.start}, line {line}); "
                           "save it as 'CSV UTF-8 (comma delimited)'") from None


def _delimiter(header_line: str) -> str:
    """Comma unless the header has no comma but a semicolon or a tab."""
    if "," in header_line:
        return ","
    for candidate in (";", "\t"):
        if candidate in header_line:
            return candidate
    return ","


def _columns(header: list[str], source: str) -> list[int]:
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    doubled = sorted({c for c in COLUMNS if names.count(c) > 1})
    if missing or doubled:
        found = ", ".join(repr(h) for h in header[:12]) or "nothing"
        what = (f"missing column(s) {', '.join(missing)}" if missing else "") + \
               ("; " if missing and doubled else "") + (f"column(s) {', '.join(doubled)} appear twice" if doubled else "")
        raise InvalidInput(f"{source}: line 1 must be the header naming the columns u1 to u9 "
                           f"(one per survey element); {what}; found {found}")
    return [names.index(c) for c in COLUMNS]


def _score(line: int, column: str, cell: str | None) -> int | RowProblem:
    value = (cell or "").strip()
    if not value:
        return RowProblem(line, column, "missing")
    if _INTEGER.match(value):
        score = int(value)
        if LOWEST <= score <= HIGHEST:
            return score
        return RowProblem(line, column, "out_of_range", value)
    if _NUMBER.match(value):
        return RowProblem(line, column, "not_integer", value)
    return RowProblem(line, column, "not_number", value)


def read_survey(data: bytes, *, source: str = "survey") -> Survey:
    """Parse the CSV; raise InvalidInput for an unreadable file or a wrong header."""
    text = _decode(data, source)
    if not text.strip():
        raise InvalidInput(f"{source}: the file is empty; expected a header row u1,...,u9 and one row per respondent")
    first_line = text.splitlines()[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    responses: list[tuple[int, ...]] = []
    left_out: list[tuple[int, tuple[RowProblem, ...]]] = []
    try:
        header = next(reader)
        indexes = _columns(header, source)
        width = len(header)
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            results = [_score(line, name, row[i] if i < len(row) else None) for name, i in zip(COLUMNS, indexes)]
            problems = [r for r in results if isinstance(r, RowProblem)]
            extra = [cell for cell in row[width:] if cell.strip()]
            if extra:
                problems.append(RowProblem(line, "", "extra", extra[0]))
            if problems:
                left_out.append((line, tuple(problems)))
            else:
                responses.append(tuple(results))  # type: ignore[arg-type]
    except csv.Error as exc:
        raise InvalidInput(f"{source}: not a readable CSV file at line {reader.line_num}: {exc}") from None
    return Survey(tuple(responses), tuple(left_out))


# ---- computing -----------------------------------------------------------------------------

def compute(survey: Survey, *, source: str = "survey") -> IkmResult:
    """NRR per element, index and IKM, exactly; InvalidInput if no row is valid."""
    n = len(survey.responses)
    if n == 0:
        shown = "; ".join(p.text() for p in survey.problems[:MAX_PROBLEMS_IN_ERROR])
        more = len(survey.problems) - MAX_PROBLEMS_IN_ERROR
        detail = f": {len(survey.left_out)} row(s) left out: {shown}" + (f"; and {more} more" if more > 0 else "") \
            if survey.left_out else ": the file has a header but no respondent rows"
        raise InvalidInput(f"{source}: no valid respondent{detail}")
    nrr = tuple(Fraction(sum(r[i] for r in survey.responses), n) for i in range(len(ELEMENTS)))
    index = sum((v * WEIGHT for v in nrr), Fraction(0))
    ikm = index * SCALE
    return IkmResult(n, nrr, index, ikm, grade_of(ikm), survey.left_out)


def survey_result(data: bytes, *, source: str = "survey") -> IkmResult:
    """Read and compute in one call."""
    return compute(read_survey(data, source=source), source=source)


def decimal_id(value: Fraction | Decimal, places: int = 2) -> str:
    """A number as Indonesian documents write it: decimal comma (``83,33``)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    quantum = Decimal(1).scaleb(-places)
    return f"{value.quantize(quantum, rounding=ROUND_HALF_UP):f}".replace(".", ",")
