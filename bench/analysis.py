"""Why a missed target was missed, from the numbers of the same run (for RESULTS.md)."""

from __future__ import annotations

from typing import Any

from .stats import Figure


def _fig(figures: list[Figure], group: str, start: str) -> Figure | None:
    return next((f for f in figures if f.group.startswith(group) and f.name.startswith(start)), None)


def explain(figures: list[Figure], raw: dict[str, Any]) -> list[str]:
    missed = {f.group.split(" ")[0] for f in figures if f.met is False}
    out: list[str] = []
    if "End" in missed and "endtoend" in raw:
        out += _endtoend(figures, raw["endtoend"], raw.get("conversion", {}).get("cpu_scaling_two_processes"))
    if "Signing" in missed:
        out += _signing(figures)
    if "Bulk" in missed and "verify" in raw:
        out += _verify(figures, raw)
    if "Conversion" in missed:
        out += _conversion(figures, raw)
    if "Memory" in missed and "endtoend" in raw:
        mem = raw["endtoend"]["naskah"][0]["memory"]
        threads = _fig(figures, "Memory (2 worker threads", "")
        out.append(f"- **Memory (2 worker processes).** The largest Naskah process peaked at "
                   f"{mem['largest_own_process_mb']:.0f} MB RSS. A worker process is about 95 MB once its imports are "
                   "loaded, before any letter (python-docx with lxml 15 MB, fontTools with its subsetter 16 MB, aiohttp, "
                   "which pyHanko imports, 11 MB; cryptography 9 MB), and each process's RSS counts the shared libraries again; the PSS sum, "
                   f"which counts them once, peaked at {mem['own_pss_peak_mb']:.0f} MB. "
                   + (f"The same letters with 2 worker threads in one process peak at {threads.naskah.median:.0f} MB "
                      f"(see that row), at {_fig(figures, 'End to end (2 worker threads', 'throughput').naskah.median:.1f} "
                      "letters/s: one interpreter for both workers, at the price of sharing one core for the Python work. "
                      if threads is not None else "")
                   + "What would fix the two-process figure: fewer resident imports per process.")
    if "Archive" in missed:
        for f in figures:
            if f.group.startswith("Archive") and f.met is False:
                out.append(f"- **{f.group}: {f.name}** at {f.naskah.median:.2f} ms ({f.ratio_text}); {f.notes}.")
    return out


def _endtoend(figures: list[Figure], e2e: dict[str, Any], scaling: float | None = None) -> list[str]:
    stages = e2e["naskah"][0]["stage_median_ms"]
    naive = e2e["naive"][0]["stage_median_ms"]
    signing = sum(v for k, v in stages.items() if k.startswith("paraf") or k == "tte")
    lines = [
        "- **End to end.** Wall time per stage in a Naskah worker (2 worker processes; medians, ms). Each "
        "worker's LibreOffice converts the next letters meanwhile, so a stage's time includes sharing the cores "
        "with it; `convert` is the wait for the PDF, `number` the archive's write lock: "
        + ", ".join(f"{k} {v:.0f}" for k, v in stages.items()) + ".",
        "  The naive path per letter (ms): " + ", ".join(f"{k} {v:.0f}" for k, v in naive.items()) + ".",
    ]
    per_letter = _fig(figures, "End", "")
    rate = _fig(figures, "End", "throughput")
    cpu = e2e["naskah"][0].get("cpu_ms_per_letter")
    if per_letter is not None and rate is not None and cpu:
        naive_s = per_letter.peer.median
        needed = 25 / naive_s
        total = sum(cpu.values())
        ceiling = 2000 / total
        machine = (f" This run measured the machine's own two-process scaling at {scaling:.2f}x one (see "
                   "Conversion), so the 2 cores were not always 2 whole cores.") if scaling else ""
        lines.append(
            f"  CPU per letter, all of Naskah's processes summed (first run): Python {cpu['python']:.0f} ms "
            f"(render, prepare, four signatures with their gates, filing), LibreOffice {cpu['office']:.0f} ms, "
            f"UNO bridge {cpu['bridge']:.0f} ms: {total:.0f} ms, so 2 whole cores give at most {ceiling:.1f} "
            f"letters/s, {naive_s * ceiling:.0f}x the naive path; the runs reached {rate.naskah.median:.1f} "
            f"({100 * rate.naskah.median / ceiling:.0f} % of that).{machine} The naive path costs {naive_s:.2f} s "
            f"per letter here (2 workers), so 25x needs {needed:.1f} letters/s, at most {2000 / needed:.0f} ms of "
            f"CPU per letter with both cores fully used. What would fix it: more cores, or less work per letter "
            f"(the four signatures with their gates take {signing:.0f} ms of a worker's wall time).")
    return lines


