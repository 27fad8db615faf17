"""Faster readers for pyHanko's PDF parser (same results, same errors).

pyHanko 0.38 tokenizes a PDF one byte at a time. Every reader that opens a letter (each signing
step's input and its validation gate, ``naskah verify``, ``archive verify``) pays for it, and a
signed letter is opened ten times on its way to the archive. :func:`install` swaps five of the
parser's innermost functions for ones that read a slice and search it:

* :func:`read_hex_string` for ``read_hex_string_from_stream`` (``<...>``). A signature's
  ``/Contents`` is a hex string of about 11,000 digits that pyHanko read digit by digit: about
  5 ms per signature, more than the signature itself.
* :func:`read_until_class` for ``misc._read_until_class``, the loop under every name, number
  and keyword (``read_until_delimiter``, ``read_until_whitespace``).
* :func:`decode_name` for ``generic._decode_name``: a name without ``#`` escapes (nearly all of
  them) is taken as it is instead of byte by byte.
* :func:`decode_pdfdocencoding` for pyHanko's function of that name: a text string (a field's
  name, a reason) is decoded by one table lookup instead of character by character.
* :func:`parse_xref_table` for ``xref.parse_xref_table``: a classic cross-reference table whose
  entries are the standard 20 bytes is cut into entries in one pass. Any other table goes through
  pyHanko's algorithm with one fault removed: pyHanko loops forever on a table whose line starts
  with an end-of-line byte near the end of the file, so a 120-byte hostile PDF hung every reader.

Each takes its fast path only where the input is the plain case and hands anything else (a
comment, an escape, a 19- or 21-byte xref line, a truncated file) to pyHanko's own code, so
results, stream positions and errors are pyHanko's, but for the hang above.
``tests/test_pdfparse.py`` compares each with the original on generated input.
"""

from __future__ import annotations

import binascii
import os
import re
from collections.abc import Iterator

from pyhanko.pdf_utils import generic, misc, xref
from pyhanko.pdf_utils.misc import PdfStreamError

_WHITESPACE = b"\x00\t\n\f\r "  # misc.PDF_WHITESPACE, as a translate() deletion set
_HEX = generic.HEX_DIGITS
_CHUNK = 16384

_ORIGINAL = {
    "read_hex_string": generic.read_hex_string_from_stream,
    "read_until_class": misc._read_until_class,
    "decode_name": generic._decode_name,
    "parse_xref_table": xref.parse_xref_table,
    "decode_pdfdocencoding": generic.decode_pdfdocencoding,
}


# --- hex strings -------------------------------------------------------------------------


def read_hex_string(stream):
    """Read ``<hex digits>`` from ``stream`` (positioned on ``<``) into a PDF string object.

    Whitespace is ignored, an odd number of digits is padded with ``0``, any other byte raises
    ``PdfStreamError`` and a string without its ``>`` raises at the end of the stream. A ``%``
    inside the string (a comment, which pyHanko skips) goes to pyHanko's own reader.
    """
    begin = stream.tell()
    stream.read(1)
    start = begin + 1
    raw = b""
    while True:
        chunk = stream.read(_CHUNK)
        end = chunk.find(b">")
        if end >= 0:
            raw += chunk[:end]
            break
        raw += chunk
        if not chunk or b"%" in chunk:
            break
    if end < 0 or b"%" in raw:  # no '>' (pyHanko's error) or a comment: pyHanko's own reader
        stream.seek(begin)
        return _ORIGINAL["read_hex_string"](stream)
    stream.seek(start + len(raw) + 1)
    digits = raw.translate(None, _WHITESPACE)
    bad = digits.translate(None, _HEX)
    if bad:
        raise PdfStreamError("Unexpected token in hex string: " + repr(bad[:1]))
    if len(digits) % 2:
        digits += b"0"
    return generic.pdf_string(binascii.unhexlify(digits))


# --- tokens ------------------------------------------------------------------------------

_TOKEN_CHUNK = 64  # names, numbers and keywords are short; a longer one takes more chunks
_STOPS: dict[bytes, re.Pattern[bytes]] = {}


