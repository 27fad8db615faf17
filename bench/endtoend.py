"""End to end: letters rendered, converted to PDF/A-2b, given 3 paraf and a TTE, and filed.

**Naskah**, measured two ways, interleaved: two worker processes, and two worker threads in one
process (the shape of a single server process; the Python work then shares one core's worth of
interpreter, LibreOffice runs beside it). The two workers share one ``NASKAH_HOME``; each holds its own warm
:class:`~correspondence.converter.Converter` and its four decrypted keys, and per letter does what
the services do on the way from draft to archive: ``render_docx`` (docxtpl) ->
``Converter.iter_convert`` (a pipeline: the worker's LibreOffice converts the next letters while
this one is signed) -> ``signing.prepare`` -> ``sign_paraf`` x3 -> inside ``Archive.issue``
(the nomor is taken in the filing transaction) ``sign_tte`` + ``Issuing.file`` (blob fsynced, row,
search index, audit event), then ``housekeeping.after_letter()`` as ``Naskah(long_lived=True)``
does after each filed letter (the letter's garbage collected, free heap pages returned; its time
is the ``housekeeping`` stage). The clock starts when both workers are ready (imports done, keys
loaded, LibreOffice started and warmed by one conversion and one signature); the start-up is
recorded apart.

**Naive path** (also two worker processes): per letter docxtpl with the nomor already in the
DOCX, a new ``soffice --headless --convert-to pdf:writer_pdf_Export:{PDF/A-2b options}`` (its
own profile per worker, initialised before the clock starts), then the ``pyhanko sign addsig``
command line once per signature (3 invisible paraf fields, 1 visible TTE field at the place
Naskah would put it), then the file copied into a folder and fsynced. It is slow, so it runs on
a sample; its figure is per letter (throughput of the sample).
"""

from __future__ import annotations

import collections
import multiprocessing as mp
import os
import queue
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

from . import letters
from .stats import Figure, Laps, Summary

ROOT = Path(__file__).resolve().parents[1]
PYHANKO = Path(sys.executable).with_name("pyhanko")
PATTERN = "{kka}/{urut}/{unit}/{tahun}"
def _filter(options: dict[str, tuple[str, object]]) -> str:
    import json

    return "pdf:writer_pdf_Export:" + json.dumps({k: {"type": t, "value": str(v).lower() if t == "boolean" else str(v)}
                                                   for k, (t, v) in options.items()}, separators=(",", ":"))


#: the export options of correspondence/uno_worker.py, for the command line: the same PDF/A-2b work
PDFA_FILTER = _filter({
    "SelectPdfVersion": ("long", 2), "ExportBookmarksToPDFDestination": ("boolean", True),
    "ExportBookmarks": ("boolean", True), "UseTaggedPDF": ("boolean", True), "ExportFormFields": ("boolean", False),
    "ExportNotes": ("boolean", False), "EmbedStandardFonts": ("boolean", True), "IsSkipEmptyPages": ("boolean", False),
    "ReduceImageResolution": ("boolean", False), "UseLosslessCompression": ("boolean", True),
})


# -- Naskah's path ------------------------------------------------------------------------------------


