"""Retention (JRA): the KKA table, an office's own entries, longest-prefix match, fixed dates."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime

import pytest

from archive import retention
from archive.db import connect
from archive.errors import KkaTableError
from archive.store import Archive
from correspondence.catalog import SHIPPED_OFFICES, SHIPPED_SOPS
from clitools import run_naskah as naskah  # tests/clitools.py

PATTERN = dict(pattern="{kka}/{urut}/{unit}/{tahun}", padding=4, unit="X")


def _file(archive: Archive, office: str, kka: str, when: datetime, hal: str = "Surat") -> str:
    with archive.issue(office=office, series="surat", kka=kka, hal=hal, when=when, **PATTERN) as issuing:
        issuing.file(f"{kka} {when}".encode(), doc_key="d")
    return issuing.nomor


def test_shipped_table_covers_the_shipped_offices_kka():
    table = retention.load_table()
    for code in ("000.8.3.4", "700.1.2.4", "800.1.11.1", "000.1.5", "500.16"):
        assert table.match(code) is not None, code
    assert (table.rules["700.1.2.4"].active, table.rules["700.1.2.4"].inactive, table.rules["700.1.2.4"].fate) == (2, 3, "Permanen")
    import yaml

    used = set()
    for sop in SHIPPED_SOPS.glob("*.yaml"):
        for doc in (yaml.safe_load(sop.read_text(encoding="utf-8")).get("documents") or {}).values():
            if doc.get("kka"):
                used.add(str(doc["kka"]))
    assert used and all(table.match(k) for k in used), used


def test_longest_prefix_on_whole_segments(tmp_path):
    extra = tmp_path / "kka.yaml"
    extra.write_text('schema: naskah/kka/1\nentries:\n'
                     '  - {code: "500", name: Perekonomian, active: 1, inactive: 1, fate: Musnah}\n'
                     '  - {code: "500.16.2", name: Perizinan berusaha, active: 3, inactive: 7, fate: Permanen}\n', encoding="utf-8")
    table = retention.load_table(extra)
    assert table.match("500.16.2.1").code == "500.16.2"
    assert table.match("500.16.3").code == "500.16"
    assert table.match("500.161").code == "500"
    assert table.match("000.8.3.4.1").code == "000.8.3.4"
    assert table.match("900.1") is None


def test_office_entries_override_and_add(tmp_path):
    home_file = tmp_path / "home-kka.yaml"
    home_file.write_text('schema: naskah/kka/1\nentries:\n'
                         '  - {code: "000.8.3.4", name: Pengaduan, active: 1, inactive: 1, fate: Musnah}\n', encoding="utf-8")
    office_file = tmp_path / "office-kka.yaml"
    office_file.write_text('schema: naskah/kka/1\nentries:\n'
                           '  - {code: "000.8.3.4", name: Pengaduan (kantor), active: 3, inactive: 2, fate: Permanen}\n'
                           '  - {code: "600.4", name: Lingkungan hidup, active: 2, inactive: 8, fate: Dinilai Kembali}\n', encoding="utf-8")
    table = retention.load_table(home_file, office_file)
    assert (table.match("000.8.3.4").active, table.match("000.8.3.4").fate) == (3, "Permanen")
    assert table.match("600.4.1").name == "Lingkungan hidup"
    assert retention.load_table(home_file).match("000.8.3.4").fate == "Musnah"


@pytest.mark.parametrize("entry, message", [
    ("{code: 500.16, name: x, active: 1, inactive: 1, fate: Musnah}", "in quotes"),
    ('{code: "5.1", name: x, active: 1, inactive: 1, fate: Musnah}', "not a KKA"),
    ('{code: "500", name: x, active: 1, inactive: 1, fate: Dibakar}', "fate"),
    ('{code: "500", name: x, active: "dua", inactive: 1, fate: Musnah}', "active"),
    ('{code: "500", name: x, active: 1, fate: Musnah}', "missing"),
    ('{code: "500", name: x, active: 1, inactive: 1, fate: Musnah, nasib: x}', "unknown key"),
])
def test_malformed_table_is_named(tmp_path, entry, message):
    bad = tmp_path / "kka.yaml"
    bad.write_text(f"schema: naskah/kka/1\nentries:\n  - {entry}\n", encoding="utf-8")
    with pytest.raises(KkaTableError, match=message):
        retention.load_table(bad)


def test_due_for_transfer_and_fate_at_fixed_dates(tmp_path):
    conn = connect(tmp_path)
    archive = Archive(tmp_path, conn)
    laporan = _file(archive, "o", "700.1.2.4", datetime(2020, 3, 1))   # 2 + 3, Permanen
    tugas = _file(archive, "o", "800.1.11.1", datetime(2024, 2, 29))   # 1 + 2, Musnah; leap day
    jawaban = _file(archive, "o", "000.8.3.4", datetime(2025, 6, 30))  # 2 + 3, Dinilai Kembali
    other = _file(archive, "o", "900.9", datetime(2020, 1, 1))         # no JRA entry
    table = retention.load_table()

    def at(day: date) -> dict[str, retention.RetentionItem]:
        return {i.nomor: i for i in retention.due(conn, at=day, table_for=lambda office: table)}

    assert set(at(date(2022, 2, 28))) == {other}  # nothing due yet but the letter without a rule
    early = at(date(2022, 3, 1))
    assert set(early) == {laporan, other}
    assert (early[laporan].stage, early[laporan].due, early[laporan].fate_due) == ("transfer", "2022-03-01", "2025-03-01")
    assert early[other].stage == "unclassified" and "kka.yaml" in early[other].action

    mid = at(date(2025, 2, 28))
    assert mid[laporan].stage == "transfer"
    assert mid[tugas].stage == "transfer" and mid[tugas].due == "2025-02-28"  # 29 Feb + 1 year
    assert jawaban not in mid

    late = at(date(2027, 12, 31))
    assert (late[laporan].stage, late[laporan].fate, late[laporan].due) == ("fate", "Permanen", "2025-03-01")
    assert "lembaga kearsipan" in late[laporan].action
    assert (late[tugas].stage, late[tugas].fate, late[tugas].due) == ("fate", "Musnah", "2027-02-28")
    assert (late[jawaban].stage, late[jawaban].due) == ("transfer", "2027-06-30")


def test_exact_boundaries(tmp_path):
    conn = connect(tmp_path)
    archive = Archive(tmp_path, conn)
    nomor = _file(archive, "o", "700.1.2.4", datetime(2020, 3, 1))
    table = retention.load_table()

    def stage(day: date) -> str:
        found = {i.nomor: i.stage for i in retention.due(conn, at=day, table_for=lambda office: table)}
        return found.get(nomor, "active")

    assert [stage(date(2022, 2, 28)), stage(date(2022, 3, 1)), stage(date(2025, 2, 28)), stage(date(2025, 3, 1))] == [
        "active", "transfer", "transfer", "fate"]


def test_cli_retention_uses_the_offices_own_table(tmp_path):
    own = tmp_path / "offices" / "pangkalpinang"
    own.mkdir(parents=True)
    shutil.copy(SHIPPED_OFFICES / "pangkalpinang" / "office.yaml", own / "office.yaml")
    (own / "kka.yaml").write_text('schema: naskah/kka/1\nentries:\n'
                                  '  - {code: "000.8.3.4", name: Pengaduan (kantor), active: 1, inactive: 1, fate: Musnah}\n',
                                  encoding="utf-8")
    (tmp_path / "kka.yaml").write_text('schema: naskah/kka/1\nentries:\n'
                                       '  - {code: "600.4", name: Lingkungan hidup, active: 2, inactive: 8, fate: Dinilai Kembali}\n',
                                       encoding="utf-8")
    conn = connect(tmp_path)
    archive = Archive(tmp_path, conn)
    jawaban = _file(archive, "pangkalpinang", "000.8.3.4", datetime(2024, 1, 10))
    lh = _file(archive, "pangkalpinang", "600.4.2", datetime(2024, 1, 10))
    conn.close()
    result = naskah(tmp_path, "archive", "retention", "--at", "2026-01-10", "--json")
    assert result.returncode == 0, result.stderr
    items = {i["nomor"]: i for i in json.loads(result.stdout)}
    assert (items[jawaban]["stage"], items[jawaban]["fate"], items[jawaban]["rule_name"]) == ("fate", "Musnah", "Pengaduan (kantor)")
    assert (items[lh]["stage"], items[lh]["rule"]) == ("transfer", "600.4")
    text = naskah(tmp_path, "archive", "retention", "--at", "2024-06-01")
    assert text.returncode == 0 and "0 letter(s) due" in text.stdout
    assert naskah(tmp_path, "archive", "retention", "--at", "kemarin").returncode == 2
    (own / "kka.yaml").write_text("schema: naskah/kka/1\nentries:\n  - {code: 000.8, name: x}\n", encoding="utf-8")
    broken = naskah(tmp_path, "archive", "retention", "--at", "2026-01-10")
    assert broken.returncode == 3 and "kka.yaml" in broken.stderr
