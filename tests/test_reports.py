"""Reports: the counting rules on plain facts, then real complaints walked through the Dharmasraya SOP
at chosen moments (frozen service clock), reported by `naskah report yearly|monthly` as DOCX with
charts and PDF/A through LibreOffice; an empty period gives a report that says so, without charts."""

from __future__ import annotations

import re
import subprocess
import zipfile
from datetime import datetime
from io import BytesIO
from pathlib import Path

import pytest

from clitools import run_naskah  # tests/clitools.py
from correspondence.casestore import CaseEvent
from correspondence.complaint import Complainant
from correspondence.errors import InvalidInput
from correspondence.reports import (
    DONE, LATE, LATE_FINISH, NO_LIMIT, NO_STATEMENT, ON_TIME, OPEN, PUAS, TIDAK_PUAS, UNCATEGORISED,
    CaseFacts, Period, addressee, category_of, satisfaction_of, summarise, summary_charts,
)
from correspondence.services import Naskah

NOW = datetime(2026, 11, 20, 10, 0)  # a Friday


def facts(register: str, received: datetime, channel: str = "Email", *, done: bool = False, on_time=None,
          days=None, category: str = UNCATEGORISED, satisfaction=None) -> CaseFacts:
    return CaseFacts(register, received, channel, category, "hal", closed=done, finished=received if done else None,
                     on_time=on_time, working_days=days, satisfaction=satisfaction)


def test_summary_counts():
    cases = [
        facts("1", datetime(2026, 1, 5), "Email", done=True, on_time=True, days=1, category="Perizinan", satisfaction=PUAS),
        facts("2", datetime(2026, 1, 9), "Email", done=True, on_time=False, days=16, category="Perizinan",
              satisfaction=TIDAK_PUAS),
        facts("3", datetime(2026, 3, 2), "Telepon", done=True, on_time=None, days=4),
        facts("4", datetime(2026, 3, 3), "LAPOR!", on_time=False),   # open, already overdue
        facts("5", datetime(2026, 11, 19), "Email"),                  # open
    ]
    s = summarise(cases, Period.yearly(2026), NOW)
    assert s.total == 5
    assert s.by_channel == (("Email", 3), ("LAPOR!", 1), ("Telepon", 1))
    assert s.by_category == ((UNCATEGORISED, 3), ("Perizinan", 2))
    assert s.by_status == ((DONE, 3), (OPEN, 1), (LATE, 1))
    assert s.timeliness == ((ON_TIME, 1), (LATE_FINISH, 1), (NO_LIMIT, 1))
    assert s.on_time_share == 0.5  # 1 of the 2 finished complaints that had a limit
    assert s.durations == (("0–1", 1), ("2–3", 0), ("4–5", 1), ("6–10", 0), ("11–14", 0), ("> 14", 1))
    assert s.mean_days == 7.0 and s.median_days == 4.0  # (1 + 16 + 4) / 3; median of 1, 4, 16
    assert s.satisfaction == ((PUAS, 1), (TIDAK_PUAS, 1), (NO_STATEMENT, 3))
    assert s.satisfied_share == 0.5
    assert dict(s.by_month) == {"Jan": 2, "Feb": 0, "Mar": 2, "Apr": 0, "Mei": 0, "Jun": 0, "Jul": 0, "Agu": 0,
                                "Sep": 0, "Okt": 0, "Nov": 1, "Des": 0}
    charts = summary_charts(s)
    assert all(charts[name].startswith(b"\x89PNG") for name in ("saluran", "kategori", "status", "bulan", "durasi",
                                                                "ketepatan", "kepuasan"))
    assert charts["ikm"] is None


def test_empty_period_has_no_tables_and_no_charts():
    s = summarise([], Period.monthly("2026-08"), NOW)
    assert s.total == 0 and s.by_status == () and s.durations == () and s.timeliness == () and s.satisfaction == ()
    assert s.on_time_share is None and s.satisfied_share is None and s.mean_days is None
    assert set(summary_charts(s).values()) == {None}