class NaskahWorker:
    """One worker's state: keys, converter, archive (all opened once)."""

    def __init__(self, home: Path) -> None:
        from archive.db import connect
        from archive.store import Archive
        from correspondence.converter import Converter
        from signatures.keys import Pkcs12KeySource

        self.bench = letters.open_home(home)
        self.keys = {oid: Pkcs12KeySource(path, letters.PASSPHRASE) for oid, path in self.bench.keys.items()}
        self.converter = Converter(home / "run")
        self.archive = Archive(home, connect(home))

    def warm(self) -> None:
        from signatures import signing

        pdf = signing.prepare(self.converter.convert(letters.letter_docx(self.bench, 10_000)), self.bench.route,
                              self.bench.settings)
        signing.sign_paraf(pdf, self.bench.route, 0, self.keys[letters.ROUTE_ROLES[0][1]], self.bench.settings)

    def letters(self, indices: Iterator[int]) -> Iterator[tuple[int, str, float, dict[str, float]]]:
        """Letters ``indices`` from template to archive, as a pipeline: while this process signs and
        files one letter, its LibreOffice converts the next ones (``Converter.iter_convert``).
        Yields (index, nomor, seconds from its rendering to its filing, seconds per stage)."""
        b = self.bench
        order: collections.deque[tuple[int, float, float]] = collections.deque()  # index, start, render s
        rendering = [0.0]

        def documents() -> Iterator[bytes]:
            for i in indices:
                started = time.perf_counter()
                docx = letters.letter_docx(b, i)
                took = time.perf_counter() - started
                rendering[0] += took
                order.append((i, started, took))
                yield docx

        waited_from, rendered_before = time.perf_counter(), 0.0
        for pdf in self.converter.iter_convert(documents()):
            i, started, render_s = order.popleft()
            if isinstance(pdf, Exception):
                raise pdf
            lap = Laps()
            # the wait for this PDF, less the rendering of later letters done meanwhile
            lap.stages.update(render=render_s,
                              convert=lap._t - waited_from - (rendering[0] - rendered_before))
            nomor = self.finish(i, pdf, lap)
            yield i, nomor, time.perf_counter() - started, lap.stages
            waited_from, rendered_before = time.perf_counter(), rendering[0]

    def finish(self, i: int, pdf: bytes, lap: Laps) -> str:
        """Letter ``i``'s PDF signed (3 paraf, TTE) and filed; its nomor."""
        from archive import audit
        from correspondence import housekeeping
        from signatures import signing

        b = self.bench
        pdf = signing.prepare(pdf, b.route, b.settings)
        lap("prepare")
        for index, (kind, oid) in enumerate(letters.ROUTE_ROLES[:-1]):
            pdf = signing.sign_paraf(pdf, b.route, index, self.keys[oid], b.settings)
            lap(f"paraf_{index + 1}")
        c = letters.complaint(i)
        when = c.received_at
        with self.archive.issue(office=b.office.id, series="surat", kka=letters.KKA, hal="Jawaban Pengaduan",
                                pattern=PATTERN, padding=4, unit=b.office.numbering.unit, when=when) as issuing:
            lap("number")  # mostly waiting for the other worker's filing transaction (the write lock)
            signed = signing.sign_tte(pdf, b.route, self.keys["kadis"], b.settings, nomor=issuing.nomor,
                                      tanggal=f"{b.office.city}, {when:%d-%m-%Y}", verification_ref=f"bench-{i}",
                                      when=when.astimezone())
            lap("tte")
            signers = [{"kind": s.kind, "official": s.signatory.official_id, "name": s.signatory.name,
                        "nip": s.signatory.nip, "jabatan": s.signatory.jabatan} for s in b.route.steps]
            filed = issuing.file(signed, doc_key="surat_jawaban", complaint=c.register, sifat="Biasa",
                                 verification_ref=f"bench-{i}", signers=signers,
                                 complainant="" if c.complainant.anonymous else c.complainant.name,
                                 complaint_text=f"{c.subject}\n{c.content}")
            audit.append(self.archive.conn, actor="kadis", action="file", subject=filed.nomor, at=when,
                         data={"office": b.office.id, "complaint": c.register, "sha256": filed.sha256})
        lap("file")
        housekeeping.after_letter()  # what Naskah(long_lived=True).sign does after each filed letter
        lap("housekeeping")
        return filed.nomor

    def close(self) -> None:
        self.converter.close()
        self.archive.conn.close()


def _naskah_worker(home: str, jobs: Any, results: Any, go: Any) -> None:
    """One worker process (the driver starts two)."""
    _naskah_threads(home, jobs, results, go, threads=1)


