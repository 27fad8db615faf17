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
        out += _endtoend(figures, raw["endtoend"])
    if "Signing" in missed:
        out += _signing(figures)
    if "Bulk" in missed and "verify" in raw:
        out += _verify(figures, raw)
    if "Conversion" in missed:
        out += _conversion(figures)
    if "Memory" in missed and "endtoend" in raw:
        mem = raw["endtoend"]["naskah"][0]["memory"]
        out.append(f"- **Memory.** The largest Naskah process peaked at {mem['largest_own_process_mb']:.0f} MB RSS. "
                   "A worker is about 95 MB once its imports are loaded, before any letter (pyHanko alone 40 MB, "
                   "Naskah's signing module with it 58 MB over a bare interpreter), and each worker's RSS counts the "
                   f"shared libraries again; the PSS sum, which counts them once, peaked at {mem['own_pss_peak_mb']:.0f} MB. "
                   "What would fix it: less resident per worker (import on first use what the path does not need), "
                   "or one process that signs and files while two converters run beside it (slower: one core for "
                   "all the Python work).")
    if "Archive" in missed:
        for f in figures:
            if f.group.startswith("Archive") and f.met is False:
                out.append(f"- **{f.group}: {f.name}** at {f.naskah.median:.2f} ms ({f.ratio_text}); {f.notes}.")
    return out


def _endtoend(figures: list[Figure], e2e: dict[str, Any]) -> list[str]:
    stages = e2e["naskah"][0]["stage_median_ms"]
    naive = e2e["naive"][0]["stage_median_ms"]
    total = sum(stages.values())
    signing = sum(v for k, v in stages.items() if k.startswith("paraf") or k == "tte")
    lines = [
        "- **End to end.** Where a letter's time goes in a Naskah worker (medians, ms, both workers busy; "
        "`number` is taking the archive's write lock and the nomor): "
        + ", ".join(f"{k} {v:.0f}" for k, v in stages.items())
        + f"; signing with its validation gates is {signing:.0f} of {total:.0f} ms ({100 * signing / total:.0f} %).",
        "  The naive path per letter (ms): " + ", ".join(f"{k} {v:.0f}" for k, v in naive.items()) + ".",
    ]
    per_letter = _fig(figures, "End", "")
    if per_letter is not None:
        naive_s = per_letter.peer.median
        needed = 25 / naive_s
        convert_only = 2 / (stages["convert"] / 1000)
        lines.append(
            f"  The naive path costs {naive_s:.2f} s per letter here (2 workers), so 25x would need "
            f"{needed:.1f} letters/s, i.e. {2000 / needed:.0f} ms of work per letter per core; LibreOffice's "
            f"conversion alone takes {stages['convert']:.0f} ms per letter, so even with everything else free Naskah "
            f"would reach at most {naive_s * convert_only:.0f}x. At 4 letters/s each worker has 500 ms per letter; "
            f"today a letter takes {2 * per_letter.naskah.median * 1000:.0f} ms in a worker, and the largest piece "
            f"of it is signing ({signing:.0f} ms, then conversion {stages['convert']:.0f} ms and filing "
            f"{stages['file']:.0f} ms, with LibreOffice's CPU on the same 2 cores). What would fix it: a cheaper "
            "validation gate in "
            "`signatures/signing.py`: each new signature re-runs pyHanko's difference analysis for every earlier "
            "signature, and that analysis walks every object of the (tagged) PDF, so paraf 3 and the TTE cost "
            "several times paraf 1 (see Signing). Analysing only the newest revision against the one before it "
            "would cost one analysis per signature instead of one per earlier signature.")
    return lines


def _signing(figures: list[Figure]) -> list[str]:
    details = [f for f in figures if f.group == "Signing" and f.met is None]
    return [
        "- **Signing.** Per step (Naskah / direct sign_pdf, ms): "
        + ", ".join(f"{f.name.split(' (')[0]} {f.naskah.median:.0f} / {f.peer.median:.0f}" for f in details)
        + ". The signature itself is cheaper in Naskah (cached key, no dry-run signature for sizing: see paraf 1, "
        "where the gate has no earlier signature to re-check); the validation gate after each signature is what "
        "grows with the position in the route. What would fix it: the gate's difference analysis (see End to end), "
        "owned by `signatures/signing.py`."
    ]


def _verify(figures: list[Figure], raw: dict[str, Any]) -> list[str]:
    f = _fig(figures, "Bulk", "")
    if f is None:
        return []
    per_letter = 2 / f.naskah.median * 1000
    return [
        f"- **Bulk verify.** {f.naskah.median:.1f} letters/s on 2 processes is about {per_letter:.0f} ms of CPU per "
        f"4-signature letter; pyHanko alone does {f.peer.median:.1f} letters/s on the same processes, so most of the "
        "time is pyHanko's validation of each signature, above all its difference analysis (each signature's check "
        "re-reads every later revision and walks the tagged PDF's object graph). Parallel processes already give "
        "the second core; what would fix the rest: sharing one difference analysis between the signatures of a "
        "file in `signatures/validation.py` (the later revisions are the same for all of them), or skipping it for "
        "letters whose sha256 the fixity pass has just confirmed unchanged since they were filed and validated."
    ]


def _conversion(figures: list[Figure]) -> list[str]:
    out = []
    for f in figures:
        if f.group == "Conversion" and f.met is False:
            out.append(f"- **Conversion: {f.name}** ({f.ratio_text}). {f.notes} A conversion is LibreOffice's own work "
                       "(about 70 ms of CPU: load, layout, PDF/A export, close) plus about 5 ms of Python (this process "
                       "and the UNO bridge) that the batch call does not have; two offices on 2 cores leave no core for "
                       "that, or for anything else running on the machine, so the pool stays a little under 2x. What "
                       "would fix it: a third core, or less Python per conversion (the bookmark scan and the "
                       "destination names are about 2 ms).")
    return out