def test_periods_and_addressees():
    assert Period.monthly("2026-11").label == "Bulan November 2026"
    assert Period.yearly(2026).label == "Tahun 2026"
    assert Period.monthly("2026-02").contains(datetime(2026, 2, 28, 23, 59))
    assert not Period.monthly("2026-02").contains(datetime(2026, 3, 1))
    for bad in ("2026-13", "2026/11", "26-11", "November", "2026-00"):
        with pytest.raises(InvalidInput):
            Period.monthly(bad)
    with pytest.raises(InvalidInput):
        Period.yearly(26)
    assert addressee("PEMERINTAH KABUPATEN KUTAI KARTANEGARA") == "Bupati Kutai Kartanegara"
    assert addressee("PEMERINTAH KOTA  PANGKALPINANG") == "Wali Kota Pangkalpinang"
    assert addressee("PEMERINTAH PROVINSI SUMATERA BARAT") == "Gubernur Sumatera Barat"


def event(body: dict) -> CaseEvent:
    return CaseEvent("2026-11-02T09:00:00", "1", "x", "document", "", {"content": {"body": body}})


def test_category_and_satisfaction_from_the_case_record():
    assert category_of({"jenis_aduan": "rekomendasi_teknis", "puas": "ya"}, []) == "Rekomendasi teknis"
    assert category_of({"puas": "ya"}, [event({"kategori": "Perizinan"}), event({"kategori": " Pelayanan  loket "})]) \
        == "Pelayanan loket"
    assert category_of({}, [event({"isi": "x"})]) == UNCATEGORISED
    assert satisfaction_of([event({"pernyataan": "Tidak Puas"}), event({"pernyataan": "puas"})]) == PUAS
    assert satisfaction_of([event({"pernyataan": "Puas"}), event({"pernyataan": "TIDAK  PUAS"})]) == TIDAK_PUAS
    assert satisfaction_of([event({"isi": "puas"})]) is None


# ---- real complaints through the Dharmasraya SOP -----------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def pernyataan(said: str) -> dict:
    return {"body": {"oleh": "Petugas Layanan Pengaduan", "pernyataan": said, "penyelesaian": "Berkas telah diverifikasi."}}


def lisan(naskah: Naskah, clock: Clock, *, channel: str, received: datetime, closed: datetime | None, said: str = "Puas",
          subject: str = "Izin belum terbit") -> str:
    clock.now = received
    register = naskah.register_complaint("dharmasraya", received_by="petugas", channel=channel,
                                         complainant=Complainant(name="Rahmat Hidayat", phone="0812 6600 1234"),
                                         subject=subject, content="Mohon kejelasan.", choice="lisan").register
    naskah.act(register, "petugas")                 # 2: diterima
    naskah.act(register, "petugas", choice="ya")    # 3: dijelaskan; puas -> pernyataan
    if closed is not None:
        clock.now = closed
        naskah.act(register, "petugas", choice="selesai", data=pernyataan(said))
        naskah.act(register, "petugas")             # penutupan
        assert naskah.view(register).state.closed
    return register


