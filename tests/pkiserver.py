"""A real test PKI served over HTTP on loopback, for the signature-level tests.

Root CA -> intermediate CA ("BSrE Uji") -> one certificate per official, plus a time-stamping
authority, an OCSP responder for the intermediate and CRLs of both CAs, all made and served
by certomancer's Animator (a WSGI app) on ``127.0.0.1:<free port>`` in a thread.

Every key is generated at test time into a temporary folder; nothing secret is committed.
The officials' certificates carry the subject fields Naskah reads (signatures/pki.py):
CN = name, serialNumber = NIP digits, title = jabatan.

Variants of an official's certificate (own key each) exercise the refusals:
``<id>_expired`` (validity ended 30 days ago), ``<id>_notyet`` (valid from 30 days ahead),
``<id>_revoked`` (revoked three days ago, listed by OCSP and the CRL), ``<id>_other``
(a second valid certificate of the same official: not the registered one).

Use as a pytest fixture (``from pkiserver import test_pki``) or as a context manager::

    with TestPki(tmp_path, officials) as pki:
        pki.tsa_url, pki.write_pkcs12("kadis", dest, "pass"), pki.certificate("kadis")
        pki.stop()   # the services are gone (idempotent); pki.start() serves again
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from asn1crypto import x509 as asn1_x509
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import WSGIRequestHandler, make_server

ARCH = "naskah-uji"
VARIANTS = ("expired", "notyet", "revoked", "other")


@dataclass(frozen=True)
class PkiOfficial:
    official_id: str
    name: str
    nip: str
    jabatan: str


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _write_key(path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def _ext(schema: str, params, id_: str, critical: bool = False) -> dict:
    return {"id": id_, "critical": critical, "smart-value": {"schema": schema, "params": params}}


def _ca_cert(subject: str, issuer: str, start: datetime, end: datetime, crl_repo: str | None) -> dict:
    exts = [
        {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
        _ext("key-usage", ["digital_signature", "key_cert_sign", "crl_sign"], "key_usage", True),
    ]
    if crl_repo:
        exts.append(_ext("crl-dist-url", {"crl-repo-names": [crl_repo]}, "crl_distribution_points"))
    return {"subject": subject, "issuer": issuer, "validity": {"valid-from": _iso(start), "valid-to": _iso(end)},
            "extensions": exts}


def _leaf(subject: str, key: str, start: datetime, end: datetime, *, revoked_since: datetime | None = None) -> dict:
    spec = {
        "subject": subject, "subject-key": key, "issuer": "interm",
        "validity": {"valid-from": _iso(start), "valid-to": _iso(end)},
        "extensions": [
            _ext("key-usage", ["digital_signature", "non_repudiation"], "key_usage", True),
            _ext("aia-urls", {"ocsp-responder-names": ["interm"]}, "authority_information_access"),
            _ext("crl-dist-url", {"crl-repo-names": ["interm"]}, "crl_distribution_points"),
        ],
    }
    if revoked_since is not None:
        spec["revocation"] = {"revoked-since": _iso(revoked_since), "reason": "key_compromise"}
    return spec


def build_config(officials: Iterable[PkiOfficial], url: str, now: datetime, *, organisation: str,
                 variants: Iterable[str] = VARIANTS) -> dict:
    """The certomancer configuration (keys are named ``<label>.key.pem`` in the key folder)."""
    day = timedelta(days=1)
    entities = {
        "root": {"common-name": "Naskah Uji Root CA"},
        "interm": {"common-name": "Naskah Uji BSrE CA"},
        "tsa": {"common-name": "Naskah Uji Time Stamping Authority"},
        "interm-ocsp": {"common-name": "Naskah Uji OCSP Responder"},
    }
    certs = {
        "root": _ca_cert("root", "root", now - 3650 * day, now + 3650 * day, None),
        "interm": _ca_cert("interm", "root", now - 1800 * day, now + 1800 * day, "root"),
        "tsa": {
            "subject": "tsa", "issuer": "root",
            "validity": {"valid-from": _iso(now - 1000 * day), "valid-to": _iso(now + 1000 * day)},
            "extensions": [
                _ext("key-usage", ["digital_signature", "non_repudiation"], "key_usage", True),
                {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                _ext("crl-dist-url", {"crl-repo-names": ["root"]}, "crl_distribution_points"),
            ],
        },
        "interm-ocsp": {
            "subject": "interm-ocsp", "issuer": "interm",
            "validity": {"valid-from": _iso(now - 1000 * day), "valid-to": _iso(now + 1000 * day)},
            "extensions": [
                _ext("key-usage", ["digital_signature"], "key_usage", True),
                {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                {"id": "ocsp_no_check"},
            ],
        },
    }
    validity = {  # variant -> (valid from, valid to, revoked since)
        "": (now - 30 * day, now + 365 * day, None),
        "expired": (now - 400 * day, now - 30 * day, None),
        "notyet": (now + 30 * day, now + 400 * day, None),
        "revoked": (now - 30 * day, now + 365 * day, now - 3 * day),
        "other": (now - 30 * day, now + 365 * day, None),
    }
    keys = ["root", "interm", "tsa", "interm-ocsp"]
    for o in officials:
        entities[o.official_id] = {
            "common-name": o.name, "serial-number": "".join(c for c in o.nip if c.isdigit()),
            "title": o.jabatan, "organization-name": organisation,
        }
        for variant in ("", *variants):
            label = f"{o.official_id}_{variant}" if variant else o.official_id
            start, end, revoked = validity[variant]
            certs[label] = _leaf(o.official_id, label, start, end, revoked_since=revoked)
            keys.append(label)
    return {
        "external-url-prefix": url,
        "keysets": {ARCH: {"keys": {k: {"path": f"{k}.key.pem"} for k in keys}}},
        "pki-architectures": {
            ARCH: {
                "keyset": ARCH,
                "entity-defaults": {"country-name": "ID"},
                "entities": entities,
                "certs": certs,
                "services": {
                    "ocsp": {"interm": {"for-issuer": "interm", "responder-cert": "interm-ocsp",
                                        "signing-key": "interm-ocsp"}},
                    "crl-repo": {
                        "root": {"for-issuer": "root", "signing-key": "root", "simulated-update-schedule": "P1D"},
                        "interm": {"for-issuer": "interm", "signing-key": "interm",
                                   "simulated-update-schedule": "P1D"},
                    },
                    "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
                    "cert-repo": {"root": {"for-issuer": "root", "publish-issued-certs": True},
                                  "interm": {"for-issuer": "interm", "publish-issued-certs": True}},
                },
            }
        },
    }


class TestPki:
    """The PKI and its HTTP services; ``stop()`` takes the services down (the files stay)."""

    __test__ = False  # not a test class, despite the name

    def __init__(self, folder: Path, officials: Iterable[PkiOfficial], *,
                 organisation: str = "Pemerintah Kota Uji", variants: Iterable[str] = VARIANTS) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.officials = tuple(officials)
        self.variants = tuple(variants)
        self.now = datetime.now(timezone.utc).replace(microsecond=0)
        # bind first (port 0: the kernel picks a free port), then build the PKI with that URL
        self._server = make_server("127.0.0.1", 0, _not_ready, threaded=True, request_handler=_QuietHandler)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        config = build_config(self.officials, self.url, self.now, organisation=organisation, variants=variants)
        key_dir = self.folder / "keys"
        key_dir.mkdir(exist_ok=True)
        for label in config["keysets"][ARCH]["keys"]:
            _write_key(key_dir / f"{label}.key.pem")
        (self.folder / "certomancer.yml").write_text(yaml.safe_dump(config, sort_keys=False))
        self.config = CertomancerConfig(config, key_search_dir=str(key_dir))
        self.arch = self.config.get_pki_arch(ArchLabel(ARCH))
        self._app = Animator(AnimatorArchStore({ARCH: self.arch}), with_web_ui=False)
        self._server.app = self._app
        self._thread: threading.Thread | None = None
        self.start()

    # -- services -------------------------------------------------------------------------
    @property
    def tsa_url(self) -> str:
        return f"{self.url}/{ARCH}/tsa/tsa"

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        """Serve (again, on the same port after ``stop()``)."""
        if self._thread is not None:
            return
        if self._server is None:
            self._server = make_server("127.0.0.1", self.port, self._app, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="test-pki", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Take the TSA, OCSP responder and CRL server down (idempotent)."""
        if self._thread is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._thread, self._server = None, None

    def __enter__(self) -> TestPki:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- material -------------------------------------------------------------------------
    def certificate(self, label: str) -> asn1_x509.Certificate:
        return self.arch.get_cert(CertLabel(label))

    @property
    def root(self) -> asn1_x509.Certificate:
        return self.certificate("root")

    def pem(self, label: str) -> bytes:
        from asn1crypto import pem

        return pem.armor("CERTIFICATE", self.certificate(label).dump())

    def write_certificate(self, label: str, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.pem(label))
        return path

    def write_pkcs12(self, label: str, path: Path, passphrase: str) -> Path:
        """Key + certificate + chain (intermediate, root), encrypted with ``passphrase``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.arch.package_pkcs12(CertLabel(label), password=passphrase.encode("utf-8"))
        path.write_bytes(data)
        path.chmod(0o600)
        return path


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # no access log on the test output
        pass


def _not_ready(environ, start_response):  # pragma: no cover - replaced before the thread starts
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"not ready"]


OFFICIALS = (
    PkiOfficial("kasubag", "Siti Aminah, S.E.", "19800202 200501 2 002", "Kepala Sub Bagian Umum dan Kepegawaian"),
    PkiOfficial("sekdin", "Ir. Joko Prasetyo", "19750303 200003 1 003", "Sekretaris Dinas"),
    PkiOfficial("kadis", "Budi Santoso, S.Kom., M.T.", "19700101 199503 1 001",
                "Kepala Dinas Komunikasi dan Informatika"),
)


def pki_fixture(officials: Iterable[PkiOfficial]):
    """A module-scoped pytest fixture: a TestPki of ``officials``, running for one test module
    (in a test module: ``pki = pki_fixture(OFFICIALS)``)."""
    officials = tuple(officials)

    @pytest.fixture(scope="module")
    def running_pki(tmp_path_factory):
        pki = TestPki(tmp_path_factory.mktemp("pki"), officials)
        yield pki
        pki.stop()

    return running_pki


test_pki = pki_fixture(OFFICIALS)
"""The PKI of tests/test_signatures.py's three officials, running for one test module."""


