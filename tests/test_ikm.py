"""IKM (PermenPANRB 14/2017): the arithmetic against hand-computed surveys, the grade table at its
edges and in its gaps, the rows left out (by spreadsheet line), unreadable files, and the real
`naskah ikm` command writing the survey report through LibreOffice."""

from __future__ import annotations

import json
import subprocess
import zipfile
from decimal import Decimal
from fractions import Fraction
from io import BytesIO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from correspondence.errors import InvalidInput
from correspondence.ikm import ELEMENTS, compute, grade_of, published, read_survey, survey_result
from clitools import run_naskah  # tests/clitools.py

HEADER = "u1,u2,u3,u4,u5,u6,u7,u8,u9"

# The hand-computed survey: four respondents.
#          u1 u2 u3 u4 u5 u6 u7 u8 u9   row sum
#   r1      4  4  3  4  3  3  4  4  3     32
#   r2      3  3  3  4  3  3  3  3  3     28
#   r3      4  3  2  4  3  4  4  3  3     30
#   r4      3  4  3  4  4  3  4  3  2     30
#   sum    14 14 11 16 13 13 15 13 11    120
# NRR = column sum / 4: 3.5, 3.5, 2.75, 4, 3.25, 3.25, 3.75, 3.25, 2.75
# index = (sum of NRR) x 1/9 = 30 / 9 = 10/3 = 3.333...
# IKM = 10/3 x 25 = 250/3 = 83.333... -> published 83.33 -> B (76.61-88.30), "Baik".
# With the regulation's rounded weight 0.111 it would be 30 x 0.111 x 25 = 83.25: not what we compute.
HAND = [
    "4,4,3,4,3,3,4,4,3",
    "3,3,3,4,3,3,3,3,3",
    "4,3,2,4,3,4,4,3,3",
    "3,4,3,4,4,3,4,3,2",
]
HAND_NRR = (Fraction(7, 2), Fraction(7, 2), Fraction(11, 4), Fraction(4), Fraction(13, 4), Fraction(13, 4),
            Fraction(15, 4), Fraction(13, 4), Fraction(11, 4))


def csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_hand_computed_example():
    result = survey_result(csv(*HAND))
    assert result.respondents == 4
    assert result.nrr == HAND_NRR
    assert result.index == Fraction(10, 3)
    assert result.ikm == Fraction(250, 3)
    assert result.ikm_published == Decimal("83.33")
    assert (result.grade.letter, result.grade.kinerja) == ("B", "Baik")
    assert result.weighted[0] == Fraction(7, 18)  # 3.5 x 1/9
    assert result.to_json() == {"ikm": 250 / 3, "grade": "B", "nrr": [3.5, 3.5, 2.75, 4.0, 3.25, 3.25, 3.75, 3.25, 2.75],
                                "respondents": 4}


def test_weight_is_exactly_one_ninth():
    # all 4: NRR 4 each; index = 9 x 4 x 1/9 = 4; IKM = 100 (0.111 would give 99.9)
    result = survey_result(csv(*["4,4,4,4,4,4,4,4,4"] * 3))
    assert result.ikm == 100 and result.grade.letter == "A"
    # all 1: IKM = 25, the bottom of D
    assert survey_result(csv("1,1,1,1,1,1,1,1,1")).ikm == 25


@pytest.mark.parametrize("value, letter", [
    (Fraction(100), "A"), (Fraction("88.31"), "A"), (Fraction("88.305"), "A"),   # 88.305 is published 88.31
    (Fraction("88.3049"), "B"), (Fraction("88.30"), "B"), (Fraction("76.61"), "B"), (Fraction("76.605"), "B"),
    (Fraction("76.6049"), "C"), (Fraction("76.60"), "C"), (Fraction("65.00"), "C"), (Fraction("64.995"), "C"),
    (Fraction("64.99"), "D"), (Fraction(25), "D"),
])
def test_grade_intervals_are_inclusive_on_the_published_two_decimals(value, letter):
    assert grade_of(value).letter == letter