def tertulis_with_tpp(naskah: Naskah, clock: Clock, *, received: datetime, closed: datetime) -> str:
    clock.now = received
    register = naskah.register_complaint("dharmasraya", received_by="petugas", channel="kotak_pengaduan",
                                         complainant=Complainant(name="Siti Rahma"), subject="Berkas tertahan",
                                         content="Berkas saya tertahan.", choice="tertulis").register
    naskah.act(register, "petugas")                 # 4
    naskah.act(register, "petugas")                 # 5
    naskah.act(register, "petugas", choice="tidak")  # 6: not satisfied -> TPP
    naskah.act(register, "petugas")                 # 7
    naskah.act(register, "ketua_tpp", choice="ya", data={"body": {
        "kategori": "Pelayanan perizinan", "penyebab": "Berkas belum dipindai.", "tindakan": "Pindai hari ini.",
        "kesimpulan": "Dapat ditangani TPP.", "anggota": ["ketua_tpp", "anggota_tpp"]}})  # 7a
    naskah.act(register, "petugas")                 # 7b
    clock.now = closed
    naskah.act(register, "petugas", choice="selesai", data=pernyataan("Puas"))
    naskah.act(register, "petugas")                 # penutupan
    return register


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("reports")
    clock = Clock()
    with Naskah(home, clock=clock) as naskah:
        # received Mon 5 Oct, closed Mon 2 Nov: Oct 6-9 (4) + 12-16 (5) + 19-23 (5) + 26-30 (5) + Nov 2 (1)
        # = 20 working days (no holiday in October 2026); over the SOP's 14 hari kerja: late. Not satisfied.
        lisan(naskah, clock, channel="datang_langsung", received=datetime(2026, 10, 5, 9), closed=datetime(2026, 11, 2, 10),
              said="Tidak Puas", subject="Izin Rahmat Hidayat di Jl. Sudirman No. 5 belum terbit")
        # received Mon 2 Nov, closed Thu 5 Nov: Nov 3, 4, 5 = 3 working days; on time; satisfied.
        lisan(naskah, clock, channel="telepon", received=datetime(2026, 11, 2, 9), closed=datetime(2026, 11, 5, 10))
        # received Tue 3 Nov, closed Tue 10 Nov: Nov 4, 5, 6, 9, 10 = 5 working days; on time; category from the TPP.
        tertulis_with_tpp(naskah, clock, received=datetime(2026, 11, 3, 9), closed=datetime(2026, 11, 10, 11))
        # received Mon 7 Sep, still open on 20 Nov: 14 working days ended on 25 Sep -> overdue.
        lisan(naskah, clock, channel="whatsapp", received=datetime(2026, 9, 7, 9), closed=None)
        # received Thu 19 Nov, open and within its limit.
        lisan(naskah, clock, channel="email", received=datetime(2026, 11, 19, 9), closed=None)
        # not counted: another year, another office
        lisan(naskah, clock, channel="telepon", received=datetime(2025, 12, 15, 9), closed=datetime(2025, 12, 16, 9))
        clock.now = datetime(2026, 11, 4, 9)
        naskah.register_complaint("pangkalpinang", received_by="staf", channel="email", complainant=Complainant(name="Budi"),
                                  subject="Lain kantor", content="x")
    return home


def pdftext(pdf: Path) -> str:
    return " ".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())


def images(docx: Path) -> list[str]:
    return [n for n in zipfile.ZipFile(BytesIO(docx.read_bytes())).namelist() if n.startswith("word/media/")]


def test_yearly_report_to_the_bupati(home, tmp_path):
    with Naskah(home, clock=lambda: NOW) as naskah:
        report = naskah.report("dharmasraya", Period.yearly(2026))
    s = report.summary
    assert s.total == 5
    assert s.by_status == ((DONE, 3), (OPEN, 1), (LATE, 1))
    assert s.timeliness == ((ON_TIME, 2), (LATE_FINISH, 1))
    assert [c.working_days for c in s.cases if c.closed] == [20, 3, 5]
    assert s.satisfaction == ((PUAS, 2), (TIDAK_PUAS, 1), (NO_STATEMENT, 2))
    assert dict(s.by_category) == {"Pelayanan perizinan": 1, UNCATEGORISED: 4}

    result = run_naskah(home, "report", "yearly", "2026", "--office", "dharmasraya", "--out", str(tmp_path),
                        env={"NASKAH_NOW": "2026-11-20T10:00"})
    assert result.returncode == 0, result.stderr
    assert "Tahun 2026: 5 complaint(s); Selesai: 3, Dalam proses: 1, Dalam proses, lewat batas waktu: 1; " \
           "finished on time: 67%" in result.stdout
    pdf = tmp_path / "laporan-tahunan-dharmasraya-2026.pdf"
    assert b"pdfaid:part" in pdf.read_bytes()
    text = pdftext(pdf)
    for expected in (
        "LAPORAN TAHUNAN PENANGANAN PENGADUAN MASYARAKAT", "TAHUN 2026", "Kepada : Yth. Bupati Dharmasraya",
        "Pengaduan diterima : 5 pengaduan", "Selesai : 3 pengaduan (60,0%)",
        "Selesai tepat waktu : 2 dari 3 pengaduan yang memiliki batas waktu (66,7%)",
        "Rata-rata penyelesaian : 9,3 hari kerja (median 5,0 hari kerja)",
        "Pernyataan puas : 2 puas, 1 tidak puas (66,7% puas)",
        "1 Datang Langsung 1 20,0%", "Pelayanan perizinan 1 20,0%", "Dalam proses, lewat batas waktu 1 20,0%",
        "> 14 1 33,3%", "Tidak Puas 1 20,0%",
        "Sebanyak 1 pengaduan belum selesai dan telah melewati batas waktu SOP",
        "05-10-2026 Datang Izin [nama] di [alamat] belum Selesai 20",  # in the list, the subject redacted
        "Drs. Hendri Syaputra, M.Si.",
    ):
        assert expected in text, expected
    assert "Lain kantor" not in text and "15-12-2025" not in text and "Rahmat" not in text
    # logo + channel, month, category, status, duration, on-time and satisfaction charts
    assert len(images(tmp_path / "laporan-tahunan-dharmasraya-2026.docx")) == 8


