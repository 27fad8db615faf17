"""Property tests (hypothesis) of numbering: whatever mix of numbers taken by hand, letters filed,
filings that fail and numbers voided, each (office, series, year) counts 1, 2, 3... with no gap and
no number given twice; a nomor is read back into the values it was made from.

Working-day arithmetic has its own properties with the calendar (tests/test_calendar.py)."""

from __future__ import annotations

import re
import string
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive import register
from archive.db import connect
from archive.errors import NumberingError
from archive.numbering import format_number
from archive.store import Archive

OFFICES = ("pangkalpinang", "padang")
SERIES = ("surat", "tugas")
YEARS = (2026, 2027)
PATTERN = "{kka}/{urut}/{unit}/{tahun}"
PATTERN_WITH_SERIES = "{kka}/{series}-{urut}/{unit}/{tahun}"


class Boom(Exception):
    """A failure inside the filing transaction (a signature the gate refused, a full disk...)."""


@st.composite
def operations(draw):
    """A list of ('take'|'file'|'fail'|'void', office, series, year, pick) operations."""
    op = st.tuples(
        st.sampled_from(("take", "file", "fail", "void")),
        st.sampled_from(OFFICES), st.sampled_from(SERIES), st.sampled_from(YEARS),
        st.integers(min_value=0, max_value=10_000),
    )
    return draw(st.lists(op, min_size=1, max_size=30))


def fresh_archive() -> tuple[Archive, tempfile.TemporaryDirectory]:
    tmp = tempfile.TemporaryDirectory()
    home = Path(tmp.name)
    conn = connect(home)
    conn.execute("PRAGMA synchronous=OFF")  # durability is not what these examples test
    return Archive(home, conn), tmp


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations())
def test_each_series_counts_without_gap_or_repeat(ops):
    archive, tmp = fresh_archive()
    conn = archive.conn
    expected: dict[tuple[str, str, int], int] = {}
    given_out: list[str] = []
    try:
        for kind, office, series, year, pick in ops:
            when = datetime(year, 1 + pick % 12, 1 + pick % 28, 9, 0)
            key = (office, series, year)
            if kind == "take":
                entry = register.take_number(conn, office=office, series=series, kka="000.8.3.4", hal="Surat",
                                             pattern=PATTERN_WITH_SERIES, padding=4, unit=office.upper(), when=when,
                                             actor="tu")
                expected[key] = expected.get(key, 0) + 1
                assert entry.urut == expected[key]
                given_out.append(entry.nomor)
            elif kind in ("file", "fail"):
                try:
                    with archive.issue(office=office, series=series, kka="000.8.3.4", hal="Jawaban",
                                       pattern=PATTERN_WITH_SERIES, padding=4, unit=office.upper(), when=when) as issuing:
                        assert issuing.urut == expected.get(key, 0) + 1
                        if kind == "fail":
                            raise Boom()
                        issuing.file(b"%PDF-1.7 surat " + str(pick).encode() + issuing.nomor.encode(),
                                     doc_key="surat_jawaban", text="")
                except Boom:
                    pass  # nothing recorded: the number is given to the next letter
                else:
                    expected[key] = expected.get(key, 0) + 1
                    given_out.append(issuing.nomor)
            elif given_out:
                nomor = given_out[pick % len(given_out)]
                office_of = conn.execute("SELECT office, status FROM numbers WHERE nomor = ?", (nomor,)).fetchone()
                if office_of["status"] == "issued":
                    register.void_number(conn, nomor, reason="batal", actor="tu", office=office_of["office"])
        rows = register.list_numbers(conn)
        by_key: dict[tuple[str, str, int], list[int]] = {}
        for row in rows:
            by_key.setdefault((row.office, row.series, row.year), []).append(row.urut)
        assert {k: v for k, v in by_key.items()} == {k: list(range(1, n + 1)) for k, n in expected.items()}
        assert len({(r.office, r.nomor) for r in rows}) == len(rows) == len(given_out)
        filed = {(letter.office, letter.nomor) for letter in archive.all_letters()}
        assert filed <= {(r.office, r.nomor) for r in rows}
        assert conn.execute("SELECT COUNT(*) FROM letters").fetchone()[0] == len(filed)
    finally:
        conn.close()
        tmp.cleanup()


