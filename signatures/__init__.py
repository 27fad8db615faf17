"""Paraf and TTE signatures of Naskah letters (see docs/design.md, "signatures")."""

from . import cms_attributes, pdfparse

pdfparse.install()  # pyHanko's PDF parser, faster (same results): see pdfparse
cms_attributes.install()  # the signing-certificate check compares DER first (same results): see there

from .appearance import DEFAULT_FOOTER, StampSettings, find_font
from .errors import (
    CarriesJavaScript,
    KeyLoadError,
    NotANaskahDocument,
    NotAPdf,
    OutOfOrder,
    RouteMismatch,
    SignatureError,
    SigningFailed,
    WrongPassphrase,
    WrongSigner,
)
from .keys import KeySource, Pkcs12KeySource, load_certificate
from .pki import DemoPki, create_demo_pki, issue_demo_certificate
from .route import Route, RouteStep, Signatory, parse_field_name
from .signing import prepare, sign_paraf, sign_tte
from .validation import ExpectedSignatory, SignatureCheck, VerificationReport, verify_pdf

__all__ = [
    "CarriesJavaScript",
    "DEFAULT_FOOTER",
    "DemoPki",
    "ExpectedSignatory",
    "KeyLoadError",
    "KeySource",
    "NotANaskahDocument",
    "NotAPdf",
    "OutOfOrder",
    "Pkcs12KeySource",
    "Route",
    "RouteMismatch",
    "RouteStep",
    "SignatureCheck",
    "SignatureError",
    "Signatory",
    "SigningFailed",
    "StampSettings",
    "VerificationReport",
    "WrongPassphrase",
    "WrongSigner",
    "create_demo_pki",
    "find_font",
    "issue_demo_certificate",
    "load_certificate",
    "parse_field_name",
    "prepare",
    "sign_paraf",
    "sign_tte",
    "verify_pdf",
]
