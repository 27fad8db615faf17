"""Bulk verify: re-validating the archive of the end-to-end run (letters with 3 paraf + TTE).

**Naskah**: ``archive.fixity.check`` as ``naskah archive verify`` runs it: every stored file
re-hashed, every signed letter re-validated by ``Naskah.verify`` (each signature: integrity,
trust in the office CA, what changed after it, signer identity against the office profile,
route order, the TTE present), the blob folder walked for orphans; the signatures in 2 worker
processes (``jobs=2``). The wall time includes starting the worker processes.

**Peer**: pyHanko directly, the same letters in 2 worker processes: for each letter, every
embedded signature through ``pyhanko.sign.validation.validate_pdf_signature`` with a
``ValidationContext`` trusting the same office CA (no fetching, soft-fail revocation, as Naskah's),
which includes pyHanko's own difference analysis; no route, identity or fixity checks.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

from .stats import Figure, Summary

_context = None


def _peer_init(ca: str) -> None:
    global _context
    from pyhanko_certvalidator import ValidationContext

    from signatures.keys import load_certificate

    _context = ValidationContext(trust_roots=[load_certificate(ca)], allow_fetching=False, revocation_mode="soft-fail")


def _peer_letter(path: str) -> tuple[int, int]:
    """Validate every signature of one letter: (signatures, how many are intact, valid and trusted)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    with open(path, "rb") as f:
        reader = PdfFileReader(f)
        sigs = list(reader.embedded_signatures)
        good = sum(bool(validate_pdf_signature(sig, _context).bottom_line) for sig in sigs)
    return len(sigs), good


def run(home: Path, *, repeats: int, jobs: int = 2, say=print) -> tuple[list[Figure], dict]:
    from archive import fixity
    from archive.db import connect
    from archive.store import Archive
    from correspondence.services import verifier

    archive = Archive(home, connect(home))
    letters = [letter for letter in archive.all_letters() if letter.signed]
    paths = [str(archive.blobs.path(letter.sha256)) for letter in letters]
    n = len(letters)
    ca = home / "keys" / "pangkalpinang" / "ca.pem"
    naskah_rate, peer_rate, problems, peer_good = [], [], [], []
    for r in range(repeats):
        say(f"  repetition {r + 1}/{repeats}: {n} letters, Naskah then pyHanko, {jobs} processes each")
        started = time.perf_counter()
        report = fixity.check(archive, verifier=partial(verifier, home), jobs=jobs)
        naskah_rate.append(n / (time.perf_counter() - started))
        problems.append(len(report.problems))
        assert report.signatures_checked == n, report.summary()
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_peer_init, initargs=(str(ca),)) as pool:
            counts = list(pool.map(_peer_letter, paths, chunksize=4))
        peer_rate.append(n / (time.perf_counter() - started))
        peer_good.append((sum(c for c, _ in counts), sum(g for _, g in counts)))
    archive.conn.close()
    rate, peer = Summary.of(naskah_rate), Summary.of(peer_rate)
    total, good = peer_good[0]
    signatures = total // max(1, n)
    fig = Figure("Bulk verify", f"archive verify, {n} letters x {signatures} signatures, {jobs} processes",
                 "letters/s", rate, peer, "pyHanko validate_pdf_signature per signature, same processes",
                 rate.median / peer.median, f"{rate.median / peer.median:.2f}x the peer's rate", ">= 20 letters/s",
                 rate.median >= 20,
                 f"Naskah found {problems[0]} problem(s) (expected 0); pyHanko judged {good} of "
                 f"{total} signatures valid. Both wall times include starting the {jobs} worker processes.")
    return [fig], {"naskah_letters_per_s": naskah_rate, "peer_letters_per_s": peer_rate}
