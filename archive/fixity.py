"""Fixity check of the archive: every stored file still there, unchanged, and accounted for.

``check`` re-hashes each blob that a letter or a complaint names (each distinct blob once),
re-validates each letter that carries a TTE (through the ``verify`` callable the caller gives,
e.g. ``Naskah.verify``: the office's CA and officials), and walks the blob folder for files that
nothing names (orphans; ``blobs/tmp`` is ignored). Each problem names the letter (nomor) or the
complaint and document it belongs to.

Orphans are usually harmless (a file stored by an action that then failed, e.g. a full disk
after the blob was written); they are reported so that an archivist decides.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
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


def check(archive: Archive, *, references: Iterable[tuple[str, str, str]] = (), verify: Verify | None = None,
          progress: Progress | None = None, planned: tuple[dict[str, list[str]], list[FiledLetter]] | None = None) -> FixityReport:
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
    if verify is not None:
        for letter in letters:
            if not letter.signed:
                continue
            tick(f"nomor {letter.nomor}", 0)
            if letter.sha256 not in bad:  # a missing or changed file is reported once, above
                try:
                    result = verify(archive.blobs.get(letter.sha256), letter.office)
                except Exception as exc:  # an unreadable PDF or a missing certificate is a finding, not a crash
                    report.problems.append(Problem("signature", f"nomor {letter.nomor}", letter.sha256,
                                                   f"cannot be verified: {exc}"))
                else:
                    report.signatures_checked += 1
                    if not result.ok:
                        report.problems.append(Problem("signature", f"nomor {letter.nomor}", letter.sha256,
                                                       "; ".join(result.problems[:3]) or "verification failed"))
            tick(f"nomor {letter.nomor}", 1)
    report.problems += orphans(archive, set(named), report)
    return report


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