def read_until_class(class_chars: bytes, stream, maxchars: int | None = None) -> tuple[bytes, bool]:
    """Bytes up to the first byte of ``class_chars`` (consumed, not returned), or up to the end of
    the stream (then ``True``), or ``maxchars`` bytes (a false ``maxchars``: no limit)."""
    stop = _STOPS.get(class_chars)
    if stop is None:
        stop = _STOPS[class_chars] = re.compile(b"[" + re.escape(class_chars) + b"]")
    start = stream.tell()
    taken = 0
    parts = []
    while True:
        want = _TOKEN_CHUNK if not maxchars else min(_TOKEN_CHUNK, maxchars - taken)
        if want <= 0:
            return b"".join(parts), False
        chunk = stream.read(want)
        if not chunk:
            return b"".join(parts), True
        found = stop.search(chunk)
        if found is not None:
            at = found.start()
            stream.seek(start + taken + at + 1)
            parts.append(chunk[:at])
            return b"".join(parts), False
        parts.append(chunk)
        taken += len(chunk)


_PLAIN_NAME = re.compile(
    b"[" + re.escape(bytes(c for c in range(0x21, 0x7F) if c not in b"()<>[]{}/%#")) + b"]*"
)


def decode_name(name_bytes: bytes) -> generic.NameObject:
    """The name object for ``name_bytes`` (the name without its ``/``): printable ASCII with no
    delimiter and no ``#`` escape as it is, anything else by pyHanko's decoder."""
    if _PLAIN_NAME.fullmatch(name_bytes):
        return generic.NameObject("/" + name_bytes.decode("ascii"))
    return _ORIGINAL["decode_name"](name_bytes)


# PDFDocEncoding as a str.translate() table over the bytes read as Latin-1; the bytes it leaves
# undefined come out as U+0000 (pyHanko's table has them so), and pyHanko then names the byte
_PDFDOC = {i: c for i, c in enumerate(generic._pdfDocEncoding)}


def decode_pdfdocencoding(byte_array: bytes) -> str:
    """A text string in PDFDocEncoding (the /T of a field, a /Reason) as pyHanko decodes it."""
    text = bytes(byte_array).decode("latin-1").translate(_PDFDOC)
    if "\0" in text:
        return _ORIGINAL["decode_pdfdocencoding"](byte_array)
    return text


# --- cross-reference tables --------------------------------------------------------------

_WS = rb"[\x00\t\n\f\r ]"
_SUBSECTION = re.compile(_WS + rb"*(\d+)" + _WS + rb"+(\d+)" + _WS + b"+")
_ENTRIES = re.compile(rb"(?:\d{10} \d{5} [nf](?: \r| \n|\r\n))*")
_SPACE = re.compile(_WS + b"*")
_NOT_PLAIN = object()


def _plain_table(stream) -> list[xref.XRefEntry] | object:
    """The entries of the table at the stream's position, the stream left where pyHanko's parser
    leaves it (on the trailer dictionary); ``_NOT_PLAIN`` for any other shape of table."""
    standard, free, entry = xref.XRefType.STANDARD, xref.XRefType.FREE, xref.XRefEntry
    entries: list[xref.XRefEntry] = []
    pos = stream.tell()
    size_of_file = stream.seek(0, os.SEEK_END)
    stream.seek(pos)
    while True:
        head = stream.read(_TOKEN_CHUNK)
        m = _SUBSECTION.match(head)
        if m is None or m.end() == len(head):
            return _NOT_PLAIN
        num, size = int(m[1]), int(m[2])
        pos += m.end()
        if pos + 20 * size > size_of_file:  # a count the file cannot hold: never read(that many)
            return _NOT_PLAIN
        stream.seek(pos)
        block = stream.read(20 * size)
        if len(block) != 20 * size or not _ENTRIES.fullmatch(block):
            return _NOT_PLAIN
        for k in range(0, 20 * size, 20):
            generation = int(block[k + 11:k + 16])
            if block[k + 17] == 0x6E:  # n
                entries.append(entry(xref_type=standard, location=int(block[k:k + 10]),
                                     idnum=num, generation=generation))
            else:
                entries.append(entry(xref_type=free, location=None, idnum=num, generation=generation))
            num += 1
        pos += 20 * size
        tail = stream.read(_TOKEN_CHUNK)
        at = _SPACE.match(tail).end()
        if tail[at:at + 7] == b"trailer":
            after = _SPACE.match(tail, at + 7).end()
            if after == len(tail) or tail[after:after + 1] == b"%":
                return _NOT_PLAIN
            stream.seek(pos + after)
            return entries
        if not tail[at:at + 1].isdigit():
            return _NOT_PLAIN
        pos += at
        stream.seek(pos)


