"""Errors of the archive package (numbering, filing, retrieval, fixity)."""


class ArchiveError(Exception):
    """Base of every error raised by the archive package."""


class LetterNotFound(ArchiveError):
    """No filed letter with that nomor (or id)."""


class BlobMissing(ArchiveError):
    """A filed file is missing from the content-addressed store."""


class BlobCorrupt(ArchiveError):
    """A filed file no longer matches its sha256."""


class NumberingError(ArchiveError):
    """A numbering pattern is invalid or a number cannot be taken."""
