"""The dossier (berkas): every file and record of a complaint, as one zip, and back.

A dossier holds ``manifest.json`` and the files it lists::

    manifest.json
    letters/<nomor>.pdf                                       filed letters, as filed
    complaints/<register>/documents/<doc>/v<n>-<stage>.<pdf|docx>   every version of every document
    complaints/<register>/attachments/<i>-<name>              lampiran as received
    certificates/<office>/ca.pem, <official>.pem              public certificates (never keys)

The manifest (``schema_version`` 1) carries the office, the complaint rows (complaint,
attachments, history, document versions), the letter rows with their number register
entries, and ``files``: ``[{path, sha256, size, kind, nomor?, version?, complaint?}]``.

Import checks everything before writing anything: the zip's CRCs, the manifest's version and
shape, that each listed file is present with its size and sha256, that no unlisted file rides
along, that every sha256 a row names is in the dossier, and that no nomor, verification
reference or register here already names different content. Then it stores the blobs (durable,
content-addressed, so a blob already here is left alone) and records all rows in one
transaction. Re-importing the same dossier changes nothing.

Verification in the receiving home: the letters' signatures chain to the office's CA. The
dossier carries the CA and officials' *public* certificates; ``import`` installs them under
``keys/<office>/`` only when asked (``install_certificates=True``, CLI ``--install-certs``), never
over an existing file, and reports the CA's SHA-256 fingerprint for the archivist to compare with
the office's published one. A trust anchor thus never arrives silently inside a zip.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Protocol

from . import audit
from .blobs import sha256_hex
from .db import transaction
from .errors import ArchiveError, DossierConflict, DossierInvalid, StorageFull
from .store import LETTER_FIELDS, Archive, FiledLetter, insert_letter

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
KINDS = {"letter", "document", "attachment", "certificate"}
NUMBER_FIELDS = ("office", "series", "year", "urut", "nomor", "status", "hal", "reason", "taken_at")


class Cases(Protocol):
    """What the dossier needs of the complaint store (correspondence.casestore.CaseStore)."""

    def dump(self, register: str) -> dict[str, Any]: ...
    def exists(self, register: str) -> bool: ...
    def restore(self, dump: dict[str, Any]) -> None: ...


@dataclass
class ExportReport:
    path: Path
    complaints: list[str]
    letters: list[str]
    files: int
    size: int


@dataclass
class ImportReport:
    complaints: list[str] = field(default_factory=list)
    complaints_present: list[str] = field(default_factory=list)
    letters: list[str] = field(default_factory=list)
    letters_present: list[str] = field(default_factory=list)
    blobs_stored: int = 0
    certificates_installed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _safe(name: str) -> str:
    """A path component from a nomor, register or file name."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "file"
    return cleaned[:120]


# -- export ----------------------------------------------------------------------------
def office_certificates(home: Path, office: Any) -> dict[str, bytes]:
    """The office's public certificates found under ``home``: ca.pem and each official's certificate."""
    found: dict[str, bytes] = {}
    ca = home / "keys" / office.id / "ca.pem"
    if ca.is_file():
        found["ca.pem"] = ca.read_bytes()
    for official in getattr(office, "officials", ()):
        cert = getattr(official, "certificate", "")
        if cert:
            path = Path(cert) if Path(cert).is_absolute() else home / cert
            if path.is_file() and path.suffix == ".pem":
                found[f"{official.id}.pem"] = path.read_bytes()
    return found


