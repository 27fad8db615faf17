"""signatures.pdfparse: the fast readers give pyHanko's results, stream positions and errors."""

from __future__ import annotations

import io
import signal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic, misc, xref
from pyhanko.pdf_utils.misc import PdfStreamError

from signatures import pdfparse

HEX = "0123456789abcdefABCDEF"
WS = " \n\r\t\f\x00"


def both(data: bytes):
    """(result, position after) or the error type, for pyHanko's reader and the fast one."""
    out = []
    for reader in (pdfparse.original_reader(), pdfparse.read_hex_string):
        s = io.BytesIO(data)
        try:
            value = reader(s)
            out.append((type(value), bytes(value.original_bytes) if hasattr(value, "original_bytes")
                        else str(value), s.tell()))
        except PdfStreamError as e:
            out.append((PdfStreamError, str(e)[:40]))
    return out


@settings(max_examples=300, deadline=None)
@given(body=st.text(alphabet=HEX + WS, max_size=300), tail=st.binary(max_size=20))
def test_same_as_pyhanko_on_valid_strings(body, tail):
    original, fast = both(b"<" + body.encode("latin-1") + b">" + tail)
    assert fast == original


@settings(max_examples=300, deadline=None)
@given(body=st.text(alphabet=HEX + WS + "/%xyzG>(<\n", max_size=80), closed=st.booleans())
def test_same_as_pyhanko_on_any_input(body, closed):
    data = b"<" + body.encode("latin-1") + (b">" if closed else b"")
    original, fast = both(data)
    assert fast == original


def test_a_long_string_across_chunks():
    digits = ("0A1b" * 12000).encode()
    original, fast = both(b"<" + digits[:20001] + b"\n" + digits[20001:] + b"> trailing")
    assert fast == original
    assert fast[2] == len(b"<" + digits + b"\n>")


def test_errors_name_the_bad_byte():
    with pytest.raises(PdfStreamError, match="Unexpected token in hex string: b'/'"):
        pdfparse.read_hex_string(io.BytesIO(b"<12/34>"))
    with pytest.raises(PdfStreamError):
        pdfparse.read_hex_string(io.BytesIO(b"<1234"))


def test_installed_in_pyhankos_parser():
    import signatures  # noqa: F401 - installs it

    assert generic.read_hex_string_from_stream is pdfparse.read_hex_string
    assert misc._read_until_class is pdfparse.read_until_class
    assert generic._decode_name is pdfparse.decode_name
    assert generic.decode_pdfdocencoding is pdfparse.decode_pdfdocencoding
    assert xref.parse_xref_table is pdfparse.parse_xref_table
    obj = generic.read_object(io.BytesIO(b"<30 31 3> 0"), None)
    assert bytes(obj.original_bytes) == b"010"


# --- the token, name, text-string and xref readers ---------------------------------------

DELIMS = misc.PDF_WHITESPACE + misc.PDF_DELIMITERS


def outcome(call):
    """What a reader call gave: its value, or the type and start of its error."""
    try:
        return ("ok", call())
    except Exception as e:  # both sides must fail alike
        return ("error", type(e), str(e)[:60])


def token_run(reader, data: bytes, start: int, class_chars: bytes, maxchars):
    s = io.BytesIO(data)
    s.seek(min(start, len(data)))
    result, end = reader(class_chars, s, maxchars=maxchars)
    return result, end, s.tell()


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=200) | st.text(alphabet="ab/ \n%<>[]()12", max_size=200).map(str.encode),
       start=st.integers(0, 30), classes=st.sampled_from([misc.PDF_WHITESPACE, DELIMS, b"]"]),
       maxchars=st.none() | st.integers(1, 150))  # pyHanko fails on 0 (nobody passes it)
def test_token_reader_same_as_pyhanko(data, start, classes, maxchars):
    original = pdfparse.original("read_until_class")
    assert token_run(pdfparse.read_until_class, data, start, classes, maxchars) == \
        token_run(original, data, start, classes, maxchars)


def test_a_long_token_across_chunks():
    data = b"x" * 1000 + b" rest"
    assert token_run(pdfparse.read_until_class, data, 0, DELIMS, None) == (b"x" * 1000, False, 1001)
    assert token_run(pdfparse.read_until_class, data, 0, DELIMS, 700) == (b"x" * 700, False, 700)
    assert token_run(pdfparse.read_until_class, b"tail", 0, DELIMS, None) == (b"tail", True, 4)


def name_result(decoder, raw: bytes):
    def call():
        name = decoder(raw)
        return type(name), str(name)
    return outcome(call)


@settings(max_examples=400, deadline=None)
@given(raw=st.binary(max_size=40) | st.text(alphabet="AbZ09#fF/.-_~!*é", max_size=40).map(str.encode))
def test_name_decoder_same_as_pyhanko(raw):
    assert name_result(pdfparse.decode_name, raw) == name_result(pdfparse.original("decode_name"), raw)


def test_plain_and_escaped_names():
    assert pdfparse.decode_name(b"Contents") == "/Contents"
    assert isinstance(pdfparse.decode_name(b"Contents"), generic.NameObject)
    assert pdfparse.decode_name(b"A#20B") == "/A B"  # an escape goes to pyHanko's decoder
    with pytest.raises(misc.PdfReadError):
        pdfparse.decode_name(b"A(B")