def test_two_series_that_would_print_the_same_nomor_are_refused_not_crashed(tmp_path):
    """A pattern without {series}: the second series' first letter would repeat the first's nomor."""
    archive = Archive(tmp_path, connect(tmp_path))
    when = datetime(2026, 11, 21, 9, 0)
    with archive.issue(office="x", series="surat", kka="000.8.3.4", hal="a", pattern=PATTERN, padding=4,
                       unit="U", when=when) as issuing:
        issuing.file(b"%PDF-1.7 a", doc_key="surat_jawaban", text="")
    with pytest.raises(NumberingError, match="already in the register"):
        with archive.issue(office="x", series="tugas", kka="000.8.3.4", hal="b", pattern=PATTERN, padding=4,
                           unit="U", when=when) as issuing:
            issuing.file(b"%PDF-1.7 b", doc_key="surat_tugas", text="")
    assert [r.nomor for r in register.list_numbers(archive.conn)] == [issuing.nomor]
    with pytest.raises(NumberingError, match="already in the register"):
        register.take_number(archive.conn, office="x", series="tugas", kka="000.8.3.4", hal="c", pattern=PATTERN,
                             padding=4, unit="U", when=when, actor="tu")


# --- format round trip ------------------------------------------------------------------------------

_FIELD_RE = {
    "kka": r"(?P<kka>\d+(?:\.\d+)*)",
    "urut": r"(?P<urut>\d+)",
    "tahun": r"(?P<tahun>\d{4})",
    "bulan": r"(?P<bulan>\d{2})",
}


def parse_number(pattern: str, nomor: str, *, unit: str, series: str) -> dict[str, str]:
    """The values a nomor was made from, read with a regular expression built from the pattern."""
    regex = ""
    for literal, name, _, _ in string.Formatter().parse(pattern):
        regex += re.escape(literal)
        if name is not None:
            regex += _FIELD_RE.get(name) or re.escape({"unit": unit, "series": series}[name])
    m = re.fullmatch(regex, nomor)
    assert m, (pattern, nomor)
    return m.groupdict()


separators = st.sampled_from(["/", "-", ".", "/", " / "])
kka = st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=5).map(
    lambda parts: ".".join(f"{parts[0]:03d}" if i == 0 else str(p) for i, p in enumerate(parts)))
unit = st.text(alphabet=string.ascii_uppercase + "-&", min_size=1, max_size=20)


@st.composite
def patterns(draw):
    """Office patterns: {urut} plus any of the other fields, in any order, between separators."""
    others = draw(st.lists(st.sampled_from(["kka", "unit", "tahun", "bulan", "series"]), unique=True, max_size=5))
    fields = draw(st.permutations(["urut", *others]))
    seps = [draw(separators) for _ in fields[1:]]
    prefix = draw(st.sampled_from(["", "B-", "ADU-"]))
    out = prefix + "{" + fields[0] + "}"
    for sep, name in zip(seps, fields[1:]):
        out += sep + "{" + name + "}"
    return out


@settings(max_examples=300, deadline=None)
@given(pattern=patterns(), kka=kka, urut=st.integers(min_value=1, max_value=10**6), padding=st.integers(0, 8),
       year=st.integers(2000, 2099), month=st.integers(1, 12), unit=unit, series=st.sampled_from(["surat", "tugas-2"]))
def test_a_nomor_reads_back_into_its_values(pattern, kka, urut, padding, year, month, unit, series):
    nomor = format_number(pattern, urut=urut, padding=padding, tahun=year, bulan=month, kka=kka, unit=unit, series=series)
    values = parse_number(pattern, nomor, unit=unit, series=series)
    assert values["urut"] == str(urut).zfill(padding) and int(values["urut"]) == urut
    if "{tahun}" in pattern:
        assert int(values["tahun"]) == year
    if "{bulan}" in pattern:
        assert int(values["bulan"]) == month
    if "{kka}" in pattern:
        assert values["kka"] == kka


@settings(max_examples=200, deadline=None)
@given(pattern=patterns(), a=st.integers(1, 10**5), b=st.integers(1, 10**5), padding=st.integers(0, 6))
def test_different_sequence_numbers_never_print_the_same_nomor(pattern, a, b, padding):
    def make(urut: int) -> str:
        return format_number(pattern, urut=urut, padding=padding, tahun=2026, bulan=11, kka="000.8.3.4", unit="DPMPTSP",
                             series="surat")
    assert (make(a) == make(b)) == (a == b)


def test_a_pattern_with_an_unknown_field_or_without_urut_is_refused():
    for bad in ("{kka}/{nomor}/{tahun}", "{kka}/{tahun}", "{kka/{urut}", "{urut}/{0}"):
        with pytest.raises(NumberingError):
            format_number(bad, urut=1, padding=4, tahun=2026)
