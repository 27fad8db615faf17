"""The TTE stamp's QR code (signatures/qr_mask.py) is qrcode's symbol, mask included."""

import qrcode
from hypothesis import given, settings
from hypothesis import strategies as st
from qrcode import util

from signatures.appearance import qr_code
from signatures.qr_mask import StampQR, mask_penalties

LEVELS = st.sampled_from([qrcode.constants.ERROR_CORRECT_L, qrcode.constants.ERROR_CORRECT_M,
                          qrcode.constants.ERROR_CORRECT_Q, qrcode.constants.ERROR_CORRECT_H])
# URL-like text (byte and alphanumeric chunks mixed, as verification links are), any text, bytes
PAYLOADS = st.one_of(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 $%*+-./:abcdefxyz?=&_", min_size=1, max_size=300),
    st.text(min_size=1, max_size=120),
    st.binary(min_size=1, max_size=200),
)


def _stock(data, level):
    qr = qrcode.QRCode(error_correction=level, border=1)
    qr.add_data(data)
    qr.make(fit=True)
    return qr


@settings(max_examples=150, deadline=None)
@given(PAYLOADS, LEVELS)
def test_the_symbol_and_mask_are_qrcodes_own(data, level):
    ours = StampQR(error_correction=level, border=1)
    ours.add_data(data)
    ours.make(fit=True)
    stock = _stock(data, level)
    assert ours.version == stock.version
    assert ours.modules == stock.modules
    # (each call rebuilds the symbol for its trials: compared after the modules)
    assert ours.best_mask_pattern() == stock.best_mask_pattern()


@settings(max_examples=80, deadline=None)
@given(PAYLOADS, LEVELS)
def test_each_masks_penalty_is_qrcodes_lost_point(data, level):
    qr = StampQR(error_correction=level)
    qr.add_data(data)
    qr.best_fit()
    qr.makeImpl(True, 0)
    penalties = mask_penalties(qr.modules, qr._data_modules)
    expected = []
    for mask in range(8):
        qr.makeImpl(True, mask)
        expected.append(util.lost_point(qr.modules))
    assert penalties == expected


def test_the_stamps_qr_is_qrcodes_for_a_verification_link():
    url = "https://verifikasi.dpmptsp.example.go.id/v/" + "3f9a" * 8
    ours = qr_code(url)
    stock = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=1)
    stock.add_data(url)
    stock.make(fit=True)
    assert isinstance(ours, StampQR)
    assert ours.modules == stock.modules
    assert ours.get_matrix() == stock.get_matrix()
