"""Peak resident memory of a group of processes and their children, sampled with psutil.

LibreOffice (``soffice.bin`` and its ``oosplash`` launcher) is counted apart from everything
else, so that a pipeline's own memory and the office's are reported separately. The sum of the
RSS of the processes alive at one sample is the group's footprint at that moment (pages of shared
libraries count once per process that maps them, so the sum is an upper bound); the peak is the
largest such sum over the run. The sum of PSS (shared pages divided among their sharers, read
from ``/proc/<pid>/smaps_rollup`` every fifth sample) is recorded beside it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import psutil

OFFICE_NAMES = ("soffice.bin", "soffice", "oosplash")


def is_office(proc: psutil.Process) -> bool:
    try:
        return proc.name() in OFFICE_NAMES
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def _pss(pid: int) -> int:
    """Proportional set size (shared pages divided among the processes sharing them), bytes."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def kind(proc: psutil.Process) -> str:
    """office | bridge (the UNO worker) | python (Naskah's or a peer's workers) | tool (pdftotext, pyhanko...)
    | forking (a child between fork and exec: it shares its parent's pages, it is not counted)."""
    if is_office(proc):
        return "office"
    try:
        cmd = proc.cmdline()
        parent = proc.parent()
        if parent is not None and parent.cmdline() == cmd:
            return "forking"
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return "tool"
    if any(part.endswith("uno_worker.py") for part in cmd):
        return "bridge"
    if any(part.endswith("pyhanko") for part in cmd[:2]):
        return "tool"
    return "python" if cmd and "python" in cmd[0] else "tool"


class PeakRss:
    """Samples every ``interval`` seconds, in a thread, the processes ``roots()`` names and
    all their descendants, until the ``with`` block ends. Also the peak of the summed PSS."""

    def __init__(self, roots: Callable[[], Iterable[int]], interval: float = 0.1) -> None:
        self._roots = roots
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="peak-rss", daemon=True)
        self.own_peak = 0
        self.own_pss_peak = 0
        self.office_peak = 0
        self.at_peak: dict[str, float] = {}
        self.largest_process = 0
        self.samples = 0

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        seen: dict[int, psutil.Process] = {}
        for pid in self._roots():
            try:
                root = psutil.Process(pid)
                seen[root.pid] = root
                for child in root.children(recursive=True):
                    seen[child.pid] = child
            except psutil.NoSuchProcess:
                continue
        by_kind: dict[str, int] = {}
        pss = 0
        for pid, proc in seen.items():
            try:
                rss = proc.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            k = kind(proc)  # again each time: a child's kind changes when it execs
            if k == "forking":
                continue
            by_kind[k] = by_kind.get(k, 0) + rss
            if k != "office":
                self.largest_process = max(self.largest_process, rss)
                if self.samples % 5 == 0:
                    pss += _pss(pid)
        own = sum(v for k, v in by_kind.items() if k != "office")
        if own > self.own_peak:
            self.own_peak = own
            self.at_peak = {k: v / 2**20 for k, v in by_kind.items() if k != "office"}
        self.own_pss_peak = max(self.own_pss_peak, pss)
        self.office_peak = max(self.office_peak, by_kind.get("office", 0))
        self.samples += 1

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self._interval)
        self._sample()

    def result(self) -> dict[str, Any]:
        mb = 1024 * 1024
        return {"own_peak_mb": self.own_peak / mb, "own_pss_peak_mb": self.own_pss_peak / mb,
                "office_peak_mb": self.office_peak / mb, "largest_own_process_mb": self.largest_process / mb,
                "own_at_peak_mb": self.at_peak, "samples": self.samples}