@settings(max_examples=400, deadline=None)
@given(raw=st.binary(max_size=60))
def test_pdfdocencoding_same_as_pyhanko(raw):
    assert outcome(lambda: pdfparse.decode_pdfdocencoding(raw)) == \
        outcome(lambda: pdfparse.original("decode_pdfdocencoding")(raw))


def test_pdfdocencoding_special_bytes():
    # PDFDocEncoding differs from Latin-1 in 0x18-0x1F and 0x80-0xA0; 0x7F is undefined
    assert pdfparse.decode_pdfdocencoding(b"Nomor \x84 \x18\x92") == "Nomor \u2014 \u02d8\u2122"
    with pytest.raises(UnicodeDecodeError):
        pdfparse.decode_pdfdocencoding(b"a\x7fb")


EOLS = [b" \n", b" \r", b"\r\n"]
ODD_EOLS = [b"\n", b"\r\n\n", b"  \n", b"\n\r"]


@st.composite
def xref_tables(draw):
    """A classic xref table as written by LibreOffice, pyHanko, Word, ..., sometimes damaged."""
    out = [draw(st.sampled_from([b"", b"\n", b" ", b"\r\n", b"% c\n"]))]
    num = draw(st.integers(0, 5))
    for _ in range(draw(st.integers(1, 3))):
        size = draw(st.integers(0, 6))
        out.append(b"%d %d" % (num, size) + draw(st.sampled_from([b"\n", b" \n", b"\r\n", b" ", b"\n\n"])))
        for _ in range(size):
            offset = draw(st.integers(0, 9_999_999_999))
            generation = draw(st.integers(0, 99_999))
            marker = draw(st.sampled_from(b"nnnnff" + b"x"))
            eol = draw(st.sampled_from(EOLS * 6 + ODD_EOLS))
            out.append(b"%010d %05d %c" % (offset, generation, marker) + eol)
        num += size + draw(st.integers(0, 3))
    out.append(draw(st.sampled_from([b"trailer\n", b"trailer", b"trailer\r\n  ", b"trailer % c\n", b"trai",
                                     b"xref\n", b"", b"\ntrailer\n"])))
    out.append(draw(st.sampled_from([b"<</Size 9>>", b"", b"  <<>>"])))
    data = b"".join(out)
    cut = draw(st.none() | st.integers(0, len(data)))
    return data if cut is None else data[:cut]


class _Hung(BaseException):  # not caught by outcome()
    pass


def xref_run(parser, data: bytes, strict: bool, *, limit: float | None = None):
    """Entries and final position, or the error; ``limit`` seconds: ``"hangs"`` past them."""
    s = io.BytesIO(data)

    def call():
        entries = [(e.xref_type, e.location, e.idnum, e.generation) for e in parser(s, strict)]
        return entries, s.tell()
    if limit is None:
        return outcome(call)

    def stop(*_):
        raise _Hung

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        return outcome(call)
    except _Hung:
        return "hangs"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@settings(max_examples=600, deadline=None)
@given(data=xref_tables(), strict=st.booleans())
def test_xref_table_parser_same_as_pyhanko(data, strict):
    original = xref_run(pdfparse.original("parse_xref_table"), data, strict, limit=0.5)
    fast = xref_run(pdfparse.parse_xref_table, data, strict)
    truncated = ("error", misc.PdfReadError, "XRef table truncated: the file ends inside an entry")
    if fast == truncated:
        # a line that starts with an end-of-line byte within 20 bytes of the end: pyHanko steps
        # back to before it and loops, or reads the entry before it again and fails on it
        assert original == "hangs" or original[0] == "error"
    else:
        assert fast == original


def test_a_pdf_that_hung_pyhanko_is_refused():
    """A 120-byte PDF whose xref table ends in a blank line and a short entry: pyHanko's reader
    looped forever on it (every ``naskah verify``, signing step and archive check)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    body = b"%PDF-1.7\n1 0 obj\n<</Type/Catalog>>\nendobj\n"
    tail = b"startxref\n%04d\n%%%%EOF\n" % (len(body) + 21)
    data = body + tail + b"xref\n0 2\n0000000000 65535 f\r\n\n0000000009 00000 n"
    assert xref_run(pdfparse.original("parse_xref_table"), data[len(body) + 26:], True, limit=0.5) == "hangs"
    with pytest.raises(misc.PdfReadError, match="truncated"):
        PdfFileReader(io.BytesIO(data))


def test_xref_table_fast_path_is_taken_and_right():
    table = (b"0 3\n0000000000 65535 f\r\n0000000017 00000 n\r\n0000000081 00002 n\r\n"
             b"7 1\n0000000200 00000 n \ntrailer\n<< /Size 8 >>")
    assert isinstance(pdfparse._plain_table(io.BytesIO(table)), list)  # the one-pass path
    assert pdfparse._plain_table(io.BytesIO(table.replace(b"f\r\n", b"f\n"))) is pdfparse._NOT_PLAIN
    s = io.BytesIO(table)
    entries = list(pdfparse.parse_xref_table(s, True))
    assert [(e.idnum, e.location, e.generation) for e in entries] == \
        [(0, None, 65535), (1, 17, 0), (2, 81, 2), (7, 200, 0)]
    assert table[s.tell():].startswith(b"<< /Size 8")
    huge = b"0 99999999999999999999\n0000000000 65535 f\r\ntrailer\n<<>>"  # a hostile count
    assert pdfparse._plain_table(io.BytesIO(huge)) is pdfparse._NOT_PLAIN
    assert xref_run(pdfparse.parse_xref_table, huge, True)[0] == "error"