def install_office(home: Path, pki: TestPki, *, office_id: str, level: str, passphrase: str,
                   base: Path | None = None, replace_officials: bool = False) -> Path:
    """An office in ``home`` that signs with the test PKI: ``$NASKAH_HOME/offices/<id>/office.yaml``.

    ``base`` is a profile to start from (default: the shipped Pangkalpinang one, with its demo
    script). Officials of ``base`` that the PKI knows get ``key:``/``certificate:`` under
    ``keys/<id>/`` (PKCS#12 encrypted with ``passphrase``); with ``replace_officials`` the
    profile's officials are the PKI's (role = id). ``keys/<id>/ca.pem`` is the PKI's root.
    """
    import shutil

    from correspondence.catalog import SHIPPED_OFFICES

    base = base or SHIPPED_OFFICES / "pangkalpinang" / "office.yaml"
    profile = yaml.safe_load(base.read_text(encoding="utf-8"))
    folder = home / "offices" / office_id
    folder.mkdir(parents=True, exist_ok=True)
    for item in base.parent.iterdir():
        if item.is_file() and item.name != "office.yaml":
            shutil.copy2(item, folder / item.name)
    keys = home / "keys" / office_id
    pki.write_certificate("root", keys / "ca.pem")
    known = {o.official_id: o for o in pki.officials}
    if replace_officials:
        profile["officials"] = [{"id": o.official_id, "name": o.name, "nip": o.nip, "jabatan": o.jabatan,
                                 "role": o.official_id} for o in pki.officials]
    for entry in profile["officials"]:
        entry.pop("key", None)
        entry.pop("certificate", None)
        if entry["id"] in known:
            pki.write_pkcs12(entry["id"], keys / f"{entry['id']}.p12", passphrase)
            pki.write_certificate(entry["id"], keys / f"{entry['id']}.pem")
            entry["key"] = f"keys/{office_id}/{entry['id']}.p12"
            entry["certificate"] = f"keys/{office_id}/{entry['id']}.pem"
    profile["id"] = office_id
    profile["signing"]["level"] = level
    if level != "B-B":
        profile["signing"]["tsa_url"] = pki.tsa_url
    target = folder / "office.yaml"
    target.write_text(yaml.safe_dump(profile, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def officials_of(profile: Path, ids: Iterable[str]) -> tuple[PkiOfficial, ...]:
    """PKI officials for some officials of an office profile (name, NIP, jabatan), in ``ids`` order."""
    data = {o["id"]: o for o in yaml.safe_load(profile.read_text(encoding="utf-8"))["officials"]}
    return tuple(PkiOfficial(i, data[i]["name"], str(data[i]["nip"]), data[i]["jabatan"]) for i in ids)


def route_of(officials: Iterable[PkiOfficial]):
    """paraf, paraf, ..., TTE by the given officials (the last one signs the TTE)."""
    from signatures import Route, Signatory

    people = [Signatory(o.official_id, o.name, o.nip, o.jabatan) for o in officials]
    return Route.of(*people[:-1], tte=people[-1])


def signed_letters(pki: TestPki, workdir: Path, *, level: str, officials: Iterable[PkiOfficial] | None = None,
                   original: bytes | None = None, passphrase: str = "uji-rahasia",
                   nomor: str = "000.8.3.4/0007/UJI/2026", tanggal: str = "Kota Uji, 21 November 2026") -> dict:
    """A LibreOffice letter through prepare -> paraf ... -> TTE at ``level``, signed by ``officials``
    (default: all the PKI's) in order; returns every stage's bytes, the route, keys and policy."""
    import sigtools  # tests/sigtools.py
    from signatures import Pkcs12KeySource, StampSettings, prepare, sign_paraf, sign_tte
    from signatures.ltv import SignaturePolicy

    officials = tuple(officials or pki.officials)
    route = route_of(officials)
    settings = StampSettings(footer="Dokumen ini ditandatangani secara elektronik (uji).")
    keys = {}
    for o in officials:
        for label in [o.official_id] + [f"{o.official_id}_{v}" for v in pki.variants]:
            keys[label] = Pkcs12KeySource(pki.write_pkcs12(label, workdir / "keys" / f"{label}.p12", passphrase),
                                          passphrase)
    policy = SignaturePolicy(level, tsa_url=pki.tsa_url if level != "B-B" else "", trust_roots=(pki.root,))
    out = {"route": route, "keys": keys, "policy": policy, "settings": settings}
    out["original"] = pdf = original or sigtools.make_letter_pdf(workdir / "lo", "letter")
    out["prepared"] = pdf = prepare(pdf, route, settings)
    for i, step in enumerate(route.steps):
        oid = step.signatory.official_id
        if step.kind == "paraf":
            out[f"paraf{i + 1}"] = pdf = sign_paraf(pdf, route, i, keys[oid], settings, policy=policy,
                                                    registered=pki.certificate(oid))
        else:
            out["tte"] = pdf = sign_tte(pdf, route, keys[oid], settings, nomor=nomor, tanggal=tanggal,
                                        verification_ref="UJI-1", policy=policy, registered=pki.certificate(oid))
    return out

