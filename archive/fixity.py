"""Fixity check of the archive: every stored file still there, unchanged, and accounted for.

``check`` re-hashes each blob that a letter or a complaint names (each distinct blob once),
re-validates each letter that carries a TTE (through the ``verify`` callable the caller gives,
e.g. ``Naskah.verify``: the office's CA and officials), and walks the blob folder for files that
nothing names (orphans; ``blobs/tmp`` is ignored). Each problem names the letter (nomor) or the
complaint and document it belongs to.

Orphans are usually harmless (a file stored by an action that then failed, e.g. a full disk
after the blob was written); they are reported so that an archivist decides.

Re-validating signatures is the slow part (pyHanko checks each signature and what changed after
it). With ``jobs`` > 1 and a picklable ``verifier`` (a callable that builds the verify function
inside a worker process, e.g. ``functools.partial(correspondence.services.verifier, home)``), the
signed letters are re-validated in ``jobs`` processes; the report is the same as the serial one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .store import Archive, FiledLetter

_BLOB_NAME = re.compile(r"[0-9a-f]{62}")
_DIR_NAME = re.compile(r"[0-9a-f]{2}")

Verify = Callable[[bytes, str], Any]  # (pdf, office id) -> report with .ok and .problems
Progress = Callable[[str, int], None]  # (what is being done, steps done since the last call)


@dataclass(frozen=True)
class Problem:
    kind: str  # missing | changed | orphan | signature | unexpected
    subject: str  # "nomor 000.8.3.4/0002/...", "complaint 0001/PGD/...: surat_jawaban v2 tte (pdf)", or a path
    sha256: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def to_text(self) -> str:
        return f"{self.kind.upper():<9} {self.subject}: {self.detail}"


@dataclass
class FixityReport:
    blobs_checked: int = 0
    bytes_checked: int = 0
    letters: int = 0
    signatures_checked: int = 0
    files_on_disk: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "blobs_checked": self.blobs_checked, "bytes_checked": self.bytes_checked,
                "letters": self.letters, "signatures_checked": self.signatures_checked,
                "files_on_disk": self.files_on_disk, "problems": [p.to_dict() for p in self.problems]}

    def summary(self) -> str:
        head = (f"{self.blobs_checked} stored files re-hashed ({self.bytes_checked / 1e6:.1f} MB), "
                f"{self.signatures_checked} signed letters re-validated, {self.files_on_disk} files on disk")
        return head + (": all in order" if self.ok else f": {len(self.problems)} problem(s)")


def plan(archive: Archive, references: Iterable[tuple[str, str, str]] = ()) -> tuple[dict[str, list[str]], list[FiledLetter]]:
    """sha256 -> who names it; and the letters. ``references`` are (register, what, sha256) of the case store."""
    named: dict[str, list[str]] = {}
    letters = archive.all_letters()
    for letter in letters:
        named.setdefault(letter.sha256, []).append(f"nomor {letter.nomor}")
    for register, what, digest in references:
        named.setdefault(digest, []).append(f"complaint {register}: {what}")
    return named, letters


def total_steps(named: dict[str, list[str]], letters: list[FiledLetter]) -> int:
    return len(named) + sum(1 for letter in letters if letter.signed)


#: below this many signed letters, starting worker processes costs more than it saves
PARALLEL_FROM = 16


def check(archive: Archive, *, references: Iterable[tuple[str, str, str]] = (), verify: Verify | None = None,
          progress: Progress | None = None, planned: tuple[dict[str, list[str]], list[FiledLetter]] | None = None,
          verifier: Callable[[], Verify] | None = None, jobs: int = 1) -> FixityReport:
    """Re-hash, re-validate (``verify``, or ``verifier`` in ``jobs`` processes) and look for orphans."""
    named, letters = planned or plan(archive, references)
    report = FixityReport(letters=len(letters))
    tick = progress or (lambda what, n: None)
    bad: set[str] = set()
    sizes = {letter.sha256: letter.size for letter in letters}
    for digest, owners in named.items():
        path = archive.blobs.path(digest)
        subject = "; ".join(owners[:3]) + (f" (+{len(owners) - 3} more)" if len(owners) > 3 else "")
        tick(owners[0], 0)
        try:
            h = hashlib.sha256()
            size = 0
            with open(path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    h.update(chunk)
                    size += len(chunk)
        except FileNotFoundError:
            report.problems.append(Problem("missing", subject, digest, f"stored file {path} is missing"))
            bad.add(digest)
        except OSError as exc:
            report.problems.append(Problem("missing", subject, digest, f"stored file {path} cannot be read: {exc.strerror}"))
            bad.add(digest)
        else:
            report.blobs_checked += 1
            report.bytes_checked += size
            if h.hexdigest() != digest:
                report.problems.append(Problem("changed", subject, digest,
                                               f"stored file {path} no longer matches its sha256 (now {h.hexdigest()[:16]}…)"))
                bad.add(digest)
            elif digest in sizes and sizes[digest] != size:
                report.problems.append(Problem("changed", subject, digest, f"size {size} differs from the recorded {sizes[digest]}"))
        tick(owners[0], 1)
    signed = [letter for letter in letters if letter.signed]
    if verifier is not None and jobs > 1 and len(signed) >= PARALLEL_FROM:
        outcomes = _verify_in_processes(archive, signed, bad, verifier, jobs, tick)
    elif verify is not None or verifier is not None:
        fn = verify if verify is not None else verifier()  # type: ignore[misc]
        outcomes = (_outcome(letter, bad, archive, fn, tick) for letter in signed)
    else:
        outcomes = iter(())
    for letter, outcome in outcomes:
        if outcome is None:
            continue
        checked, problem = outcome
        report.signatures_checked += checked
        if problem:
            report.problems.append(Problem("signature", f"nomor {letter.nomor}", letter.sha256, problem))
    report.problems += orphans(archive, set(named), report)
    return report


Outcome = tuple[int, str] | None  # (signatures checked: 0 or 1, problem text or ''); None: skipped


def _outcome(letter: FiledLetter, bad: set[str], archive: Archive, verify: Verify, tick: Progress) -> tuple[FiledLetter, Outcome]:
    tick(f"nomor {letter.nomor}", 0)
    outcome = None if letter.sha256 in bad else verify_one(verify, archive.blobs.path(letter.sha256), letter.office)
    tick(f"nomor {letter.nomor}", 1)
    return letter, outcome


def verify_one(verify: Verify, path: Any, office: str) -> tuple[int, str]:
    """Re-validate one stored letter: (1, '') if it holds, (1, problems) if not, (0, why) if it cannot be checked."""
    try:
        with open(path, "rb") as handle:
            result = verify(handle.read(), office)
    except Exception as exc:  # an unreadable PDF or a missing certificate is a finding, not a crash
        return 0, f"cannot be verified: {exc}"
    return 1, "" if result.ok else ("; ".join(result.problems[:3]) or "verification failed")


_worker_verify: Verify | None = None


def _start_worker(verifier: Callable[[], Verify]) -> None:
    global _worker_verify
    _worker_verify = verifier()


def _verify_in_worker(path: str, office: str) -> tuple[int, str]:
    assert _worker_verify is not None
    return verify_one(_worker_verify, path, office)


def _verify_in_processes(archive: Archive, signed: list[FiledLetter], bad: set[str], verifier: Callable[[], Verify],
                         jobs: int, tick: Progress) -> Iterator[tuple[FiledLetter, Outcome]]:
    """The signed letters re-validated by ``jobs`` spawned processes; outcomes in the letters' order."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    todo = [letter for letter in signed if letter.sha256 not in bad]
    with ProcessPoolExecutor(max_workers=min(jobs, len(todo) or 1), mp_context=multiprocessing.get_context("spawn"),
                             initializer=_start_worker, initargs=(verifier,)) as pool:
        futures = {(letter.nomor, letter.office): pool.submit(_verify_in_worker, str(archive.blobs.path(letter.sha256)),
                                                              letter.office) for letter in todo}
        for letter in signed:
            tick(f"nomor {letter.nomor}", 0)
            future = futures.get((letter.nomor, letter.office))
            outcome = None if future is None else future.result()
            tick(f"nomor {letter.nomor}", 1)
            yield letter, outcome


def orphans(archive: Archive, named: set[str], report: FixityReport | None = None) -> list[Problem]:
    """Files in the blob folder that nothing names (``tmp`` ignored), and files that are not blobs at all."""
    found: list[Problem] = []
    root = archive.blobs.root
    if not root.is_dir():
        return found
    for sub in sorted(root.iterdir()):
        if sub.name == "tmp":
            continue
        if not sub.is_dir() or not _DIR_NAME.fullmatch(sub.name):
            found.append(Problem("unexpected", str(sub.relative_to(root.parent)), "", "not part of the blob store"))
            continue
        for item in sorted(sub.iterdir()):
            if report is not None:
                report.files_on_disk += 1
            rel = str(item.relative_to(root.parent))
            if not item.is_file() or not _BLOB_NAME.fullmatch(item.name):
                found.append(Problem("unexpected", rel, "", "not a blob (its name is not a sha256)"))
                continue
            digest = sub.name + item.name
            if digest not in named:
                found.append(Problem("orphan", rel, digest, "stored file named by no letter and no complaint"))
    return found
