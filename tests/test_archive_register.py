"""The number register: take (outside Naskah), void, list; series per office; 8 processes at once."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from datetime import datetime
from functools import partial
from pathlib import Path

import pytest
import yaml

from archive import audit, register
from archive.db import connect
from archive.errors import NumberAlreadyVoid, NumberNotFound, NumberingError
from archive.store import Archive
from correspondence.catalog import SHIPPED_OFFICES
from correspondence.office import Numbering
from correspondence.services import Naskah
from clitools import run_naskah  # tests/clitools.py

WHEN = datetime(2026, 11, 21, 10, 0)
TAKE = dict(office="o", series="surat", kka="000.8.3.4", pattern="{kka}/{urut}/{unit}/{tahun}", padding=4, unit="DPMPTSP")

naskah = partial(run_naskah, env={"NASKAH_ACTOR": "tu"})


def test_take_void_list(tmp_path):
    conn = connect(tmp_path)
    a = register.take_number(conn, **TAKE, hal="Undangan rapat", when=WHEN, actor="tu")
    b = register.take_number(conn, **TAKE, hal="Surat edaran", when=WHEN, actor="tu")
    assert (a.nomor, b.nomor) == ("000.8.3.4/0001/DPMPTSP/2026", "000.8.3.4/0002/DPMPTSP/2026")
    voided = register.void_number(conn, a.nomor, reason="salah alamat", actor="kasubag")
    assert voided.void and voided.reason == "salah alamat"
    with pytest.raises(NumberAlreadyVoid):
        register.void_number(conn, a.nomor, reason="lagi", actor="kasubag")
    with pytest.raises(NumberNotFound):
        register.void_number(conn, "000.8.3.4/0099/DPMPTSP/2026", reason="x", actor="kasubag")
    with pytest.raises(NumberingError, match="reason"):
        register.void_number(conn, b.nomor, reason=" ", actor="kasubag")
    c = register.take_number(conn, **TAKE, hal="Pengganti", when=WHEN, actor="tu")
    assert c.urut == 3  # a void number is never given again
    rows = register.list_numbers(conn)
    assert [(r.urut, r.status, r.reason) for r in rows] == [(1, "void", "salah alamat"), (2, "issued", ""), (3, "issued", "")]
    assert register.list_numbers(conn, year=2027) == []
    assert [(e.action, e.subject) for e in audit.events(conn)] == [
        ("number take", a.nomor), ("number take", b.nomor), ("number void", a.nomor), ("number take", c.nomor)]
    assert audit.verify(conn).ok


def test_taken_and_filed_numbers_share_one_counter(tmp_path):
    conn = connect(tmp_path)
    archive = Archive(tmp_path, conn)
    register.take_number(conn, **TAKE, hal="Di luar Naskah", when=WHEN, actor="tu")
    with archive.issue(**TAKE, hal="Jawaban", when=WHEN) as issuing:
        issuing.file(b"%PDF-1.7 x", doc_key="surat_jawaban")
    assert issuing.urut == 2
    assert [(r.urut, r.filed) for r in register.list_numbers(conn)] == [(1, False), (2, True)]
    assert register.void_number(conn, issuing.nomor, reason="dibatalkan", actor="kadis").filed


def test_series_have_their_own_counters():
    numbering = Numbering(unit="X", series={"800.1.11": "tugas", "surat_undangan": "undangan"})
    assert numbering.series_for(kka="800.1.11.1") == "tugas"
    assert numbering.series_for(kka="800.1.110") == "surat"  # whole segments only
    assert numbering.series_for(doc_key="surat_undangan", kka="000.1.5") == "undangan"
    assert numbering.series_for(kka="000.8.3.4") == "surat"
    with pytest.raises(ValueError, match="agenda"):
        Numbering(unit="X", series={"800": "agenda"})


def _office_with_series(home: Path) -> None:
    own = home / "offices" / "pangkalpinang"
    own.mkdir(parents=True)
    profile = yaml.safe_load((SHIPPED_OFFICES / "pangkalpinang" / "office.yaml").read_text(encoding="utf-8"))
    profile["numbering"]["series"] = {"800.1.11": "tugas"}
    (own / "office.yaml").write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    shutil.copy(SHIPPED_OFFICES / "pangkalpinang" / "office.yaml", home / "shipped-copy.yaml")


def test_service_takes_per_series_for_an_office_that_configures_them(tmp_path):
    _office_with_series(tmp_path)
    with Naskah(tmp_path, clock=lambda: WHEN) as service:
        st1 = service.take_number("pangkalpinang", kka="800.1.11.1", hal="Surat tugas", actor="tu")
        j1 = service.take_number("pangkalpinang", kka="000.8.3.4", hal="Jawaban", actor="tu")
        st2 = service.take_number("pangkalpinang", kka="800.1.11.1", hal="Surat tugas 2", actor="tu")
    assert (st1.series, st1.urut, j1.series, j1.urut, st2.urut) == ("tugas", 1, "surat", 1, 2)
    assert st2.nomor == "800.1.11.1/0002/DPMPTSP-NAKER/2026"


def test_cli_number_take_void_list(tmp_path):
    first = naskah(tmp_path, "number", "take", "--kka", "000.8.3.4", "--hal", "Undangan rapat koordinasi")
    assert first.returncode == 0, first.stderr
    nomor = first.stdout.strip().splitlines()[-1]
    assert nomor == f"000.8.3.4/0001/DPMPTSP-NAKER/{datetime.now().year}"
    second = naskah(tmp_path, "number", "take", "--kka", "800.1.11.1", "--hal", "Surat tugas")
    assert second.stdout.strip().splitlines()[-1].startswith("800.1.11.1/0002/")
    voided = naskah(tmp_path, "number", "void", nomor, "--reason", "acara batal")
    assert voided.returncode == 0 and "void" in voided.stdout
    again = naskah(tmp_path, "number", "void", nomor, "--reason", "acara batal")
    assert again.returncode == 5 and "void already" in again.stderr
    unknown = naskah(tmp_path, "number", "void", "000.8.3.4/0999/X/2026", "--reason", "x")
    assert unknown.returncode == 4 and "not in the register" in unknown.stderr
    no_hal = naskah(tmp_path, "number", "take", "--kka", "000.8.3.4", "--hal", " ")
    assert no_hal.returncode == 2
    listed = naskah(tmp_path, "number", "list")
    assert f"{nomor}\t" in listed.stdout and "VOID (acara batal)" in listed.stdout
    as_json = json.loads(naskah(tmp_path, "number", "list", "--json", "--year", str(datetime.now().year)).stdout)
    assert [(e["urut"], e["status"]) for e in as_json] == [(1, "void"), (2, "issued")]
    events = json.loads(naskah(tmp_path, "audit", "show", "--json").stdout)
    assert [(e["action"], e["actor"]) for e in events] == [("number take", "tu"), ("number take", "tu"), ("number void", "tu")]


# -- 8 processes, 50 numbers each, at once -----------------------------------------------------
WORKERS, EACH = 8, 50


def _worker(home: Path, start, queue) -> None:
    conn = connect(home)
    start.wait()
    got = []
    for i in range(EACH):
        entry = register.take_number(conn, **TAKE, hal=f"surat {os.getpid()} {i}", when=WHEN, actor=f"p{os.getpid()}")
        got.append((entry.urut, entry.nomor))
    conn.close()
    queue.put(got)


def test_eight_processes_get_400_distinct_consecutive_numbers(tmp_path):
    register.ensure_schema(connect(tmp_path))
    ctx = multiprocessing.get_context("spawn")
    start, queue = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(tmp_path, start, queue)) for _ in range(WORKERS)]
    for p in procs:
        p.start()
    time.sleep(0.5)  # let them import and open the database, then release them together
    began = time.perf_counter()
    start.set()
    results = [queue.get(timeout=120) for _ in procs]
    elapsed = time.perf_counter() - began
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    urut = sorted(u for got in results for u, _ in got)
    assert urut == list(range(1, WORKERS * EACH + 1))  # distinct, consecutive, no gap
    assert len({n for got in results for _, n in got}) == WORKERS * EACH
    for got in results:  # each process saw its own numbers increase
        assert [u for u, _ in got] == sorted(u for u, _ in got)
    conn = connect(tmp_path)
    assert [r.urut for r in register.list_numbers(conn)] == list(range(1, 401))
    assert conn.execute("SELECT last FROM counters WHERE office='o' AND series='surat' AND year=2026").fetchone()[0] == 400
    report = audit.verify(conn)
    assert report.ok and report.events == 400
    print(f"\n8x50 number take: {elapsed:.2f} s, {400 / elapsed:.0f} numbers/s")
