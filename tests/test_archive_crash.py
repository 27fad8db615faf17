"""Crash safety: a process filing letters is killed (SIGKILL) at random points, again and again.

After every kill the archive holds, for each number, a complete filed letter (row + blob whose
sha256 matches) or nothing; no number is given twice and none is skipped; the audit chain holds.
What may remain: temporary files under blobs/tmp (a kill between writing and linking; they are
never referred to and are cleared when the same blob is written again) and a blob no row names
yet (a kill after the blob was linked but before the commit). Never a blob whose name is not the
sha256 of its content: a blob is linked into place only after it is completely written and fsynced.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from archive import audit
from archive.db import connect
from archive.store import Archive

ROOT = Path(__file__).resolve().parents[1]
ITERATIONS = 20
PAYLOAD = 3 * 1024 * 1024  # large enough that a kill often lands in the middle of writing the blob

CHILD = r"""
import os, sys
from datetime import datetime
from pathlib import Path
from archive import audit
from archive.db import connect
from archive.store import Archive

home = Path(sys.argv[1])
archive = Archive(home, connect(home))
print("ready", flush=True)
while True:
    payload = os.urandom(int(sys.argv[2]))
    with archive.issue(office="o", series="surat", kka="000.8.3.4", hal="Jawaban", pattern="{kka}/{urut}/{unit}/{tahun}",
                       padding=4, unit="X", when=datetime(2026, 11, 21, 10, 0)) as issuing:
        filed = issuing.file(payload, doc_key="surat_jawaban", complaint="R")
        audit.append(archive.conn, actor="crash", action="file", subject=filed.nomor, data={"sha256": filed.sha256})
    print(filed.nomor, filed.sha256, flush=True)  # only after the commit
"""


def _check(home: Path, committed: dict[str, str]) -> int:
    conn = connect(home)
    archive = Archive(home, conn)
    letters = {r["nomor"]: r for r in conn.execute("SELECT nomor, sha256, size FROM letters")}
    numbers = [r["urut"] for r in conn.execute("SELECT urut FROM numbers WHERE office='o' ORDER BY urut")]
    last = conn.execute("SELECT last FROM counters WHERE office='o'").fetchone()
    assert numbers == list(range(1, len(numbers) + 1))  # never twice, never a gap
    assert (last[0] if last else 0) == len(numbers)  # the counter never ran ahead of the register
    assert len(letters) == len(numbers)  # every number has its letter, every letter its number
    for nomor, row in letters.items():
        data = archive.blobs.path(row["sha256"]).read_bytes()
        assert len(data) == row["size"] and hashlib.sha256(data).hexdigest() == row["sha256"], nomor
    for nomor, digest in committed.items():  # what the child saw committed is there
        assert letters[nomor]["sha256"] == digest
    for blob in (home / "blobs").glob("??/*"):  # no blob under a name it does not have
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.parent.name + blob.name, blob
    report = audit.verify(conn)
    assert report.ok and report.events == len(letters), report.to_text()
    conn.close()
    return len(letters)


def test_sigkill_while_filing_leaves_whole_letters_or_nothing(tmp_path):
    rng = random.Random(int(os.environ.get("NASKAH_CRASH_SEED", "20261121")))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    committed: dict[str, str] = {}
    mid_write, seen_parts = 0, set()
    started = time.perf_counter()
    for _ in range(ITERATIONS):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path), str(PAYLOAD)], stdout=subprocess.PIPE, text=True, env=env)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.4))
        os.kill(child.pid, signal.SIGKILL)
        out, _ = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL
        for line in out.splitlines():
            nomor, digest = line.split()
            committed[nomor] = digest
        parts = set((tmp_path / "blobs" / "tmp").glob("*.part"))
        mid_write += bool(parts - seen_parts)
        seen_parts |= parts
        _check(tmp_path, committed)
    filed = _check(tmp_path, committed)
    # after all that, the next process continues with the next number
    archive = Archive(tmp_path, connect(tmp_path))
    from datetime import datetime

    with archive.issue(office="o", series="surat", kka="000.8.3.4", hal="Jawaban", pattern="{kka}/{urut}/{unit}/{tahun}",
                       padding=4, unit="X", when=datetime(2026, 11, 21, 10, 0)) as issuing:
        issuing.file(b"after the crashes", doc_key="surat_jawaban")
    assert issuing.urut == filed + 1
    assert filed >= len(committed) > 0
    print(f"\n{ITERATIONS} kills in {time.perf_counter() - started:.1f} s: {filed} letters filed "
          f"({len(committed)} seen committed), {mid_write} kills left a partial blob in blobs/tmp")
