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


class NumberNotFound(LetterNotFound):
    """No number with that nomor in the register (the numbers taken, filed or not)."""


class NumberAlreadyVoid(NumberingError):
    """The number is void already; a void number stays void."""


class AuditError(ArchiveError):
    """The audit trail cannot be written or read."""


class KkaTableError(ArchiveError):
    """A KKA / retention (JRA) table file is malformed."""


class StorageFull(ArchiveError):
    """The disk (or the database) could not take a write; nothing was recorded."""


class InvalidQuery(ArchiveError):
    """A search request that cannot be run (nothing to search by, a bad date or limit)."""


class DossierInvalid(ArchiveError):
    """A dossier (berkas) zip that is damaged, incomplete, of an unknown version or fails its checksums."""


class DossierConflict(ArchiveError):
    """A dossier names a letter or complaint that already exists here with different content."""