def _naskah_threads(home: str, jobs: Any, results: Any, go: Any, threads: int = 2) -> None:
    """One process, ``threads`` workers in it (each its own converter, keys and archive connection):
    with more than one, the Python work shares one interpreter (and its memory), LibreOffice runs beside it."""
    import threading

    started = time.perf_counter()
    workers = [NaskahWorker(Path(home)) for _ in range(threads)]
    for worker in workers:
        worker.warm()
    results.put(("ready", os.getpid(), time.perf_counter() - started))
    go.wait()
    children = [(w.converter.soffice_pid, w.converter.worker_pid) for w in workers]
    cpu_before = (time.process_time(), [(_cpu_ms(o), _cpu_ms(b)) for o, b in children])
    lock = threading.Lock()

    def indices() -> Iterator[int]:
        while True:
            with lock:  # one reader of the queue at a time; the end marker is left for the others
                i = jobs.get()
                if i is None:
                    jobs.put(None)
                    return
            yield i

    def work(worker: NaskahWorker) -> None:
        try:
            for i, nomor, latency, stages in worker.letters(indices()):
                results.put(("letter", i, nomor, latency, stages))
        except BaseException as exc:  # reported to the driver, which fails loudly
            results.put(("error", repr(exc)))
            raise

    pool = [threading.Thread(target=work, args=(w,), name=f"naskah-worker-{n}") for n, w in enumerate(workers)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    # CPU this process and its offices and UNO bridges spent on the letters (None if one restarted)
    same = children == [(w.converter.soffice_pid, w.converter.worker_pid) for w in workers]
    after = [(_cpu_ms(o), _cpu_ms(b)) for o, b in children] if same else []  # a restarted one is gone
    results.put(("cpu", {
        "python_ms": 1000 * (time.process_time() - cpu_before[0]),
        "office_ms": sum(a[0] - b[0] for a, b in zip(after, cpu_before[1])) if same else None,
        "bridge_ms": sum(a[1] - b[1] for a, b in zip(after, cpu_before[1])) if same else None,
    }))
    for worker in workers:
        worker.close()
    results.put(("done", os.getpid(), 0.0))


def _cpu_ms(pid: int | None) -> float:
    """User + system CPU time of a live process (from /proc: no psutil in the measured workers)."""
    if pid is None:
        return float("nan")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return 1000 * (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the naive path --------------------------------------------------------------------------------------


def _run(argv: list[str], **kw: Any) -> None:
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=300, **kw)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({done.returncode}): {done.stderr.decode(errors='replace')[-500:]}")


class NaiveWorker:
    """The path a user would script: a new soffice per letter, the pyhanko CLI per signature."""

    def __init__(self, home: Path, scratch: Path, tte_box: str) -> None:
        self.bench = letters.open_home(home)
        self.scratch = scratch / f"naive-{os.getpid()}"
        self.out = scratch / "filed"
        for d in (self.scratch, self.out):
            d.mkdir(parents=True, exist_ok=True)
        self.profile = (self.scratch / "profile").as_uri()
        self.passfile = self.scratch / "passphrase"
        self.passfile.write_text(letters.PASSPHRASE)
        self.tte_box = tte_box
        self.soffice = shutil.which("soffice") or shutil.which("libreoffice") or "soffice"

    def warm(self) -> None:
        """First start of a fresh profile (a user's profile exists already): not timed."""
        src = self.scratch / "warm.docx"
        src.write_bytes(letters.letter_docx(self.bench, 10_001))
        self._convert(src)

    def _convert(self, src: Path) -> Path:
        _run([self.soffice, f"-env:UserInstallation={self.profile}", "--headless", "--norestore",
              "--convert-to", PDFA_FILTER, "--outdir", str(self.scratch), str(src)], cwd=self.scratch)
        return src.with_suffix(".pdf")

    def _sign(self, src: Path, dst: Path, field: str, oid: str) -> None:
        _run([str(PYHANKO), "sign", "addsig", "--field", field, "--use-pades", "pkcs12", "--passfile",
              str(self.passfile), str(src), str(dst), str(self.bench.keys[oid])], cwd=self.scratch)

    def letter(self, i: int, nomor: str) -> dict[str, float]:
        lap = Laps()

        src = self.scratch / f"letter-{i}.docx"
        src.write_bytes(letters.letter_docx(self.bench, i, nomor=nomor))
        lap("render")
        pdf = self._convert(src)
        lap("convert")
        route = self.bench.route
        for index, (kind, oid) in enumerate(letters.ROUTE_ROLES):
            out = self.scratch / f"letter-{i}-{index + 1}.pdf"
            name = route.field_name(index)
            self._sign(pdf, out, name if kind == "paraf" else f"{self.tte_box}/{name}", oid)
            pdf = out
            lap(f"paraf_{index + 1}" if kind == "paraf" else "tte")
        target = self.out / (nomor.replace("/", "_") + ".pdf")
        with open(target, "wb") as f:
            f.write(pdf.read_bytes())
            f.flush()
            os.fsync(f.fileno())
        lap("file")
        return lap.stages


def _naive_worker(home: str, scratch: str, tte_box: str, jobs: Any, results: Any, go: Any, counter: Any) -> None:
    worker = NaiveWorker(Path(home), Path(scratch), tte_box)
    worker.warm()
    results.put(("ready", os.getpid(), 0.0))
    go.wait()
    try:
        while True:
            i = jobs.get()
            if i is None:
                break
            with counter.get_lock():
                counter.value += 1
                urut = counter.value
            nomor = f"{letters.KKA}/{urut:04d}/{worker.bench.office.numbering.unit}/2026"
            t0 = time.perf_counter()
            stages = worker.letter(i, nomor)
            results.put(("letter", i, nomor, time.perf_counter() - t0, stages))
    except BaseException as exc:
        results.put(("error", repr(exc)))
        raise
    results.put(("done", os.getpid(), 0.0))


# -- driving two workers ----------------------------------------------------------------------------------


def drive(target: Any, args: tuple, n: int, workers: int, *, extra_args: tuple = ()) -> dict[str, Any]:
    """Start ``workers`` processes running ``target``, feed them letters 0..n-1, time it.

    Memory is sampled over the workers and all their children from start to end.
    """
    from .memory import PeakRss  # the driver's instrument (psutil): not loaded in the measured workers

    ctx = mp.get_context("spawn")
    jobs, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=target, args=(*args, jobs, results, go, *extra_args), daemon=True)
             for _ in range(workers)]
    launched = time.perf_counter()
    for p in procs:
        p.start()
    with PeakRss(lambda: [p.pid for p in procs if p.pid is not None]) as rss:
        ready = []
        while len(ready) < workers:
            msg = _get(results, procs)
            if msg[0] == "error":
                raise RuntimeError(f"a worker failed while starting: {msg[1]}")
            ready.append(msg)
        startup = time.perf_counter() - launched
        for i in range(n):
            jobs.put(i)
        for _ in procs:
            jobs.put(None)
        t0 = time.perf_counter()
        go.set()
        done, per_letter, cpu = 0, [], []
        while done < workers:
            msg = _get(results, procs)
            if msg[0] == "error":
                raise RuntimeError(f"a worker failed: {msg[1]}")
            if msg[0] == "letter":
                per_letter.append(msg)
                if len(per_letter) == n:
                    wall = time.perf_counter() - t0
            elif msg[0] == "cpu":
                cpu.append(msg[1])
            elif msg[0] == "done":
                done += 1
    for p in procs:
        p.join(60)
    if len(per_letter) != n:
        raise RuntimeError(f"{len(per_letter)} of {n} letters came back")
    return {"wall": wall, "startup": startup, "letters": per_letter, "memory": rss.result(), "cpu": cpu}


