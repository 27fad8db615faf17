"""Indonesian dates and numbers in words (correspondence.dates)."""
from datetime import date, datetime, time

import pytest

from correspondence.dates import (
    bulan,
    hari,
    jam,
    tanggal,
    tanggal_angka,
    tanggal_terbilang,
    terbilang,
)


@pytest.mark.parametrize(
    "d, expected",
    [
        (date(2026, 11, 21), "21 November 2026"),
        (date(2026, 1, 1), "1 Januari 2026"),
        (date(2026, 12, 31), "31 Desember 2026"),
        (date(2000, 2, 29), "29 Februari 2000"),
        (date(2011, 5, 11), "11 Mei 2011"),
        (date(2026, 8, 17), "17 Agustus 2026"),
        (datetime(2026, 3, 2, 23, 59), "2 Maret 2026"),
    ],
)
def test_tanggal(d, expected):
    assert tanggal(d) == expected


def test_month_names_are_indonesian():
    names = [bulan(date(2026, m, 1)) for m in range(1, 13)]
    assert names == [
        "Januari", "Februari", "Maret", "April", "Mei", "Juni",
        "Juli", "Agustus", "September", "Oktober", "November", "Desember",
    ]


@pytest.mark.parametrize(
    "d, expected",
    [
        (date(2026, 11, 21), "Sabtu"),
        (date(2026, 11, 22), "Minggu"),
        (date(2026, 11, 23), "Senin"),
        (date(2026, 11, 24), "Selasa"),
        (date(2026, 11, 25), "Rabu"),
        (date(2026, 11, 26), "Kamis"),
        (date(2026, 11, 27), "Jumat"),
        (date(2000, 1, 1), "Sabtu"),
        (datetime(2026, 1, 1, 8, 0), "Kamis"),
    ],
)
def test_hari(d, expected):
    assert hari(d) == expected


@pytest.mark.parametrize(
    "d, expected",
    [
        (date(2026, 11, 21), "21-11-2026"),
        (date(2026, 1, 1), "01-01-2026"),
        (date(2026, 12, 31), "31-12-2026"),
        (date(2000, 7, 4), "04-07-2000"),
        (datetime(2011, 11, 11, 11, 11), "11-11-2011"),
    ],
)
def test_tanggal_angka(d, expected):
    assert tanggal_angka(d) == expected


@pytest.mark.parametrize(
    "d, expected",
    [
        (date(2026, 11, 21),
         "Sabtu tanggal dua puluh satu bulan November tahun dua ribu dua puluh enam"),
        (date(2026, 1, 1), "Kamis tanggal satu bulan Januari tahun dua ribu dua puluh enam"),
        (date(2026, 12, 31),
         "Kamis tanggal tiga puluh satu bulan Desember tahun dua ribu dua puluh enam"),
        (date(2000, 1, 1), "Sabtu tanggal satu bulan Januari tahun dua ribu"),
        (date(2011, 11, 11), "Jumat tanggal sebelas bulan November tahun dua ribu sebelas"),
        (date(2010, 10, 10), "Minggu tanggal sepuluh bulan Oktober tahun dua ribu sepuluh"),
        (datetime(2026, 11, 21, 14, 5),
         "Sabtu tanggal dua puluh satu bulan November tahun dua ribu dua puluh enam"),
    ],
)
def test_tanggal_terbilang(d, expected):
    assert tanggal_terbilang(d) == expected


@pytest.mark.parametrize(
    "t, expected",
    [
        (datetime(2026, 11, 21, 14, 5), "14.05"),
        (datetime(2026, 11, 21, 0, 0), "00.00"),
        (datetime(2026, 11, 21, 9, 30, 59), "09.30"),
        (time(23, 59), "23.59"),
    ],
)
def test_jam(t, expected):
    assert jam(t) == expected


def test_jam_rejects_a_plain_date():
    with pytest.raises(TypeError):
        jam(date(2026, 11, 21))


@pytest.mark.parametrize(
    "n, expected",
    [
        (0, "nol"),
        (1, "satu"),
        (10, "sepuluh"),
        (11, "sebelas"),
        (12, "dua belas"),
        (19, "sembilan belas"),
        (21, "dua puluh satu"),
        (31, "tiga puluh satu"),
        (100, "seratus"),
        (111, "seratus sebelas"),
        (1000, "seribu"),
        (2000, "dua ribu"),
        (2011, "dua ribu sebelas"),
        (2026, "dua ribu dua puluh enam"),
        (1_500_000, "satu juta lima ratus ribu"),
        ("0057", "lima puluh tujuh"),
    ],
)
def test_terbilang(n, expected):
    assert terbilang(n) == expected


def test_terbilang_rejects_non_numbers():
    with pytest.raises(ValueError):
        terbilang("tujuh")
    with pytest.raises(TypeError):
        terbilang(True)


def test_date_functions_reject_strings():
    with pytest.raises(TypeError):
        tanggal("2026-11-21")
