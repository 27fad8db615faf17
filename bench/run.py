"""Run the benchmarks and write RESULTS.md + results.json: ``python -m bench.run [--quick]``.

Full run (``make bench``): 200 letters end to end (3 repetitions) against a 2 x 10-letter sample of
the naive path, archives of 100,000 and 1,000,000 letters, and writes ``bench/RESULTS.md`` and
``bench/results.json``. Quick run (``make bench-quick``, under 3 minutes): 40 letters, a 10,000-letter
archive, fewer repetitions; it writes ``bench/out/RESULTS-quick.md`` and ``results-quick.json`` so
that it never overwrites the full results.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from . import analysis, archive_queries, conversion, endtoend, letters, report, signing, verify
from .stats import Figure

HERE = Path(__file__).resolve().parent

FULL = dict(letters=200, repeats=3, naive=10, naive_repeats=2, signing=15, conversion_files=30,
            conversion_repeats=5, archives=(100_000, 1_000_000), archive_repeats=5, verify_repeats=3)
QUICK = dict(letters=40, repeats=2, naive=4, naive_repeats=1, signing=5, conversion_files=12,
             conversion_repeats=2, archives=(10_000,), archive_repeats=3, verify_repeats=1)
SECTIONS = ("signing", "conversion", "endtoend", "verify", "archive")


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def _version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"
    return out.splitlines()[0] if out else "?"


def _meta(mode: str, command: str) -> dict[str, Any]:
    from importlib.metadata import version

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import psutil

    soffice = shutil.which("soffice") or shutil.which("libreoffice") or "soffice"
    return {"mode": mode, "command": command, "cpus": os.cpu_count(), "cpu_model": cpu,
            "memory_gb": psutil.virtual_memory().total / 2**30, "python": platform.python_version(),
            "libreoffice": _version([soffice, "--version"]).replace("LibreOffice ", ""),
            "sqlite": sqlite3.sqlite_version, "pyhanko": version("pyhanko"), "load_start": _load()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under 3 minutes")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {SECTIONS}")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {sorted(unknown)}; choose from {SECTIONS}")
    if "verify" in only and "endtoend" not in only:
        parser.error("'verify' checks the archive of the end-to-end run: include 'endtoend'")
    mode = "quick" if args.quick else "full"
    scratch = HERE / "out" / mode
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    command = ("make bench-quick" if args.quick else "make bench") if os.environ.get("MAKELEVEL") else \
        "python -m bench.run" + (" --quick" if args.quick else "")
    meta = _meta(mode, command)
    started = time.perf_counter()
    loads = [os.getloadavg()[0]]

    def say(text: str) -> None:
        print(text, flush=True)

    base = letters.make_home(scratch / "base-home")
    figures: list[Figure] = []
    raw: dict[str, Any] = {"sizes": {k: list(v) if isinstance(v, tuple) else v for k, v in sizes.items()}}
    e2e_home = None
    for section in SECTIONS:
        if section not in only:
            continue
        say(f"[{section}] load {_load()}")
        loads.append(os.getloadavg()[0])
        if section == "signing":
            figs, raw["signing"] = signing.run(base.home, scratch, repeats=sizes["signing"], say=say)
        elif section == "conversion":
            figs, raw["conversion"] = conversion.run(base.home, scratch, files=sizes["conversion_files"],
                                                     repeats=sizes["conversion_repeats"], say=say)
        elif section == "endtoend":
            figs, e2e_home, raw["endtoend"] = endtoend.run(
                base.home, scratch, letters_n=sizes["letters"], repeats=sizes["repeats"], naive_n=sizes["naive"],
                naive_repeats=sizes["naive_repeats"], say=say)
        elif section == "verify":
            assert e2e_home is not None
            figs, raw["verify"] = verify.run(e2e_home, repeats=sizes["verify_repeats"], say=say)
        else:
            figs = []
            raw["archive"] = {}
            for n in sizes["archives"]:
                f, raw["archive"][str(n)] = archive_queries.run(n, repeats=sizes["archive_repeats"], say=say)
                figs += f
        for f in figs:
            say(f"    {f.group}: {f.name}: {f.ratio_text}; target {f.target}: "
                f"{'met' if f.met else 'n/a' if f.met is None else 'MISSED'}")
        figures += figs
    loads.append(os.getloadavg()[0])
    meta.update(load_end=_load(), load_max=max(loads), duration_s=time.perf_counter() - started,
                finished=datetime.now().astimezone().isoformat(timespec="seconds"))
    if args.quick:
        md, js = HERE / "out" / "RESULTS-quick.md", HERE / "out" / "results-quick.json"
    else:
        md, js = HERE / "RESULTS.md", HERE / "results.json"
    report.write(md, js, figures, meta, raw, analysis.explain(figures, raw))
    say(f"written {md.relative_to(HERE.parent)} and {js.relative_to(HERE.parent)} ({meta['duration_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