def export(archive: Archive, cases: Cases, out: Path, *, complaints: Iterable[str] = (), letters: Iterable[FiledLetter] = (),
           office: dict[str, Any] | None = None, certificates: dict[str, bytes] | None = None,
           actor: str = "naskah") -> ExportReport:
    """Write the dossier of ``complaints`` (all their letters) plus ``letters`` to the zip ``out``."""
    registers = list(dict.fromkeys(complaints))
    chosen: dict[tuple[str, str], FiledLetter] = {}
    for letter in letters:
        chosen[(letter.office, letter.nomor)] = letter
        if letter.complaint and cases.exists(letter.complaint) and letter.complaint not in registers:
            registers.append(letter.complaint)
    dumps = [cases.dump(r) for r in registers]  # raises the store's "not found" for an unknown register
    for register in registers:
        for letter in archive.letters_of(register):
            chosen[(letter.office, letter.nomor)] = letter
    if not dumps and not chosen:
        raise DossierInvalid("nothing to export: no complaint and no letter matched")
    offices = {d["complaint"]["office"] for d in dumps} | {o for o, _ in chosen}
    if len(offices) > 1:
        raise DossierInvalid(f"a dossier holds one office's papers; these span {sorted(offices)} (add --office)")
    office_id = offices.pop()

    files: list[dict[str, Any]] = []
    payload: dict[str, str] = {}  # zip path -> sha256

    def add(path: str, digest: str, kind: str, **extra: Any) -> None:
        if path in payload:
            path = f"{path.rsplit('.', 1)[0]}-{digest[:8]}.{path.rsplit('.', 1)[-1]}"
        payload[path] = digest
        files.append({"path": path, "sha256": digest, "size": 0, "kind": kind,
                      **{k: v for k, v in extra.items() if v not in (None, "")}})

    for letter in chosen.values():
        add(f"letters/{_safe(letter.nomor)}.pdf", letter.sha256, "letter", nomor=letter.nomor, complaint=letter.complaint)
    for dump in dumps:
        register = dump["complaint"]["register"]
        base = f"complaints/{_safe(register)}"
        for doc in dump["documents"]:
            add(f"{base}/documents/{_safe(doc['doc_key'])}/v{doc['version']}-{_safe(doc['stage'])}.{doc['media']}",
                doc["sha256"], "document", version=doc["version"], nomor=doc["nomor"], complaint=register)
        for i, att in enumerate(dump["attachments"], 1):
            add(f"{base}/attachments/{i:02d}-{_safe(att['name'])}", att["sha256"], "attachment", complaint=register)

    letter_rows = []
    for letter in chosen.values():
        row = {k: v for k, v in letter.to_dict().items()}
        row["number"] = _number_row(archive.conn, letter.office, letter.nomor)
        letter_rows.append(row)

    manifest = {
        "schema_version": SCHEMA_VERSION,
        "generator": "naskah",
        "exported_at": datetime.now().isoformat(timespec="seconds"),
        "office": {"id": office_id, **(office or {})},
        "complaint": _summary(dumps[0]) if len(dumps) == 1 else None,
        "complaints": dumps,
        "letters": letter_rows,
        "files": files,
    }
    cert_data: dict[str, bytes] = {}
    for name, data in sorted((certificates or {}).items()):
        cert_path = f"certificates/{_safe(office_id)}/{_safe(name)}"
        cert_data[cert_path] = data
        files.append({"path": cert_path, "sha256": sha256_hex(data), "size": len(data), "kind": "certificate"})
    if certificates and "ca.pem" in certificates:
        manifest["office"]["ca_sha256"] = sha256_hex(certificates["ca.pem"])

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    total = 0
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for entry in files:
                if entry["kind"] == "certificate":
                    data = cert_data[entry["path"]]
                else:
                    data = archive.blobs.get(entry["sha256"])  # checked against its sha256 on the way out
                entry["size"] = len(data)
                total += len(data)
                zf.writestr(entry["path"], data)
            zf.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False, default=str))
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ArchiveError(f"cannot write the dossier {out}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    with transaction(archive.conn):
        audit.append(archive.conn, actor=actor, action="export", subject=out.name,
                     data={"complaints": registers, "letters": [letter.nomor for letter in chosen.values()],
                           "files": len(files)})
    return ExportReport(out, registers, [letter.nomor for letter in chosen.values()], len(files), total)


def _summary(dump: dict[str, Any]) -> dict[str, Any]:
    c = dump["complaint"]
    who = c["complainant"]
    return {"register": c["register"], "office": c["office"], "sop": c["sop"], "channel": c["channel"],
            "received_at": c["received_at"], "subject": c["subject"],
            "complainant": "" if who.get("anonymous") else who.get("name", ""), "closed": c["current_step"] is None}


def _number_row(conn: sqlite3.Connection, office: str, nomor: str) -> dict[str, Any] | None:
    row = conn.execute(f"SELECT {', '.join(NUMBER_FIELDS)} FROM numbers WHERE office = ? AND nomor = ?",
                       (office, nomor)).fetchone()
    return dict(row) if row else None


# -- import ----------------------------------------------------------------------------------
def _read(path: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and every listed file's bytes, all checked; raises DossierInvalid."""
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise DossierInvalid(f"{path}: no such file") from None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DossierInvalid(f"{path} is not a readable zip (damaged or not a dossier): {exc}") from None
    with zf:
        names = zf.namelist()
        if len(names) != len(set(names)):
            raise DossierInvalid(f"{path}: the zip lists the same path twice")
        if MANIFEST not in names:
            raise DossierInvalid(f"{path} has no {MANIFEST}: not a Naskah dossier")
        try:
            manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
        except (zipfile.BadZipFile, OSError, UnicodeDecodeError, ValueError, EOFError, zlib_error()) as exc:
            raise DossierInvalid(f"{path}: {MANIFEST} is damaged: {exc}") from None
        if not isinstance(manifest, dict):
            raise DossierInvalid(f"{path}: {MANIFEST} is not an object")
        version = manifest.get("schema_version")
        if version != SCHEMA_VERSION:
            raise DossierInvalid(f"{path}: dossier schema_version {version!r} is not one this Naskah reads "
                                 f"({SCHEMA_VERSION}); use a Naskah version that knows it")
        try:
            files = manifest["files"]
            listed = {f["path"]: f for f in files}
            for f in files:
                if f["kind"] not in KINDS or not isinstance(f["size"], int) or not re.fullmatch(r"[0-9a-f]{64}", f["sha256"]):
                    raise DossierInvalid(f"{path}: manifest entry {f['path']} is malformed")
            manifest["complaints"], manifest["letters"], manifest["office"]["id"]  # noqa: B018 (shape check)
        except (KeyError, TypeError) as exc:
            raise DossierInvalid(f"{path}: {MANIFEST} is malformed (missing or wrong {exc})") from None
        missing = sorted(set(listed) - set(names))
        if missing:
            raise DossierInvalid(f"{path}: listed file(s) missing from the zip: {', '.join(missing[:5])}"
                                 + (" ..." if len(missing) > 5 else ""))
        extra = sorted(set(names) - set(listed) - {MANIFEST})
        if extra:
            raise DossierInvalid(f"{path}: file(s) in the zip that the manifest does not list: {', '.join(extra[:5])}")
        data: dict[str, bytes] = {}
        for name, entry in listed.items():
            info = zf.getinfo(name)
            if info.file_size != entry["size"]:
                raise DossierInvalid(f"{path}: {name} is {info.file_size} bytes, the manifest says {entry['size']}")
            try:
                blob = zf.read(name)
            except (zipfile.BadZipFile, OSError, EOFError, zlib_error()) as exc:
                raise DossierInvalid(f"{path}: {name} cannot be read (damaged zip): {exc}") from None
            if sha256_hex(blob) != entry["sha256"]:
                raise DossierInvalid(f"{path}: {name} does not match its sha256 in the manifest (changed or damaged)")
            data[name] = blob
    return manifest, data


def zlib_error() -> type[BaseException]:
    import zlib

    return zlib.error


def _check_refs(manifest: dict[str, Any], have: set[str]) -> None:
    named: list[tuple[str, str]] = []
    try:
        for letter in manifest["letters"]:
            named.append((f"letter {letter['nomor']}", letter["sha256"]))
            missing = [k for k in LETTER_FIELDS if k not in letter]
            if missing:
                raise DossierInvalid(f"letter {letter.get('nomor')}: manifest row lacks {missing}")
        for dump in manifest["complaints"]:
            register = dump["complaint"]["register"]
            named += [(f"complaint {register}: {d['doc_key']} v{d['version']} {d['stage']}", d["sha256"]) for d in dump["documents"]]
            named += [(f"complaint {register}: lampiran {a['name']}", a["sha256"]) for a in dump["attachments"]]
            dump["events"]  # noqa: B018
    except (KeyError, TypeError) as exc:
        raise DossierInvalid(f"{MANIFEST} is malformed (missing or wrong {exc})") from None
    absent = [what for what, digest in named if digest not in have]
    if absent:
        raise DossierInvalid(f"the dossier names files it does not carry: {'; '.join(absent[:5])}")


def _plan(conn: sqlite3.Connection, manifest: dict[str, Any], cases: Cases, report: ImportReport) -> tuple[list, list]:
    """What to insert; raises DossierConflict where this home already holds something different."""
    new_letters, new_complaints = [], []
    present: set[str] = set()
    for letter in manifest["letters"]:  # the plainest conflict first: the same nomor, other content
        here = conn.execute("SELECT sha256 FROM letters WHERE office = ? AND nomor = ?",
                            (letter["office"], letter["nomor"])).fetchone()
        if here is not None:
            if here["sha256"] != letter["sha256"]:
                raise DossierConflict(f"nomor {letter['nomor']} is already filed here with different content "
                                      f"(sha256 {here['sha256'][:16]}… here, {letter['sha256'][:16]}… in the dossier); nothing imported")
            present.add(letter["nomor"])
    for letter in manifest["letters"]:
        if letter["nomor"] in present:
            report.letters_present.append(letter["nomor"])
            continue
        number = conn.execute("SELECT status FROM numbers WHERE office = ? AND nomor = ?",
                              (letter["office"], letter["nomor"])).fetchone()
        if number is not None:
            raise DossierConflict(f"nomor {letter['nomor']} is already taken here ({number['status']}) for another "
                                  "letter; nothing imported")
        ref = letter.get("verification_ref")
        if ref and conn.execute("SELECT 1 FROM letters WHERE verification_ref = ?", (ref,)).fetchone():
            raise DossierConflict(f"the verification reference of {letter['nomor']} is used here by another letter; nothing imported")
        num = letter.get("number")
        if num and conn.execute("SELECT 1 FROM numbers WHERE office = ? AND series = ? AND year = ? AND urut = ?",
                                (num["office"], num["series"], num["year"], num["urut"])).fetchone():
            raise DossierConflict(f"number {num['urut']} of series {num['series']} {num['year']} is used here by "
                                  f"another letter than {letter['nomor']}; nothing imported")
        new_letters.append(letter)
    for dump in manifest["complaints"]:
        register = dump["complaint"]["register"]
        if cases.exists(register):
            here = cases.dump(register)["complaint"]
            same = all(here.get(k) == dump["complaint"].get(k) for k in ("office", "received_at", "subject", "content"))
            if not same:
                raise DossierConflict(f"register {register} is used here by another complaint; nothing imported")
            report.complaints_present.append(register)
            continue
        new_complaints.append(dump)
    return new_letters, new_complaints


def import_(archive: Archive, cases: Cases, path: Path, *, keys_home: Path | None = None,
            install_certificates: bool = False, actor: str = "arsiparis") -> ImportReport:
    """Restore a dossier into this home (see module doc). Nothing is written unless all checks pass."""
    manifest, data = _read(path)
    by_sha = {sha256_hex(blob): blob for blob in data.values()}
    _check_refs(manifest, set(by_sha))
    report = ImportReport()
    conn = archive.conn
    _plan(conn, manifest, cases, report)  # refuse early, before any blob is written
    office_id = manifest["office"]["id"]
    needed = {f["sha256"] for f in manifest["files"] if f["kind"] != "certificate"}
    try:
        for digest in sorted(needed):  # blobs first: durable before any row names them
            if not archive.blobs.exists(digest):
                archive.blobs.put(by_sha[digest])
                report.blobs_stored += 1
        with transaction(conn):
            letters, complaints = _plan(conn, manifest, cases, ImportReport())  # again, under the write lock
            for dump in complaints:
                cases.restore(dump)
                report.complaints.append(dump["complaint"]["register"])
            for letter in letters:
                insert_letter(conn, {**letter, "signers": json.dumps(letter["signers"])})
                num = letter.get("number")
                if num:
                    _record_number(conn, num)
                report.letters.append(letter["nomor"])
            if report.complaints or report.letters:
                audit.append(conn, actor=actor, action="import", subject=path.name,
                             data={"office": office_id, "complaints": report.complaints, "letters": report.letters,
                                   "exported_at": manifest.get("exported_at"), "files": len(manifest["files"])})
    except sqlite3.IntegrityError as exc:
        raise DossierConflict(f"the dossier clashes with this archive ({exc}); nothing imported") from None
    except sqlite3.OperationalError as exc:
        if "full" in str(exc):
            raise StorageFull(f"the database cannot grow ({exc}); nothing imported") from None
        raise
    certs = {Path(f["path"]).name: data[f["path"]] for f in manifest["files"] if f["kind"] == "certificate"}
    if certs:
        ca = certs.get("ca.pem")
        fingerprint = _fingerprint(ca) if ca else "(no ca.pem)"
        if install_certificates and keys_home is not None:
            report.certificates_installed, notes = _install(keys_home / "keys" / office_id, certs)
            report.notes += notes
            report.notes.append(f"CA certificate of {office_id}: SHA-256 fingerprint {fingerprint}; compare it with the "
                                "office's published fingerprint")
        else:
            report.notes.append(f"the dossier carries {office_id}'s public certificates (CA fingerprint {fingerprint}); "
                                f"to verify its letters here, import with --install-certs or copy keys/{office_id}/*.pem")
    return report


def _record_number(conn: sqlite3.Connection, num: dict[str, Any]) -> None:
    """The imported letter's number joins the register, and its counter never gives it again here."""
    conn.execute(f"INSERT INTO numbers ({', '.join(NUMBER_FIELDS)}) VALUES ({', '.join('?' * len(NUMBER_FIELDS))})",
                 tuple(num[k] for k in NUMBER_FIELDS))
    conn.execute("INSERT INTO counters (office, series, year, last) VALUES (?, ?, ?, ?) "
                 "ON CONFLICT (office, series, year) DO UPDATE SET last = MAX(last, excluded.last)",
                 (num["office"], num["series"], num["year"], num["urut"]))


def _fingerprint(pem: bytes) -> str:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        return "(not a certificate)"
    from cryptography.hazmat.primitives import hashes

    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _install(folder: Path, certs: dict[str, bytes]) -> tuple[list[str], list[str]]:
    installed, notes = [], []
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in sorted(certs.items()):
        target = folder / name
        if target.exists():
            if target.read_bytes() != data:
                notes.append(f"{target} exists with different content; kept (the dossier's {name} was not installed)")
            continue
        tmp = target.with_name(name + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        installed.append(str(target))
    return installed, notes
