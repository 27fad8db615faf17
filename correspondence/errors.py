"""Errors of the correspondence package (complaints, SOP engine, documents).

Every error carries a message a user can act on; the CLI prints it and maps the
class to an exit code in one place (``cli.py``).
"""


class CorrespondenceError(Exception):
    """Base of every error raised by the correspondence package."""


class ConfigError(CorrespondenceError):
    """An office profile or SOP file is malformed (message names file, key and fix)."""


class UnknownOffice(CorrespondenceError):
    """No office profile with that name or path."""


class UnknownSop(CorrespondenceError):
    """No SOP with that name or path."""


class UnknownComplaint(CorrespondenceError):
    """No complaint with that register number."""


class InvalidInput(CorrespondenceError):
    """A value given by the user (channel, attachment, data file) is not acceptable."""


class NotAllowed(CorrespondenceError):
    """The action is not allowed now: wrong step, wrong official, or out of the route's order."""


class TemplateError(CorrespondenceError):
    """A DOCX template is missing or broken (for example a malformed Jinja tag)."""


class ConversionError(CorrespondenceError):
    """LibreOffice could not convert a document."""


class LibreOfficeMissing(ConversionError):
    """LibreOffice (soffice) or its Python-UNO bridge is not installed."""
