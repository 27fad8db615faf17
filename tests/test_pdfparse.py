"""signatures.pdfparse: the fast hex-string reader gives pyHanko's results and errors."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic
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
    obj = generic.read_object(io.BytesIO(b"<30 31 3> 0"), None)
    assert bytes(obj.original_bytes) == b"010"
