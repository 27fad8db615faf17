"""Conversion: Naskah's converter against one warm LibreOffice converting the same files in a batch.

**Peer**: ``soffice --headless --convert-to pdf:writer_pdf_Export:{the PDF/A-2b options Naskah
uses} --outdir OUT f1.docx ... fN.docx``, a single invocation for all N files, on a profile that
was initialised before (a user's profile exists). Its *warm* time per file is
``(t(N files) - t(1 file)) / (N - 1)``: the batch total minus what a one-file run of the same
command costs (start-up, first-document loading, shutdown), spread over the other files. Each
repetition measures both calls, so each repetition gives one warm time per file.

**Naskah, one worker**: one :class:`~correspondence.converter.Converter`, started and warmed by
one conversion before the clock, converts the same N files with ``Converter.map``, its batch call:
one LibreOffice, the next file already waiting in the UNO worker while Naskah adds the bookmark
names to the PDF before it. Time per file = total / N. Reported beside it (not the figure): the
same N files by N single ``convert`` calls, where LibreOffice waits for Naskah between files.

**Naskah, two workers**: a :class:`~correspondence.converter.ConverterPool` of two converters
(two offices), warmed the same way, converting the N files with ``ConverterPool.map`` (each office
streams as above). Throughput = N / wall time, against the batch's warm throughput
``(N - 1) / (t(N) - t(1))``.

**Ceiling** (in the notes): two batch calls at once, each on half the files with its own profile,
warm throughput ``(N - 2) / (t - t(1 file))``: what two LibreOffice processes get from this machine
without Naskah.

They are interleaved within each repetition so that a busy moment of the machine falls on all of
them alike.
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


def _two_batches(soffice: str, profiles: list[str], files: list[Path], out: Path) -> float:
    """Two batch calls at once, each on half the files and its own profile: what this machine gives
    two LibreOffice processes side by side (the ceiling of any two-office converter)."""
    shutil.rmtree(out, ignore_errors=True)
    halves = [files[0::2], files[1::2]]
    started = time.perf_counter()
    procs = []
    for n, (profile, part) in enumerate(zip(profiles, halves)):
        (out / str(n)).mkdir(parents=True)
        procs.append(subprocess.Popen([soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                                       "--convert-to", PDFA_FILTER, "--outdir", str(out / str(n)), *map(str, part)],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for proc in procs:
        if proc.wait(timeout=600) != 0:
            raise RuntimeError("a parallel soffice batch failed")
    elapsed = time.perf_counter() - started
    if len(list(out.glob("*/*.pdf"))) != len(files):
        raise RuntimeError("the parallel soffice batches did not make every PDF")
    return elapsed


_BURN = "import time\nt = time.process_time()\nx = 0\nfor i in range(6_000_000): x += i * i\n"


def cpu_scaling() -> float:
    """Two CPU-bound processes at once against one (a plain Python loop): the machine's own
    two-core ceiling, whatever the program."""
    import sys

    def wall(n: int) -> float:
        started = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", _BURN]) for _ in range(n)]
        for proc in procs:
            proc.wait()
        return time.perf_counter() - started

    from statistics import median

    return median(2 * wall(1) / wall(2) for _ in range(3))  # one busy moment must not decide it


def _python_part_ms(docs: list[bytes], pdfs: list[bytes]) -> float:
    """Median ms per file of what Naskah's converter does in Python around LibreOffice's work that
    the batch call does not: the DOCX check with its bookmark names, and the destination names
    (``pdfs``: LibreOffice's PDFs of ``docs`` before the names are added)."""
    from statistics import median

    from correspondence.converter import _add_destination_aliases, _docx_bookmarks

    times = []
    for d, pdf in zip(docs, pdfs):
        started = time.perf_counter()
        _add_destination_aliases(pdf, _docx_bookmarks(d))
        times.append(time.perf_counter() - started)
    return 1000 * median(times)


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
    profiles = [(work / f"profile-{n}").as_uri() for n in (1, 2)]
    for n, other in enumerate(profiles):
        _soffice_batch(soffice, other, paths[:1], work / f"warm-{n}")
    two_batch_rate = []

    batch_file, batch_rate, one_file, batch_total = [], [], [], []
    single_file, call_file, pool_rate = [], [], []
    with Converter(work / "run") as single, ConverterPool(work / "run", size=2) as pool:
        single.convert(docs[0])
        pool.map(docs[:2])
        for r in range(repeats):
            say(f"  repetition {r + 1}/{repeats}: batch of {files}, 1 file, two batches, Naskah x1 (map, "
                f"single calls), Naskah x2")
            t_n = _soffice_batch(soffice, profile, paths, work / "out")
            t_1 = _soffice_batch(soffice, profile, paths[:1], work / "out1")
            batch_total.append(t_n)
            one_file.append(t_1)
            batch_file.append((t_n - t_1) / (files - 1))
            batch_rate.append((files - 1) / (t_n - t_1))
            t_2 = _two_batches(soffice, profiles, paths, work / "out2")
            two_batch_rate.append((files - 2) / (t_2 - t_1))
            started = time.perf_counter()
            pdfs = single.map(docs)
            single_file.append((time.perf_counter() - started) / files)
            assert len(pdfs) == files and all(p.startswith(b"%PDF-") for p in pdfs)
            started = time.perf_counter()
            for d in docs:
                single.convert(d)
            call_file.append((time.perf_counter() - started) / files)
            started = time.perf_counter()
            pdfs = pool.map(docs)
            pool_rate.append(files / (time.perf_counter() - started))
            assert len(pdfs) == files and all(p.startswith(b"%PDF-") for p in pdfs)
        restarts = single.restarts + pool.restarts
        python_ms = _python_part_ms(docs[:5], [single._convert_checked(d) for d in docs[:5]])

    scaling = cpu_scaling()
    one = Summary.of(single_file).scaled(1000)
    calls = Summary.of(call_file).scaled(1000)
    batch = Summary.of(batch_file).scaled(1000)
    two = Summary.of(pool_rate)
    batch_r = Summary.of(batch_rate)
    t1 = Summary.of(one_file)
    tn = Summary.of(batch_total)
    note = (f"{files} letters (shipped surat_jawaban template), {repeats} repetitions. Batch: {files} files in "
            f"{tn.median:.2f} s, 1 file in {t1.median:.2f} s (median); warm per file = difference / {files - 1}. "
            f"Naskah one worker = Converter.map; the same files by single convert() calls: {calls.median:.1f} ms "
            f"per file ({calls.median / batch.median:.2f}x the batch). Converter restarts during the run: {restarts}.")
    figs = [
        Figure("Conversion", "DOCX -> PDF/A-2b, one worker: time per file", "ms", one, batch,
               "one warm soffice --convert-to batch call", one.median / batch.median,
               f"{one.median / batch.median:.2f}x the batch's time", "<= 1.1x the batch",
               one.median <= 1.1 * batch.median, note),
        Figure("Conversion", "two workers: throughput", "files/s", two, batch_r,
               "the same batch call (warm throughput)", two.median / batch_r.median,
               f"{two.median / batch_r.median:.2f}x the batch's throughput", ">= 1.8x the batch",
               two.median >= 1.8 * batch_r.median,
               f"ConverterPool(size=2): two LibreOffice processes. What this machine gives two LibreOffice "
               f"processes at all: two batch calls side by side, each on half the files, reach "
               f"{Summary.of(two_batch_rate).median:.2f} files/s warm ((N - 2) / (t - t(1 file))), "
               f"{Summary.of(two_batch_rate).median / batch_r.median:.2f}x the single batch; two CPU-bound "
               f"processes (a plain Python loop) run at {scaling:.2f}x one."),
    ]
    raw = {"batch_total_s": batch_total, "one_file_s": one_file, "naskah_one_worker_s_per_file": single_file,
           "naskah_single_calls_s_per_file": call_file,
           "naskah_two_workers_files_per_s": pool_rate, "two_batches_files_per_s": two_batch_rate,
           "cpu_scaling_two_processes": scaling, "python_ms_per_file": python_ms,
           "restarts": restarts}
    return figs, raw