def _signing(figures: list[Figure]) -> list[str]:
    details = [f for f in figures if f.group == "Signing" and f.met is None]
    return [
        "- **Signing.** Per step (Naskah / direct sign_pdf, ms): "
        + ", ".join(f"{f.name.split(' (')[0]} {f.naskah.median:.0f} / {f.peer.median:.0f}" for f in details)
        + ". The signature itself is cheaper in Naskah (cached key, no dry-run signature for sizing); the validation "
        "gate after each signature reads the whole file back, checks the newest signature's CMS and holds the new "
        "revision to what signing may change (earlier signatures it has checked before are re-hashed, not "
        "re-verified). What would fix it: a gate that reuses the parse of the file it has just written."
    ]


def _verify(figures: list[Figure], raw: dict[str, Any]) -> list[str]:
    f = _fig(figures, "Bulk", "")
    if f is None:
        return []
    per_letter = 2 / f.naskah.median * 1000
    return [
        f"- **Bulk verify.** {f.naskah.median:.1f} letters/s on 2 processes is about {per_letter:.0f} ms of CPU per "
        f"4-signature letter; pyHanko alone does {f.peer.median:.1f} letters/s on the same processes, so most of the "
        "time is pyHanko's validation of each signature (its CMS and certificate path; the difference analysis is "
        "skipped where every later revision is a plain signing revision, see `signatures/revisions.py`). Parallel "
        "processes already give the second core; what would fix the rest: skipping the cryptographic re-check for "
        "letters whose sha256 the fixity pass has just confirmed unchanged since they were filed and validated."
    ]


def _conversion(figures: list[Figure], raw: dict[str, Any]) -> list[str]:
    out = []
    conv = raw.get("conversion", {})
    for f in figures:
        if f.group == "Conversion" and f.met is False:
            ceiling = ""
            if conv.get("two_batches_files_per_s") and "two workers" in f.name:
                from statistics import median

                two = median(conv["two_batches_files_per_s"]) / f.peer.median
                ceiling = (f"Naskah's two workers reach {f.ratio:.2f}x the batch, where two plain batch calls side by side "
                           f"reach {two:.2f}x: " + ("more than LibreOffice alone gets from this machine. "
                                                   if f.ratio >= two else "less than LibreOffice alone gets here. "))
            batch = _fig(figures, "Conversion", "DOCX")
            lo = f"about {batch.peer.median:.0f} ms, the warm batch's time per file" if batch is not None else "see above"
            python = conv.get("python_ms_per_file")
            if "two workers" in f.name:
                extra = ("each office streams its files as the one-worker figure does; the Python part of each file "
                         "(DOCX check, destination names) runs in this process while its office converts the next")
            else:
                extra = (f"plus, between files, the UNO bridge's round trips and the worker's own time: with "
                         f"Converter.map the Python part in this process ({python:.1f} ms per file: the DOCX check with "
                         "its bookmark names, the destination names) runs while LibreOffice converts the next file"
                         if python is not None else "plus the UNO bridge's round trips between files")
            out.append(f"- **Conversion: {f.name}** ({f.ratio_text}). {f.notes} {ceiling}A conversion is LibreOffice's "
                       f"own work ({lo}: load, layout, tagged PDF/A export, close); {extra}. Two LibreOffice "
                       "processes do not scale as two plain CPU-bound loops do (memory and cache shared on one "
                       "socket); what would lift the figure is less LibreOffice work per letter or a third core.")
    return out