def test_a_survey_whose_exact_ikm_falls_in_a_gap_of_the_table():
    # 43 respondents: 34 rows "4 4 4 4 4 3 3 3 3" (sum 32) and 9 rows "4 4 4 4 3 3 3 3 3" (sum 31).
    # Total 34 x 32 + 9 x 31 = 1367; IKM = 25 x 1367 / (9 x 43) = 34175/387 = 88.3075...
    # Between B's 88.30 and A's 88.31; published 88.31, hence A.
    rows = ["4,4,4,4,4,3,3,3,3"] * 34 + ["4,4,4,4,3,3,3,3,3"] * 9
    result = survey_result(csv(*rows))
    assert result.ikm == Fraction(34175, 387)
    assert result.ikm_published == Decimal("88.31") and result.grade.letter == "A"
    # 19 respondents: 11 rows with one 4 (sum 28), 8 rows of all 3 (sum 27); total 308 + 216 = 524;
    # IKM = 25 x 524 / 171 = 13100/171 = 76.608..., between C's 76.60 and B's 76.61: published 76.61, B.
    rows = ["4,3,3,3,3,3,3,3,3"] * 11 + ["3,3,3,3,3,3,3,3,3"] * 8
    result = survey_result(csv(*rows))
    assert result.ikm == Fraction(13100, 171)
    assert result.ikm_published == Decimal("76.61") and result.grade.letter == "B"


BAD = (
    "\ufeffno,u1,u2,u3,u4,u5,u6,u7,u8,u9,saran\n"   # line 1: header, with a BOM
    "1,4,4,3,4,3,3,4,4,3,\"ramah\nsekali\"\n"        # line 2: a quoted remark over two physical lines
    "2,3,3,3,4,3,3,3,3,3,\n"                         # line 3
    "\n"                                              # line 4: empty row, no respondent
    "3,4,3,2,4,3,4,4,3,3,\n"                         # line 5
    "4,3,,3,4,4,3,4,3,2,\n"                          # line 6: u2 empty
    "5,3,5,3,4,0,3,4,3,2,\n"                         # line 7: u2 = 5 and u5 = 0 out of range
    "6,3,4,3,4,4,3,4,3,2.5,\n"                       # line 8: u9 = 2.5 not a whole number
    "7,3,4,baik,4,4,3,4,3,2,\n"                      # line 9: u3 not a number
    "8,3,4,3,4\n"                                    # line 10: short row, u5..u9 missing
    "9,3,4,3,4,4,3,4,3,2,ok,9\n"                     # line 11: a cell past the header
    "10,3,4,3,4,4,3,4,3,2,\n"                        # line 12
    ",,,,,,,,,,\n"                                    # line 13: all cells empty, no respondent
)


def test_rows_left_out_by_spreadsheet_line_and_never_counted():
    survey = read_survey(BAD.encode("utf-8"))
    left = {line: [(p.column, p.kind) for p in problems] for line, problems in survey.left_out}
    assert left == {
        6: [("u2", "missing")],
        7: [("u2", "out_of_range"), ("u5", "out_of_range")],
        8: [("u9", "not_integer")],
        9: [("u3", "not_number")],
        10: [(c, "missing") for c in ("u5", "u6", "u7", "u8", "u9")],
        11: [("", "extra")],
    }
    result = compute(survey)
    # counted: lines 2, 3, 5, 12 only
    assert result.respondents == 4
    assert result.nrr == compute(read_survey(csv("4,4,3,4,3,3,4,4,3", "3,3,3,4,3,3,3,3,3", "4,3,2,4,3,4,4,3,3",
                                                 "3,4,3,4,4,3,4,3,2"))).nrr
    assert [p.text() for p in survey.left_out[1][1]] == ["line 7: u2 = 5 is outside 1-4", "line 7: u5 = 0 is outside 1-4"]


def test_semicolons_capitals_and_other_columns_in_any_order():
    header = "Responden;U9;u8;U7;u6;u5;u4;u3;u2;U1;Jenis kelamin"
    rows = [";".join(["r%d" % i, *reversed(r.split(",")), "P"]) for i, r in enumerate(HAND)]
    data = "\r\n".join([header, *rows]).encode()  # saved by a spreadsheet in an Indonesian locale, CRLF, no final newline
    assert survey_result(data).nrr == HAND_NRR