def test_monthly_recap_with_an_ikm_survey(home, tmp_path):
    survey = tmp_path / "skm.csv"
    survey.write_text("u1,u2,u3,u4,u5,u6,u7,u8,u9\n4,4,3,4,3,3,4,4,3\n3,3,3,4,3,3,3,3,3\n4,3,2,4,3,4,4,3,3\n"
                      "3,4,3,4,4,3,4,3,2\n", encoding="utf-8")
    result = run_naskah(home, "report", "monthly", "2026-11", "--office", "dharmasraya", "--out", str(tmp_path),
                        "--ikm", str(survey), env={"NASKAH_NOW": "2026-11-20T10:00"})
    assert result.returncode == 0, result.stderr
    text = pdftext(tmp_path / "rekap-bulanan-dharmasraya-2026-11.pdf")
    for expected in ("REKAPITULASI BULANAN PENGADUAN MASYARAKAT", "BULAN NOVEMBER 2026",
                     "Pengaduan diterima : 3 pengaduan", "Nilai IKM : 83,33 (mutu B, Baik; 4 responden)",
                     "nilai IKM 83,33, mutu pelayanan B (Baik)", "U3 Waktu penyelesaian 2,750 0,306"):
        assert expected in text, expected
    assert "Pengaduan per bulan" not in text
    # logo + channel, category, status, duration, on-time, satisfaction and IKM charts
    assert len(images(tmp_path / "rekap-bulanan-dharmasraya-2026-11.docx")) == 8


def test_empty_month_says_so_without_charts(home, tmp_path):
    result = run_naskah(home, "report", "monthly", "2026-08", "--office", "dharmasraya", "--out", str(tmp_path),
                        env={"NASKAH_NOW": "2026-11-20T10:00"})
    assert result.returncode == 0, result.stderr
    text = pdftext(tmp_path / "rekap-bulanan-dharmasraya-2026-08.pdf")
    assert "Pada bulan Agustus 2026 tidak ada pengaduan masyarakat yang diterima." in text
    assert "Daftar pengaduan" not in text and "Pengaduan menurut saluran" not in text
    assert images(tmp_path / "rekap-bulanan-dharmasraya-2026-08.docx") == ["word/media/image1.png"]  # the logo only


def test_report_mistakes_write_nothing(home, tmp_path):
    for args, message in ((("monthly", "2026-13"), "write it as YYYY-MM"),
                          (("yearly", "26"), "give a year such as 2026"),
                          (("yearly", "2026", "--office", "nowhere"), "no office profile 'nowhere'"),
                          (("yearly", "2026", "--ikm", str(tmp_path / "none.csv")), "cannot read")):
        result = run_naskah(home, "report", *args, "--out", str(tmp_path / "out"))
        assert result.returncode in (2, 4), result.stderr
        assert message in result.stderr
        assert not (tmp_path / "out").exists()
    assert re.search(r"yearly\s+Laporan tahunan", run_naskah(home, "report", "--help").stdout)
