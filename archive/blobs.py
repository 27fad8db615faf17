"""Content-addressed file store: each file is kept once under its sha256.

A blob is written to a temporary file, fsynced, linked into place (never over an
existing blob) and its directory fsynced, before any database row refers to it.
"""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

from .errors import ArchiveError, BlobCorrupt, BlobMissing, StorageFull


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:]

    def put(self, data: bytes) -> str:
        """Store ``data`` durably and return its sha256; an existing blob is left as it is."""
        digest = sha256_hex(data)
        final = self.path(digest)
        if final.exists():
            return digest
        tmp = self._tmp / f"{digest}.{os.getpid()}.part"
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            _write_durably(tmp, data)
            try:
                os.link(tmp, final)  # fails if it exists: a blob is never overwritten
            except FileExistsError:
                pass
            _fsync_dir(final.parent)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFull(f"no space left on the disk of {self.root} ({len(data)} bytes to store); "
                                  "nothing was recorded; free some space and try again") from None
            raise ArchiveError(f"cannot store a file under {self.root}: {exc.strerror or exc}") from None
        finally:
            tmp.unlink(missing_ok=True)  # a half-written temporary file never stays behind
        return digest

    def get(self, digest: str) -> bytes:
        """The blob's bytes, checked against its name."""
        try:
            data = self.path(digest).read_bytes()
        except FileNotFoundError:
            raise BlobMissing(f"stored file {digest} is missing from {self.root}") from None
        if sha256_hex(data) != digest:
            raise BlobCorrupt(f"stored file {digest} has been changed on disk (its sha256 no longer matches)")
        return data

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()


def _write_durably(path: Path, data: bytes) -> None:
    path.unlink(missing_ok=True)  # a stale temporary file of a crashed run
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o444)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
