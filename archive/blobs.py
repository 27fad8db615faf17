"""Content-addressed file store: each file is kept once under its sha256.

A blob is written to a temporary file, fsynced, linked into place (never over an
existing blob) and its directory fsynced, before any database row refers to it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .errors import BlobCorrupt, BlobMissing


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
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._tmp / f"{digest}.{os.getpid()}.part"
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, final)  # fails if it exists: a blob is never overwritten
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(final.parent)
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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
