"""Conversion: Naskah's converter against one warm LibreOffice converting the same files in a batch.

**Peer**: ``soffice --headless --convert-to pdf:writer_pdf_Export:{the PDF/A-2b options Naskah
uses} --outdir OUT f1.docx ... fN.docx``, a single invocation for all N files, on a profile that
was initialised before (a user's profile exists). Its *warm* time per file is
``(t(N files) - t(1 file)) / (N - 1)``: the batch total minus what a one-file run of the same
command costs (start-up, first-document loading, shutdown), spread over the other files. Each
repetition measures both calls, so each repetition gives one warm time per file.

**Naskah, one worker**: one :class:`~correspondence.converter.Converter`, started and warmed by
one conversion before the clock; it converts the same N files one after another (each call writes
the DOCX, converts through the UNO worker, reads the PDF back and adds the bookmark names).
Time per file = total / N.

**Naskah, two workers**: a :class:`~correspondence.converter.ConverterPool` of two converters
(two offices), warmed the same way, converting the N files with ``map`` (two threads). Throughput
= N / wall time, against the batch's warm throughput ``(N - 1) / (t(N) - t(1))``.

The three are interleaved within each repetition so that a busy moment of the machine falls on
all of them alike.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from . import letters
from .endtoend import PDFA_FILTER
from .stats import Figure, Summary


def _soffice_batch(soffice: str, profile: str, files: list[Path], out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    started = time.perf_counter()
    done = subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                           "--convert-to", PDFA_FILTER, "--outdir", str(out), *map(str, files)],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
    elapsed = time.perf_counter() - started
    made = sorted(p.name for p in out.glob("*.pdf"))
    if done.returncode != 0 or len(made) != len(files):
        raise RuntimeError(f"soffice batch made {len(made)} of {len(files)} PDFs: {done.stderr[-300:]!r}")
    return elapsed


def run(home: Path, scratch: Path, *, files: int, repeats: int, say=print) -> tuple[list[Figure], dict]:
    from correspondence.converter import Converter, ConverterPool

    bench = letters.open_home(home)
    work = scratch / "conversion"
    shutil.rmtree(work, ignore_errors=True)
    (work / "in").mkdir(parents=True)
    docs = [letters.letter_docx(bench, 500 + i) for i in range(files)]
    paths = []
    for i, d in enumerate(docs):
        p = work / "in" / f"surat-{i:03d}.docx"
        p.write_bytes(d)
        paths.append(p)
    soffice = shutil.which("soffice") or shutil.which("libreoffice") or "soffice"
    profile = (work / "profile").as_uri()
    _soffice_batch(soffice, profile, paths[:1], work / "warm")  # the profile's first start, untimed

    batch_file, batch_rate, one_file, batch_total = [], [], [], []
    single_file, pool_rate = [], []
    with Converter(work / "run") as single, ConverterPool(work / "run", size=2) as pool:
        single.convert(docs[0])
        pool.map(docs[:2])
        for r in range(repeats):
            say(f"  repetition {r + 1}/{repeats}: batch of {files}, 1 file, Naskah x1, Naskah x2")
            t_n = _soffice_batch(soffice, profile, paths, work / "out")
            t_1 = _soffice_batch(soffice, profile, paths[:1], work / "out1")
            batch_total.append(t_n)
            one_file.append(t_1)
            batch_file.append((t_n - t_1) / (files - 1))
            batch_rate.append((files - 1) / (t_n - t_1))
            started = time.perf_counter()
            for d in docs:
                single.convert(d)
            single_file.append((time.perf_counter() - started) / files)
            started = time.perf_counter()
            pdfs = pool.map(docs)
            pool_rate.append(files / (time.perf_counter() - started))
            assert len(pdfs) == files and all(p.startswith(b"%PDF-") for p in pdfs)
        restarts = single.restarts + pool.restarts

    one = Summary.of(single_file).scaled(1000)
    batch = Summary.of(batch_file).scaled(1000)
    two = Summary.of(pool_rate)
    batch_r = Summary.of(batch_rate)
    t1 = Summary.of(one_file)
    tn = Summary.of(batch_total)
    note = (f"{files} letters (shipped surat_jawaban template), {repeats} repetitions. Batch: {files} files in "
            f"{tn.median:.2f} s, 1 file in {t1.median:.2f} s (median); warm per file = difference / {files - 1}. "
            f"Converter restarts during the run: {restarts}.")
    figs = [
        Figure("Conversion", "DOCX -> PDF/A-2b, one worker: time per file", "ms", one, batch,
               "one warm soffice --convert-to batch call", one.median / batch.median,
               f"{one.median / batch.median:.2f}x the batch's time", "<= 1.1x the batch",
               one.median <= 1.1 * batch.median, note),
        Figure("Conversion", "two workers: throughput", "files/s", two, batch_r,
               "the same batch call (warm throughput)", two.median / batch_r.median,
               f"{two.median / batch_r.median:.2f}x the batch's throughput", ">= 1.8x the batch",
               two.median >= 1.8 * batch_r.median, "ConverterPool(size=2): two LibreOffice processes."),
    ]
    raw = {"batch_total_s": batch_total, "one_file_s": one_file, "naskah_one_worker_s_per_file": single_file,
           "naskah_two_workers_files_per_s": pool_rate, "restarts": restarts}
    return figs, raw