@pytest.mark.parametrize("data, fragment", [
    (b"", "empty"),
    (b"  \n\n", "empty"),
    (csv(), "no valid respondent"),
    (csv("1,2,3,4,1,2,3,4,1", header="u1,u2,u3,u4,u5,u6,u7,u8"), "missing column(s) u9"),
    (csv("1,2,3,4,1,2,3,4,1,2", header="u1,u2,u3,u3,u4,u5,u6,u7,u8,u9"), "u3 appear twice"),
    (b"4,4,3,4,3,3,4,4,3\n3,3,3,4,3,3,3,3,3\n", "line 1 must be the header"),
    ("u1,u2,u3,u4,u5,u6,u7,u8,u9\n4,4,3,4,3,3,4,4,3\n# Caf\xe9\n".encode("latin-1"), "not UTF-8 text (byte 50, line 3)"),
    (csv(*HAND).decode().encode("utf-16"), "UTF-16"),
    (csv("5,5,5,5,5,5,5,5,5", ",4,4,4,4,4,4,4,4"), "no valid respondent: 2 row(s) left out: line 2: u1 = 5 is outside 1-4"),
])
def test_unreadable_files_are_clear_errors(data, fragment):
    with pytest.raises(InvalidInput) as err:
        survey_result(data, source="survei.csv")
    assert fragment in str(err.value) and str(err.value).startswith("survei.csv: ")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(1, 4), min_size=9, max_size=9), min_size=1, max_size=40))
def test_ikm_is_25_times_the_mean_score(rows):
    result = survey_result(csv(*(",".join(map(str, r)) for r in rows)))
    n = len(rows)
    assert result.respondents == n
    assert result.nrr == tuple(Fraction(sum(r[i] for r in rows), n) for i in range(9))
    assert result.ikm == Fraction(25 * sum(map(sum, rows)), 9 * n)
    assert result.grade.low <= published(result.ikm) <= result.grade.high


# ---- the command -----------------------------------------------------------------------------

def pdftext(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_cli_json_is_exactly_the_result_and_the_report_is_written(tmp_path):
    survey = tmp_path / "skm-2026.csv"
    survey.write_bytes(BAD.encode("utf-8"))
    out = tmp_path / "out"
    result = run_naskah(tmp_path / "home", "ikm", str(survey), "--json", "--office", "dharmasraya", "--out", str(out),
                        "--periode", "Semester II 2026")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    # the four valid rows are the hand-computed survey
    assert data == {"ikm": 250 / 3, "grade": "B", "nrr": [3.5, 3.5, 2.75, 4.0, 3.25, 3.25, 3.75, 3.25, 2.75],
                    "respondents": 4}
    assert result.stdout.strip().count("\n") == 0
    assert "line 6 left out: u2 is empty" in result.stderr
    assert "line 11 left out: more cells than header columns ('9')" in result.stderr
    docx = (out / "laporan-ikm-dharmasraya-skm-2026.docx").read_bytes()
    pdf = (out / "laporan-ikm-dharmasraya-skm-2026.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"pdfaid:part" in pdf  # PDF/A from the warm converter
    charts = [n for n in zipfile.ZipFile(BytesIO(docx)).namelist() if n.startswith("word/media/")]
    assert len(charts) == 2  # the office logo and the NRR chart
    text = " ".join(pdftext(pdf).split())
    for expected in ("LAPORAN HASIL SURVEI KEPUASAN MASYARAKAT", "SEMESTER II 2026",
                     "Jumlah responden : 4 orang", "Nilai IKM : 83,33", "B (Baik)", "U3 Waktu penyelesaian 2,750 0,306",
                     "Indeks (jumlah NRR tertimbang) 3,333", "7 u2 = 5 di luar rentang 1–4; u5 = 0 di luar rentang 1–4",
                     "88,31 – 100,00 A Sangat Baik", "Drs. Hendri Syaputra, M.Si."):
        assert expected in text, expected
    for element in ELEMENTS:
        assert element in text


def test_cli_text_output_and_a_bad_file_writes_nothing(tmp_path):
    survey = tmp_path / "s.csv"
    survey.write_bytes(csv(*HAND))
    out = tmp_path / "out"
    result = run_naskah(tmp_path / "home", "ikm", str(survey), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "IKM 83.33" in result.stdout and "grade B (Baik)" in result.stdout and "u9  Sarana dan prasarana" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["laporan-ikm-pangkalpinang-s.docx", "laporan-ikm-pangkalpinang-s.pdf"]

    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"nama,nilai\nBudi,4\n")
    empty_out = tmp_path / "nothing"
    result = run_naskah(tmp_path / "home", "ikm", str(bad), "--json", "--out", str(empty_out))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "bad.csv: line 1 must be the header naming the columns u1 to u9" in result.stderr
    assert not empty_out.exists()
    result = run_naskah(tmp_path / "home", "ikm", str(tmp_path / "missing.csv"))
    assert result.returncode == 2 and "cannot read" in result.stderr