def _careful_table(stream, strict: bool) -> Iterator[xref.XRefEntry]:
    """pyHanko 0.38's table parser, line for line, except where a line starts with an end-of-line
    byte within 20 bytes of the end of the file: pyHanko steps back to re-read such a line and
    never gets past it (a 120-byte PDF hung ``naskah verify``). Here that table is truncated and
    reading it fails."""
    misc.read_non_whitespace(stream)
    stream.seek(-1, os.SEEK_CUR)
    while True:
        num = generic.NumberObject.read_from_stream(stream)
        misc.read_non_whitespace(stream)
        stream.seek(-1, os.SEEK_CUR)
        size = generic.NumberObject.read_from_stream(stream)
        misc.read_non_whitespace(stream)
        stream.seek(-1, os.SEEK_CUR)
        for _ in range(size):
            line = stream.read(20)
            # lines of 21 bytes (CRLF after a space): skip the end-of-line bytes before the entry
            while line[0] in b"\x0d\x0a":
                if len(line) < 20:
                    raise misc.PdfReadError("XRef table truncated: the file ends inside an entry")
                stream.seek(-20 + 1, os.SEEK_CUR)
                line = stream.read(20)
            # lines of 19 bytes (a bare end of line): the next entry or 'trailer' was read into this one
            if line[-1] in b"0123456789t":
                stream.seek(-1, os.SEEK_CUR)
            offset, generation, marker = line[:18].split(b" ", maxsplit=2)
            if not strict and len(marker) > 1:
                offset, generation, marker = line[:18].split(maxsplit=2)
            if marker == b"n":
                yield xref.XRefEntry(
                    xref_type=xref.XRefType.STANDARD,
                    location=xref._xref_parse_decimal(offset, "XRef line parsing error (location)"),
                    idnum=num,
                    generation=xref._xref_parse_decimal(generation, "XRef line parsing error (generation)"),
                )
            elif marker == b"f":
                yield xref.XRefEntry(
                    xref_type=xref.XRefType.FREE,
                    location=None,
                    idnum=num,
                    generation=xref._xref_parse_decimal(
                        generation, "XRef line parsing error (generation to free)"),
                )
            elif strict:
                raise misc.PdfStrictReadError(f"Unknown marker {marker!r}")
            num += 1
        misc.read_non_whitespace(stream)
        stream.seek(-1, os.SEEK_CUR)
        trailertag = stream.read(7)
        if trailertag == b"trailer":
            misc.read_non_whitespace(stream)
            stream.seek(-1, os.SEEK_CUR)
            return
        stream.seek(-7, os.SEEK_CUR)


def parse_xref_table(stream, strict: bool) -> Iterator[xref.XRefEntry]:
    """pyHanko's ``parse_xref_table``: the entries of the cross-reference table at the stream's
    position, one by one, the stream then on the trailer dictionary. A table of standard 20-byte
    lines is cut up in one pass; any other goes through :func:`_careful_table`."""
    start = stream.tell()
    entries = _plain_table(stream)
    if entries is _NOT_PLAIN:
        stream.seek(start)
        yield from _careful_table(stream, strict)
        return
    yield from entries


# --- installation ------------------------------------------------------------------------


def install() -> None:
    """Use the readers above in pyHanko's parser (idempotent)."""
    generic.read_hex_string_from_stream = read_hex_string
    misc._read_until_class = read_until_class
    generic._decode_name = decode_name
    xref.parse_xref_table = parse_xref_table
    generic.decode_pdfdocencoding = decode_pdfdocencoding


def original(name: str):
    """pyHanko's own function for ``name`` (a key of the readers above), for the comparison tests."""
    return _ORIGINAL[name]


def original_reader():
    """pyHanko's own hex-string reader (for the comparison tests)."""
    return _ORIGINAL["read_hex_string"]