def _get(results: Any, procs: list) -> Any:
    while True:
        try:
            return results.get(timeout=1.0)
        except queue.Empty:
            dead = [p for p in procs if p.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"worker {dead[0].pid} died (exit {dead[0].exitcode})") from None


def tte_box(home: Path) -> str:
    """Where Naskah puts the TTE on the bench letter: ``PAGE/x1,y1,x2,y2`` for the pyhanko CLI."""
    from correspondence.converter import Converter
    from signatures.signing import plan_layout, read_layout

    bench = letters.open_home(home)
    with Converter(home / "run") as conv:
        pdf = conv.convert(letters.letter_docx(bench, 0))
    anchors, pages = read_layout(pdf)
    _, sigs = plan_layout(anchors, pages, bench.route, bench.settings)
    plan = sigs[-1]
    return f"{plan.page + 1}/" + ",".join(str(int(round(v))) for v in plan.box)


def fresh_home(base: Path, dest: Path) -> Path:
    """A copy of the prepared home without its database and files (same keys, same office)."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(base, dest, ignore=shutil.ignore_patterns("naskah.db*", "blobs", "run"))
    # create the database before the workers start: two processes switching a new database to WAL
    # at the same moment can get "database is locked" (the journal-mode change takes no busy wait)
    from archive.db import connect
    from archive.store import Archive

    Archive(dest, connect(dest)).conn.close()
    return dest


#: the two ways Naskah's 2 workers are run: (key, label, process target, processes)
MODES = (
    ("processes", "2 worker processes", _naskah_worker, 2),
    ("threads", "2 worker threads in one process", _naskah_threads, 1),
)


def run(base_home: Path, scratch: Path, *, letters_n: int, repeats: int, naive_n: int, naive_repeats: int,
        workers: int = 2, say=print) -> tuple[list[Figure], Path, dict[str, Any]]:
    """The end-to-end and memory figures of both modes; returns them, the home of the first
    Naskah run (2 worker processes), raw data."""
    runs: dict[str, list[dict[str, Any]]] = {key: [] for key, *_ in MODES}
    naive_runs = []
    first_home = None
    for r in range(repeats):
        for key, label, target, processes in MODES:  # interleaved, so that a busy moment falls on both
            home = fresh_home(base_home, scratch / f"e2e-{key}-{r}")
            if key == "processes":
                first_home = first_home or home
            say(f"  naskah: {letters_n} letters, {label} (repetition {r + 1}/{repeats})")
            res = drive(target, (str(home),), letters_n, processes)
            say(f"    {letters_n / res['wall']:.2f} letters/s, own peak {res['memory']['own_peak_mb']:.0f} MB")
            runs[key].append(res)
    box = tte_box(base_home)
    for r in range(naive_repeats):
        say(f"  naive path: {naive_n} letters, {workers} workers (sample {r + 1}/{naive_repeats})")
        ctx = mp.get_context("spawn")
        counter = ctx.Value("i", 0)
        naive_scratch = scratch / f"naive-{r}"
        shutil.rmtree(naive_scratch, ignore_errors=True)
        res = drive(_naive_worker, (str(base_home), str(naive_scratch), box), naive_n, workers, extra_args=(counter,))
        say(f"    {naive_n / res['wall']:.3f} letters/s")
        naive_runs.append(res)
    assert first_home is not None
    figs = [f for key, label, *_ in MODES for f in figures(runs[key], naive_runs, letters_n, naive_n, label)]
    return figs, first_home, {
        **{key: [_raw(r) for r in runs[key]] for key, *_ in MODES},
        "naskah": [_raw(r) for r in runs["processes"]], "naive": [_raw(r) for r in naive_runs], "tte_box": box}


def _raw(res: dict[str, Any]) -> dict[str, Any]:
    lat = [m[3] for m in res["letters"]]
    stages: dict[str, list[float]] = {}
    for m in res["letters"]:
        for k, v in m[4].items():
            stages.setdefault(k, []).append(v)
    return {"wall_s": res["wall"], "startup_s": res["startup"], "letters": len(lat),
            "latency_s": Summary.of(lat).__dict__, "stage_median_ms": {k: Summary.of(v).median * 1000 for k, v in stages.items()},
            "cpu_ms_per_letter": _cpu_per_letter(res.get("cpu", []), len(lat)),
            "memory": res["memory"]}


def _cpu_per_letter(reports: list[dict[str, Any]], letters_n: int) -> dict[str, float] | None:
    """Summed over the worker processes, per letter: Python, LibreOffice, UNO bridge (ms of CPU)."""
    if not reports or not letters_n or any(r["office_ms"] is None for r in reports):
        return None
    return {part: sum(r[f"{part}_ms"] for r in reports) / letters_n for part in ("python", "office", "bridge")}


def figures(naskah_runs: list, naive_runs: list, n: int, naive_n: int, mode: str) -> list[Figure]:
    rate = Summary.of([n / r["wall"] for r in naskah_runs])
    naive_rate = Summary.of([naive_n / r["wall"] for r in naive_runs])
    speedup = rate.median / naive_rate.median
    per_letter = rate.inverted()
    naive_per_letter = naive_rate.inverted()
    with_start = Summary.of([n / (r["wall"] + r["startup"]) for r in naskah_runs])
    naive_lat = Summary.of([m[3] for r in naive_runs for m in r["letters"]])
    naskah_lat = Summary.of([m[3] for r in naskah_runs for m in r["letters"]])
    common = (f"Naskah: {mode}, {len(naskah_runs)} run(s) of {n} letters; naive path: 2 worker processes, "
              f"{len(naive_runs)} sample(s) of {naive_n} letters (its rate is per letter, from the sample). "
              f"Single-letter latency: Naskah median {naskah_lat.median * 1000:.0f} ms, naive {naive_lat.median:.2f} s. "
              f"Naskah incl. its start-up (spawn, imports, LibreOffice start): {with_start.median:.2f} letters/s.")
    group = f"End to end ({mode})"
    out = [
        Figure(group, f"{n} letters, time per letter", "s/letter", per_letter, naive_per_letter,
               "naive: soffice --convert-to per letter + pyhanko CLI per signature", speedup, f"{speedup:.1f}x faster",
               ">= 25x faster", speedup >= 25, common),
        Figure(group, "throughput on 2 cores", "letters/s", rate, naive_rate, "naive path, 2 worker processes",
               speedup, f"{speedup:.1f}x", ">= 4 letters/s", rate.median >= 4.0, ""),
    ]
    own = Summary.of([r["memory"]["own_peak_mb"] for r in naskah_runs])
    pss = Summary.of([r["memory"]["own_pss_peak_mb"] for r in naskah_runs])
    office = Summary.of([r["memory"]["office_peak_mb"] for r in naskah_runs])
    naive_own = Summary.of([r["memory"]["own_peak_mb"] for r in naive_runs])
    naive_office = Summary.of([r["memory"]["office_peak_mb"] for r in naive_runs])
    parts = naskah_runs[0]["memory"]["own_at_peak_mb"]
    python = "the worker process" if "one process" in mode else "the 2 worker processes"
    names = {"python": python, "bridge": "the 2 UNO bridges", "tool": "other tools"}
    out.append(Figure(
        f"Memory ({mode})", f"peak RSS of Naskah's own processes ({n}-letter run)", "MB", own, naive_own,
        "naive path's own processes (workers + pyhanko CLI)", own.median / naive_own.median,
        f"{own.median / naive_own.median:.2f}x the naive path's", "<= 300 MB", own.median <= 300,
        "Own = every process of the run but LibreOffice; the bench driver itself is not counted. At the peak: "
        + ", ".join(f"{names.get(k, k)} {v:.0f} MB" for k, v in sorted(parts.items()))
        + f". RSS counts shared library pages once per process; the proportional (PSS) sum peaked at "
        f"{pss.median:.0f} MB. LibreOffice apart: Naskah's 2 warm soffice.bin {office.median:.0f} MB; "
        f"the naive path's short-lived soffice {naive_office.median:.0f} MB.",
        {"naskah_office_mb": office.__dict__, "naive_office_mb": naive_office.__dict__, "naskah_pss_mb": pss.__dict__},
    ))
    return out
