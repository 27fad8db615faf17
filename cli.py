"""naskah: the command line. Each command opens the service, makes one call, prints.

Errors of every package are mapped to a message and an exit code in ``main``;
a user mistake never shows a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional

import typer
import yaml
from platformdirs import user_data_dir

from archive.errors import ArchiveError, LetterNotFound
from correspondence.errors import (
    ConfigError,
    ConversionError,
    CorrespondenceError,
    LibreOfficeMissing,
    NotAllowed,
    UnknownComplaint,
    UnknownOffice,
    UnknownSop,
)
from signatures.errors import KeyLoadError, NotAPdf, SignatureError

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
                  help="Naskah: paperwork of public-complaint handling (pengaduan masyarakat).")
complaint_app = typer.Typer(no_args_is_help=True, help="Register and inspect complaints.")
archive_app = typer.Typer(no_args_is_help=True, help="Retrieve filed letters.")
keys_app = typer.Typer(no_args_is_help=True, help="Signing keys and certificates.")
sop_app = typer.Typer(no_args_is_help=True, help="Inspect and check SOP files.")
app.add_typer(complaint_app, name="complaint")
app.add_typer(archive_app, name="archive")
app.add_typer(keys_app, name="keys")
app.add_typer(sop_app, name="sop")

# Exit codes: 1 verification failed; 2 bad input; 3 configuration; 4 not found;
# 5 not allowed now; 6 keys and signatures; 7 LibreOffice; 8 archive.
EXIT_CODES: list[tuple[type[BaseException], int]] = [
    (ConfigError, 3),
    (UnknownComplaint, 4), (UnknownOffice, 4), (UnknownSop, 4), (LetterNotFound, 4),
    (NotAllowed, 5),
    (KeyLoadError, 6), (NotAPdf, 2), (SignatureError, 6),
    (LibreOfficeMissing, 7), (ConversionError, 7),
    (ArchiveError, 8),
    (CorrespondenceError, 2),
]

OfficeOpt = typer.Option(None, "--office", help="Office profile name or path (default: $NASKAH_OFFICE or pangkalpinang).")


def home() -> Path:
    return Path(os.environ.get("NASKAH_HOME") or user_data_dir("naskah", appauthor=False))


def office_name(given: Optional[str]) -> str:
    return given or os.environ.get("NASKAH_OFFICE") or "pangkalpinang"


@contextmanager
def service() -> Iterator[Any]:
    from correspondence.services import Naskah

    naskah = Naskah(home(), clock=cli_clock())
    try:
        yield naskah
    finally:
        naskah.close()


def cli_clock() -> Any:
    """The service's clock: the real one, or the fixed moment in $NASKAH_NOW (ISO 8601, e.g.
    2026-11-23T09:00, office wall time) for tests, demos and re-running a day's work."""
    from datetime import datetime

    from correspondence.services import machine_now

    fixed = os.environ.get("NASKAH_NOW", "").strip()
    if not fixed:
        return machine_now
    try:
        moment = datetime.fromisoformat(fixed)
    except ValueError:
        from correspondence.errors import InvalidInput

        raise InvalidInput(f"NASKAH_NOW='{fixed}' is not a date and time; write it like 2026-11-23T09:00") from None
    return lambda: moment


def read_passphrase(official: str, passphrase_file: Optional[Path]) -> bytes:
    """From a file (first line) or asked for with hidden input; never stored or logged."""
    if passphrase_file is not None:
        try:
            return passphrase_file.read_text(encoding="utf-8").splitlines()[0].encode()
        except (OSError, IndexError):
            raise typer.BadParameter(f"cannot read a passphrase from {passphrase_file}") from None
    return typer.prompt(f"Passphrase of {official}'s key", hide_input=True).encode()


def load_data(path: Optional[Path]) -> dict[str, Any]:
    if path is None:
        return {}
    from correspondence.config import read_yaml
    from correspondence.drafting import check_step_data

    data = read_yaml(path) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with letter:, body:, note:")
    check_step_data(data, str(path))
    return data


def echo_report(report: Any, actor: str) -> None:
    from correspondence.demo import format_report

    typer.echo(format_report(actor, report))


# -- commands ---------------------------------------------------------------
@app.command()
def demo(office: Optional[str] = OfficeOpt,
         sop: Optional[str] = typer.Option(None, "--sop", help="Run the demo of the shipped office whose SOP this is.")) -> None:
    """Run a sample complaint through every step of the office's SOP, then verify the archived reply."""
    from correspondence.catalog import office_for_sop
    from correspondence.demo import run_demo

    with service() as naskah:
        name = office_for_sop(sop, home()) if sop else office_name(office)
        register, signed = run_demo(naskah, name, typer.echo)
        failed = False
        for letter in naskah.archive.letters_of(register):
            typer.echo(f"filed: {letter.nomor} {letter.hal} sha256 {letter.sha256}")
        for nomor in signed:  # verify the archived copy, as an archivist would
            letter = naskah.archive.get(nomor)
            report = naskah.verify(naskah.archive.read(nomor), letter.office)
            typer.echo(f"verification of the archived copy of {nomor}:")
            typer.echo(report.to_text())
            failed = failed or not report.ok
        if failed:
            raise typer.Exit(1)


@keys_app.command("demo")
def keys_demo(office: Optional[str] = OfficeOpt,
              passphrase_file: Optional[Path] = typer.Option(None, help="File whose first line is the passphrase for the demo keys.")) -> None:
    """Create a demo PKI under NASKAH_HOME: a root CA and one certificate per signing official."""
    passphrase = read_passphrase("the demo keys", passphrase_file).decode()
    with service() as naskah:
        dest = naskah.create_demo_keys(office_name(office), passphrase)
    typer.echo(f"demo PKI written to {dest}")


def read_pin(token: str, pin_file: Optional[Path]) -> bytes:
    """A token's PIN, from a file (first line) or asked for with hidden input; never stored or logged."""
    if pin_file is not None:
        return read_passphrase(token, pin_file)
    return typer.prompt(f"PIN of token {token}", hide_input=True).encode()


@keys_app.command("token-import")
def keys_token_import(
    official: str = typer.Argument(..., help="Official id whose key goes on the token."),
    token: str = typer.Option(..., "--token", help="Label of the (initialised) PKCS#11 token."),
    office: Optional[str] = OfficeOpt,
    module: str = typer.Option("", "--module", help="PKCS#11 module (default: $NASKAH_PKCS11_MODULE, then SoftHSM2/OpenSC)."),
    label: str = typer.Option("", "--label", help="Label of the key and certificate on the token (default: the official id)."),
    p12: Optional[Path] = typer.Option(None, "--p12", help="PKCS#12 file (default: the official's key: or the demo PKI's)."),
    passphrase_file: Optional[Path] = typer.Option(None, help="File whose first line is the .p12 passphrase."),
    pin_file: Optional[Path] = typer.Option(None, help="File whose first line is the token's PIN."),
    write_profile: bool = typer.Option(False, "--write-profile", help="Point the official at the token in "
                                       "$NASKAH_HOME/offices/<office>/office.yaml (key: becomes pkcs11:)."),
) -> None:
    """Put an official's .p12 key and certificate on a PKCS#11 token (a smart card, an HSM, SoftHSM2 for the demo)."""
    passphrase = read_passphrase(official, passphrase_file)
    pin = read_pin(token, pin_file)
    with service() as naskah:
        done = naskah.import_key_to_token(office_name(office), official, token=token, pin=pin, passphrase=passphrase,
                                          module=module, label=label, p12=p12)
        block = {"module": module, "token": done.token, "key_label": done.label}
        typer.echo(f"key and certificate of {done.subject} stored on token '{done.token}' as '{done.label}' "
                   f"(id {done.object_id}, module {done.module})")
        if write_profile:
            typer.echo(f"office profile written: {naskah.point_official_at_token(office_name(office), official, block)}")
        else:
            typer.echo(f"to sign with it, replace key: of {official} in the office profile with:\n"
                       + yaml.safe_dump({"pkcs11": {k: v for k, v in block.items() if v}}, sort_keys=False).rstrip())
    typer.echo("the .p12 file still holds the same key: delete it if the token is to be the only copy")


@complaint_app.command("register")
def complaint_register(
    as_: str = typer.Option(..., "--as", help="Official id of the staff member who receives it."),
    channel: str = typer.Option(..., help="kotak_pengaduan, email, lapor, whatsapp, telepon, datang_langsung, ..."),
    subject: str = typer.Option(..., help="Hal / short summary."),
    content: Optional[str] = typer.Option(None, help="Isi aduan (or --content-file)."),
    content_file: Optional[Path] = typer.Option(None, help="File with the complaint text."),
    name: str = typer.Option("", help="Complainant's name."),
    anonymous: bool = typer.Option(False, help="The complainant stays anonymous."),
    nik: str = typer.Option(""), phone: str = typer.Option(""), email: str = typer.Option(""),
    address: str = typer.Option(""),
    attach: list[Path] = typer.Option([], help="Attachment file (repeatable)."),
    lapor_id: str = typer.Option("", help="LAPOR! tracking ID."),
    choice: Optional[str] = typer.Option(None, help="Answer to the intake step's decision, if it has one (e.g. lisan / tertulis)."),
    office: Optional[str] = OfficeOpt,
) -> None:
    """Register a complaint (step 1): it gets a nomor agenda and a tanda terima."""
    from correspondence.complaint import Complainant
    from correspondence.errors import InvalidInput

    if content is None and content_file is None:
        raise InvalidInput("give the complaint text with --content or --content-file")
    if content_file is not None:
        try:
            content = content_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {content_file}: {exc}") from None
    who = Complainant(anonymous=anonymous, name=name, nik=nik, phone=phone, email=email, address=address)
    with service() as naskah:
        report = naskah.register_complaint(office_name(office), received_by=as_, channel=channel, complainant=who,
                                           subject=subject, content=content or "", attachments=list(attach), lapor_id=lapor_id,
                                           choice=choice)
        echo_report(report, report.official.jabatan)
    typer.echo(report.register)


@complaint_app.command("list")
def complaint_list() -> None:
    """All complaints with the step each waits at."""
    with service() as naskah:
        for complaint, state in naskah.complaints():
            where = "selesai" if state.closed else f"step {state.current}" + (" (perbaikan)" if state.revising else "")
            typer.echo(f"{complaint.register}\t{complaint.received_at:%Y-%m-%d}\t{complaint.channel_label}\t{where}\t{complaint.subject}")


@complaint_app.command("show")
def complaint_show(register: str) -> None:
    """History, documents and filed letters of one complaint."""
    with service() as naskah:
        view = naskah.view(register)
    c = view.complaint
    typer.echo(f"{c.register} — {c.subject}\n  channel: {c.channel_label}; pengadu: {c.complainant.display_name}; "
               f"diterima {c.received_at:%Y-%m-%d %H:%M}")
    typer.echo(f"  waiting at: {'selesai' if view.waiting is None else f'step {view.waiting.id} {view.waiting.name}'}")
    typer.echo("history:")
    for e in view.history:
        typer.echo(f"  {e.at}  step {e.step:>3}  {e.official:<14} {e.action}" + (f" — {e.note}" if e.note else ""))
    typer.echo("documents:")
    for d in view.documents:
        typer.echo(f"  {d.doc_key} v{d.version} {d.stage} ({d.media}) {d.nomor} {d.sha256[:16]}")
    for letter in view.letters:
        typer.echo(f"filed: {letter.nomor} {letter.tanggal} {letter.hal}")


@app.command()
def due(json_: bool = typer.Option(False, "--json"),
        office: Optional[str] = typer.Option(None, "--office", help="Only this office's complaints (default: all)."),
        official: Optional[str] = typer.Option(None, "--official", help="Only the work of this official (id).")) -> None:
    """Open and overdue work per official and per complaint: each waiting step's due time and the overall limits."""
    with service() as naskah:
        report = naskah.due(office_name=office, official_id=official)
    typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if json_ else report.to_text())


@app.command()
def act(register: str, as_: str = typer.Option(..., "--as", help="Official id."),
        data: Optional[Path] = typer.Option(None, help="YAML with letter:, body:, note: for the step's document."),
        choice: Optional[str] = typer.Option(None, help="Answer to the step's decision (e.g. ya / tidak)."),
        attach: list[Path] = typer.Option([], help="File to attach to the step (repeatable).")) -> None:
    """Do the step the complaint waits at (telaah, disposisi, surat tugas, BAP, draft, deliver) or revise a returned draft."""
    step_data = load_data(data)
    with service() as naskah:
        report = naskah.act(register, as_, data=step_data, choice=choice, attachments=list(attach))
        echo_report(report, report.official.jabatan)


@app.command()
def paraf(register: str, as_: str = typer.Option(..., "--as"), passphrase_file: Optional[Path] = typer.Option(None)) -> None:
    """Paraf the current draft (approve and pass it on along the route)."""
    secret = read_passphrase(as_, passphrase_file)
    with service() as naskah:
        report = naskah.paraf(register, as_, secret)
        echo_report(report, report.official.jabatan)


@app.command()
def sign(register: str, as_: str = typer.Option(..., "--as"), passphrase_file: Optional[Path] = typer.Option(None)) -> None:
    """TTE: sign the letter; it gets its nomor and date now and is filed in the archive."""
    secret = read_passphrase(as_, passphrase_file)
    with service() as naskah:
        report = naskah.sign(register, as_, secret)
        echo_report(report, report.official.jabatan)
    typer.echo(report.nomor)


@app.command("return")
def return_(register: str, as_: str = typer.Option(..., "--as"), note: str = typer.Option(..., help="What to correct.")) -> None:
    """Return the draft for correction (tidak setuju): a new version will be made."""
    with service() as naskah:
        report = naskah.return_draft(register, as_, note)
        echo_report(report, report.official.jabatan)


@app.command()
def document(register: str, doc_key: str, out: Path = typer.Option(..., "--out"), docx: bool = typer.Option(False, help="The DOCX instead of the PDF.")) -> None:
    """Write the latest version of a complaint's document (e.g. surat_jawaban) to a file."""
    with service() as naskah:
        data = naskah.document(register, doc_key, media="docx" if docx else "pdf")
    write_out(out, data)


def write_out(out: Path, data: bytes) -> None:
    tmp = out.with_name(out.name + ".part")
    try:
        tmp.write_bytes(data)
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        from correspondence.errors import InvalidInput

        raise InvalidInput(f"cannot write {out}: {exc.strerror}") from None
    typer.echo(f"written {out} ({len(data)} bytes)")


NomorArg = typer.Argument(None, help="The letter's nomor surat (or give --ref).")
RefOpt = typer.Option(None, "--ref", help="The verification reference in the TTE's QR, or the whole verify URL read from it.")


def filed_letter(naskah: Any, nomor: Optional[str], ref: Optional[str]) -> Any:
    """The letter named by its nomor or by the reference its QR carries (exactly one of them)."""
    from correspondence.errors import InvalidInput

    if (nomor is None) == (ref is None):
        raise InvalidInput("name the letter by its nomor surat or by --ref (the reference or URL in its QR), one of them")
    return naskah.archive.get(nomor) if ref is None else naskah.letter_by_ref(ref)


@archive_app.command("get")
def archive_get(nomor: Optional[str] = NomorArg, out: Path = typer.Option(..., "--out"), ref: Optional[str] = RefOpt) -> None:
    """Retrieve a filed letter by its nomor surat or its QR's reference (checked against its sha256); audited."""
    with service() as naskah:
        letter = filed_letter(naskah, nomor, ref)
        data = naskah.retrieve(letter.nomor, actor_name(None), office=letter.office)
    write_out(out, data)


@archive_app.command("show")
def archive_show(nomor: Optional[str] = NomorArg, json_: bool = typer.Option(False, "--json"),
                 text: bool = typer.Option(False, "--text", help="Also print the letter's extracted text."),
                 ref: Optional[str] = RefOpt) -> None:
    """Metadata of a filed letter and, if it is signed, its signatures (checked now)."""
    from archive.errors import BlobCorrupt, BlobMissing

    with service() as naskah:
        letter = filed_letter(naskah, nomor, ref)
        report, trouble = None, ""
        if letter.signed:
            try:
                report = naskah.verify(naskah.archive.read(letter.nomor, office=letter.office), letter.office)
            except (BlobMissing, BlobCorrupt) as exc:
                trouble = str(exc)
    data = letter.to_dict()
    body = data.pop("text")
    data.pop("complaint_text")
    data["text_chars"] = len(body)
    if report is not None:
        data["signatures"] = [s.to_dict() for s in report.signatures]
        data["verification"] = {"ok": report.ok, "problems": report.problems}
    elif trouble:
        data["verification"] = {"ok": False, "problems": [trouble]}
    if text:
        data["text"] = body
    if json_:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        return
    for key, value in data.items():
        if key == "signers":
            for s in value:
                typer.echo(f"{'signer':>16}: {s['kind']} {s['name']} (NIP {s['nip']}) {s['jabatan']}")
        elif key == "signatures":
            for s in value:
                typer.echo(f"{'signature':>16}: {s['field']} {s['signer_name']} (NIP {s['signer_nip']}) "
                           f"{s['signing_time'] or '?'} {'OK' if s['ok'] else 'PROBLEM: ' + '; '.join(s['problems'])}")
        elif key == "verification":
            typer.echo(f"{'verification':>16}: {'VALID' if value['ok'] else 'INVALID'}"
                       + "".join(f"\n{'':>18}- {p}" for p in value["problems"]))
        elif key == "text":
            typer.echo(f"{'text':>16}: {value}")
        else:
            typer.echo(f"{key:>16}: {value if value not in (None, '') else '-'}")


@app.command()
def verify(file: Path, office: Optional[str] = OfficeOpt, json_: bool = typer.Option(False, "--json"),
           online: bool = typer.Option(False, "--online", help="Also fetch revocation data (OCSP/CRL) from the CA now; "
                                                               "by default only the data embedded in the file (B-LT) is used.")) -> None:
    """Check every signature of a PDF: intact, trusted, timestamp, revocation, level, what changed after it,
    in the route's order, by the expected official. Exit 0 only if all hold, 1 if not."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        from correspondence.errors import InvalidInput

        raise InvalidInput(f"cannot read {file}: {exc.strerror}") from None
    with service() as naskah:
        name = office or naskah.office_of_file(data) or office_name(None)
        report = naskah.verify(data, name, online=online)
    typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str) if json_ else report.to_text())
    if not report.ok:
        raise typer.Exit(1)


# -- archive: search, dossier export/import, fixity (archive/search.py, dossier.py, fixity.py) ----------
from archive.errors import DossierInvalid, InvalidQuery  # noqa: E402

EXIT_CODES[:0] = [(InvalidQuery, 2), (DossierInvalid, 2)]  # bad input, before ArchiveError (8)


def _search_query(query: Optional[str], nomor: Optional[str], agenda: Optional[str], complaint: Optional[str],
                  complainant: Optional[str], from_: Optional[str], to: Optional[str], kka: Optional[str],
                  status: Optional[str], signer: Optional[str], limit: int = 20, page: int = 1) -> Any:
    from archive.search import Query

    return Query(text=query, nomor=nomor, agenda=agenda, complaint=complaint, complainant=complainant, date_from=from_,
                 date_to=to, kka=kka, status=status, signer=signer, limit=limit, page=page)


def _table(rows: list[list[str]], head: list[str]) -> None:
    widths = [min(max(len(r[i]) for r in [head, *rows]), 60) for i in range(len(head))]
    for r in [head, ["-" * w for w in widths], *rows]:
        typer.echo("  ".join(c[:60].ljust(w) for c, w in zip(r, widths)).rstrip())


@archive_app.command("search")
def archive_search(
    query: Optional[str] = typer.Argument(None, help="Words to find (hal, nomor, pengadu, complaint, letter text); "
                                          "'izin*' is a prefix, the last word always is; \"...\" is a phrase."),
    nomor: Optional[str] = typer.Option(None, "--nomor", help="Nomor surat, whole or part."),
    agenda: Optional[str] = typer.Option(None, "--agenda", help="Part of the complaint's nomor agenda (register)."),
    complaint: Optional[str] = typer.Option(None, "--complaint", help="The complaint's register, exactly."),
    complainant: Optional[str] = typer.Option(None, "--complainant", help="Part of the complainant's name."),
    from_: Optional[str] = typer.Option(None, "--from", help="Letters dated on or after (YYYY-MM-DD)."),
    to: Optional[str] = typer.Option(None, "--to", help="Letters dated on or before (YYYY-MM-DD)."),
    kka: Optional[str] = typer.Option(None, "--kka", help="KKA or its prefix, e.g. 000.8 (whole segments)."),
    status: Optional[str] = typer.Option(None, "--status", help="Letter status, e.g. filed."),
    signer: Optional[str] = typer.Option(None, "--signer", help="A signer's name (part), NIP or official id."),
    limit: int = typer.Option(20, "--limit", help="Letters per page."),
    page: int = typer.Option(1, "--page", help="Page number, from 1."),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Find filed letters by words and metadata; best match first (newest first without words)."""
    q = _search_query(query, nomor, agenda, complaint, complainant, from_, to, kka, status, signer, limit, page)
    with service() as naskah:
        found = naskah.archive.search(q)
    if json_:
        typer.echo(json.dumps([h.to_dict() for h in found.hits], indent=2, ensure_ascii=False))
        return
    if found.total == 0:
        typer.echo("no letter found")
    else:
        _table([[h.letter["nomor"], h.letter["tanggal"], h.letter["kka"], h.letter["hal"], h.letter["complaint"],
                 h.letter["complainant"] or "-"] for h in found.hits],
               ["nomor", "tanggal", "kka", "hal", "complaint", "pengadu"])
        if found.match:
            for h in found.hits:
                typer.echo(f"  {h.letter['nomor']}: {h.snippet}")
        of_pages = f" of {found.pages:,}" if found.total_exact else ""
        typer.echo(f"page {found.page}{of_pages}: {len(found.hits)} of {found.total_text} letter(s), "
                   f"{found.elapsed_ms:.1f} ms")
    for warning in found.warnings:
        typer.echo(f"note: {warning}", err=True)
    if query and any(t in query.split() for t in ("AND", "OR", "NOT", "NEAR")) or (query and query.count('"') % 2):
        typer.echo("note: AND, OR, NOT, NEAR, brackets and unpaired quotes are searched as plain words; "
                   "all words must appear", err=True)


@archive_app.command("export")
def archive_export(
    out: Path = typer.Option(..., "--out", help="The dossier zip to write."),
    query: Optional[str] = typer.Argument(None, help="Words: export the letters found (and their complaints)."),
    complaint: Optional[str] = typer.Option(None, "--complaint", help="Export this complaint's whole dossier."),
    nomor: Optional[str] = typer.Option(None, "--nomor"), agenda: Optional[str] = typer.Option(None, "--agenda"),
    complainant: Optional[str] = typer.Option(None, "--complainant"),
    from_: Optional[str] = typer.Option(None, "--from"), to: Optional[str] = typer.Option(None, "--to"),
    kka: Optional[str] = typer.Option(None, "--kka"), status: Optional[str] = typer.Option(None, "--status"),
    signer: Optional[str] = typer.Option(None, "--signer"),
    as_: Optional[str] = typer.Option(None, "--as", help="Who exports, for the audit trail."),
) -> None:
    """Write a dossier (berkas) zip: every document version, attachment and filed letter, with manifest.json."""
    from archive import dossier
    from archive.search import MAX_LIMIT

    with service() as naskah:
        letters = []
        if any(v for v in (query, nomor, agenda, complainant, from_, to, kka, status, signer)):
            q = _search_query(query, nomor, agenda, None, complainant, from_, to, kka, status, signer, MAX_LIMIT, 1)
            letters = [naskah.archive.get(h.letter["nomor"], office=h.letter["office"])
                       for h in naskah.archive.search_all(q)]
        elif complaint is None:
            raise InvalidQuery("say what to export: --complaint REGISTER, or words / filters of the letters")
        offices = {naskah.cases.get(complaint)[0].office} if complaint else {letter.office for letter in letters}
        off = naskah.office(offices.pop()) if len(offices) == 1 else None
        report = dossier.export(naskah.archive, naskah.cases, out, complaints=[complaint] if complaint else [],
                                letters=letters, office={"name": off.name} if off else None,
                                certificates=dossier.office_certificates(naskah.home, off) if off else None,
                                actor=actor_name(as_))
    typer.echo(f"written {report.path}: {len(report.complaints)} complaint(s), {len(report.letters)} letter(s), "
               f"{report.files} files, {report.size} bytes")


@archive_app.command("import")
def archive_import(file: Path, install_certs: bool = typer.Option(
        False, "--install-certs", help="Install the office's public certificates carried in the dossier under "
                                       "keys/<office>/ (never over existing files), to verify its letters here."),
        as_: Optional[str] = typer.Option(None, "--as", help="Who imports, for the audit trail.")) -> None:
    """Restore a dossier zip into this NASKAH_HOME; refused whole if any check fails."""
    from archive import dossier

    with service() as naskah:
        report = dossier.import_(naskah.archive, naskah.cases, file, keys_home=naskah.home,
                                 install_certificates=install_certs,
                                 actor=actor_name(as_))
    typer.echo(f"imported {len(report.complaints)} complaint(s), {len(report.letters)} letter(s), "
               f"{report.blobs_stored} new file(s)")
    for what, items in (("complaint already here", report.complaints_present), ("letter already here", report.letters_present),
                        ("certificate installed", report.certificates_installed)):
        for item in items:
            typer.echo(f"  {what}: {item}")
    for note in report.notes:
        typer.echo(f"note: {note}")


@archive_app.command("verify")
def archive_verify(json_: bool = typer.Option(False, "--json"),
                   no_signatures: bool = typer.Option(False, "--no-signatures", help="Only re-hash files; skip re-validating signatures.")) -> None:
    """Fixity: re-hash every stored file, re-validate signed letters, find missing, changed and orphaned files."""
    from archive import fixity

    with service() as naskah:
        planned = fixity.plan(naskah.archive, naskah.cases.blob_references())
        verify_fn = None if no_signatures else naskah.verify
        from functools import partial

        from correspondence.services import verifier
        # signatures are re-validated by one process per core (the same report as a serial run)
        parallel = {} if no_signatures else {"verifier": partial(verifier, naskah.home), "jobs": os.cpu_count() or 1}
        if sys.stdout.isatty() and not json_:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            with Progress(TextColumn("{task.description:<40.40}"), BarColumn(), MofNCompleteColumn(),
                          TimeRemainingColumn(), transient=True) as bar:
                task = bar.add_task("fixity", total=fixity.total_steps(*planned))
                report = fixity.check(naskah.archive, verify=verify_fn, planned=planned, **parallel,
                                      progress=lambda what, n: bar.update(task, advance=n, description=what))
        else:
            report = fixity.check(naskah.archive, verify=verify_fn, planned=planned, **parallel)
    if json_:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        for problem in report.problems:
            typer.echo(problem.to_text())
        typer.echo(report.summary())
    if not report.ok:
        raise typer.Exit(1)


@sop_app.command("show")
def sop_show(name: str, office: Optional[str] = OfficeOpt,
             out: Optional[Path] = typer.Option(None, help="Folder for the diagram files (default: $NASKAH_HOME/diagrams).")) -> None:
    """Print an SOP's steps as a table and write its flow diagram (Mermaid text and SVG)."""
    from correspondence import diagram
    from correspondence.catalog import office_for_sop

    with service() as naskah:
        given = office or os.environ.get("NASKAH_OFFICE")
        off = naskah.office(given or (office_for_sop(name, home()) if not Path(name).suffix else office_name(None)))
        sop = naskah.sop_of(off, name)
    typer.echo(f"{sop.code} — {sop.title}")
    for step in sop.steps:
        where = step.decision.question + " " + ", ".join(f"{k}→{v}" for k, v in step.decision.options.items()) if step.decision else f"→ {step.next}"
        ret = f"; tidak setuju → {step.returns_to}" if step.returns_to else ""
        limit = str(step.time_limit) if step.time_limit else "-"
        typer.echo(f"{step.id:>3}  {sop.actors[step.actor].name:<26} {step.action:<8} {step.output[:40]:<40} {limit:<12} {where}{ret}")
    for limit in sop.limits:
        typer.echo(f"limit: {limit.name}: {limit.limit}")

    def milestone(value: str) -> str:
        return value if value in ("diterima", "selesai") else f"step {value}"

    for office_limit in off.limits:  # the office's own overall limits (e.g. SP4N-LAPOR!), over this SOP's steps
        until = (f"until {milestone(office_limit.until)}" if office_limit.until is not None
                 else "open-ended (a window: nothing is due from the office)")
        channels = ", ".join(office_limit.channels) or "every channel"
        typer.echo(f"office limit: {office_limit.name}: {office_limit.limit}, from {milestone(office_limit.from_)} "
                   f"{until}; channels: {channels}")
    for obligation in sop.obligations:
        typer.echo(f"obligation: {obligation}")
    folder = out or home() / "diagrams"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{sop.id}.mmd").write_text(diagram.mermaid(sop), encoding="utf-8")
    typer.echo(f"diagram: {folder / f'{sop.id}.mmd'}")
    (folder / f"{sop.id}.svg").write_bytes(diagram.svg(sop))
    typer.echo(f"diagram: {folder / f'{sop.id}.svg'}")


@sop_app.command("check")
def sop_check(file: Path, office: Optional[str] = typer.Option(None, "--office", help="Also check roles against this office.")) -> None:
    """Validate an SOP file; exit 0 only if it is valid."""
    from correspondence.catalog import load_office_named, template_file
    from correspondence.sop import load_sop

    off = load_office_named(office, home()) if office else None
    load_sop(file, roles=off.roles if off else None, template_exists=lambda t: template_file(off, t).is_file())
    typer.echo(f"{file}: valid")


# -- number register, audit trail, retention (archive/register.py, audit.py, retention.py) ----------
from archive.errors import KkaTableError, NumberAlreadyVoid  # noqa: E402

EXIT_CODES[:0] = [(KkaTableError, 3), (NumberAlreadyVoid, 5)]  # before ArchiveError (8)

number_app = typer.Typer(no_args_is_help=True, help="The register of nomor surat: take, void, list.")
audit_app = typer.Typer(no_args_is_help=True, help="The audit trail (hash-chained): show and verify.")
app.add_typer(number_app, name="number")
app.add_typer(audit_app, name="audit")
ActorOpt = typer.Option(None, "--as", help="Who does it, for the audit trail (default: $NASKAH_ACTOR or the login name).")


def actor_name(given: Optional[str]) -> str:
    if given:
        return given
    if os.environ.get("NASKAH_ACTOR"):
        return os.environ["NASKAH_ACTOR"]
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@number_app.command("take")
def number_take(kka: str = typer.Option(..., "--kka", help="The letter's KKA, e.g. 000.8.3.4."),
                hal: str = typer.Option(..., "--hal", help="The letter's subject (hal)."),
                office: Optional[str] = OfficeOpt, as_: Optional[str] = ActorOpt) -> None:
    """Take the next nomor surat for a letter made outside Naskah; the nomor is printed alone on the last line."""
    with service() as naskah:
        entry = naskah.take_number(office_name(office), kka=kka, hal=hal, actor=actor_name(as_))
    typer.echo(f"{entry.office} {entry.series} {entry.year} urut {entry.urut}: {entry.hal}")
    typer.echo(entry.nomor)


@number_app.command("void")
def number_void(nomor: str, reason: str = typer.Option(..., "--reason", help="Why the number is cancelled."),
                office: Optional[str] = typer.Option(None, "--office", help="Only needed when several offices have this nomor."),
                as_: Optional[str] = ActorOpt) -> None:
    """Mark a number void: it stays in the register with the reason and is never given again."""
    with service() as naskah:
        entry = naskah.void_number(nomor, reason=reason, actor=actor_name(as_), office_name=office)
    typer.echo(f"void: {entry.nomor} ({entry.reason})" + (" — a filed letter carries this number" if entry.filed else ""))


@number_app.command("list")
def number_list(year: Optional[int] = typer.Option(None, "--year"), office: Optional[str] = typer.Option(None, "--office"),
                json_: bool = typer.Option(False, "--json")) -> None:
    """The register of numbers, void ones marked."""
    with service() as naskah:
        entries = naskah.numbers(year=year, office_name=office)
    if json_:
        typer.echo(json.dumps([e.to_dict() for e in entries], indent=2, ensure_ascii=False))
        return
    for e in entries:
        mark = f"VOID ({e.reason})" if e.void else ("filed" if e.filed else "issued")
        typer.echo(f"{e.nomor}\t{e.taken_at[:10]}\t{e.series}\t{mark}\t{e.hal}")


@audit_app.command("show")
def audit_show(subject: Optional[str] = typer.Option(None, "--subject", help="Only events about this nomor agenda / nomor surat."),
               json_: bool = typer.Option(False, "--json")) -> None:
    """The audit trail, oldest first."""
    with service() as naskah:
        events = naskah.audit_events(subject=subject)
    if json_:
        typer.echo(json.dumps([e.to_dict() for e in events], indent=2, ensure_ascii=False))
        return
    for e in events:
        typer.echo(f"{e.id:>6}  {e.at}  {e.actor:<14} {e.action:<12} {e.subject}  {json.dumps(e.data, ensure_ascii=False, sort_keys=True)}")


@audit_app.command("verify")
def audit_verify(json_: bool = typer.Option(False, "--json")) -> None:
    """Check the hash chain of the audit trail; exit 0 if it holds, 1 naming the first bad event."""
    with service() as naskah:
        report = naskah.audit_verify()
    typer.echo(json.dumps(report.to_dict(), indent=2) if json_ else report.to_text())
    if not report.ok:
        raise typer.Exit(1)


@archive_app.command("retention")
def archive_retention(at: Optional[str] = typer.Option(None, "--at", help="Date to judge at (YYYY-MM-DD; default today)."),
                      json_: bool = typer.Option(False, "--json")) -> None:
    """Filed letters due for transfer (active period over) or for their fate (Musnah, Permanen, Dinilai Kembali)."""
    from datetime import date

    from correspondence.errors import InvalidInput

    try:
        when = date.fromisoformat(at) if at else None
    except ValueError:
        raise InvalidInput(f"--at: '{at}' is not a date (YYYY-MM-DD)") from None
    with service() as naskah:
        items = naskah.retention(when)
    if json_:
        typer.echo(json.dumps([i.to_dict() for i in items], indent=2, ensure_ascii=False))
        return
    for i in items:
        rule = f"{i.rule} {i.rule_name}" if i.rule else "-"
        typer.echo(f"{i.nomor}\t{i.tanggal}\t{i.stage}\t{i.fate or '-'}\tdue {i.due or '-'}\t{rule}\t{i.action}")
    typer.echo(f"{len(items)} letter(s) due")


# -- reports, IKM survey, publication (correspondence/reports.py, ikm.py, publication.py) ------------
report_app = typer.Typer(no_args_is_help=True, help="Reports on complaint handling: DOCX and PDF/A with charts.")
app.add_typer(report_app, name="report")
OutDirOpt = typer.Option(Path("."), "--out", help="Folder for the files (created if missing; default: here).")


def read_input(path: Path) -> bytes:
    from correspondence.errors import InvalidInput

    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None


def write_files(folder: Path, files: dict[str, bytes], *, err: bool = False) -> None:
    """Write all the files or none (each to a .part file first, renamed once all are written)."""
    from correspondence.errors import InvalidInput

    parts: list[tuple[Path, Path]] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            parts.append((folder / f"{name}.part", folder / name))
            parts[-1][0].write_bytes(data)
        for tmp, final in parts:
            tmp.replace(final)
    except OSError as exc:
        for tmp, _ in parts:
            tmp.unlink(missing_ok=True)
        raise InvalidInput(f"cannot write into {folder}: {exc.strerror or exc}") from None
    for name, data in files.items():
        typer.echo(f"written {folder / name} ({len(data)} bytes)", err=err)


@app.command()
def ikm(file: Path = typer.Argument(..., help="CSV: a header row, then one respondent per row with columns u1..u9 (scores 1-4)."),
        json_: bool = typer.Option(False, "--json", help='Print only {"ikm", "grade", "nrr", "respondents"} (other output goes to stderr).'),
        office: Optional[str] = OfficeOpt, out: Path = OutDirOpt,
        periode: str = typer.Option("", "--periode", help="Survey period shown in the report, e.g. 'Semester II 2026'.")) -> None:
    """IKM survey (PermenPANRB 14/2017): IKM, grade A-D and the survey report (DOCX, PDF/A).

    NRR of the nine elements, index with weights of exactly 1/9, IKM = index x 25. Rows with an empty,
    non-integer or out-of-range score are left out and listed by line (header = line 1)."""
    data = read_input(file)
    with service() as naskah:
        report = naskah.ikm_survey(office_name(office), data, source=file.name, periode=periode)
    result = report.ikm
    for line, problems in result.left_out:
        typer.echo(f"line {line} left out: " + "; ".join(p.reason() for p in problems), err=True)
    write_files(out, {f"{report.basename}.docx": report.docx, f"{report.basename}.pdf": report.pdf}, err=json_)
    if json_:
        typer.echo(json.dumps(result.to_json()))
        return
    from correspondence.ikm import ELEMENTS

    typer.echo(f"{file.name}: {result.respondents} respondent(s), {len(result.left_out)} row(s) left out")
    for i, (element, nrr) in enumerate(zip(ELEMENTS, result.nrr), start=1):
        typer.echo(f"  u{i}  {element:<42} NRR {float(nrr):.3f}")
    typer.echo(f"index {float(result.index):.4f} (sum of NRR x 1/9); IKM {result.ikm_published} "
               f"(exact {float(result.ikm):.4f}); grade {result.grade.letter} ({result.grade.kinerja})")


def _report(period: Any, office: Optional[str], out: Path, ikm_file: Optional[Path], kepada: Optional[str]) -> None:
    from correspondence.ikm import survey_result

    survey = survey_result(read_input(ikm_file), source=ikm_file.name) if ikm_file is not None else None
    with service() as naskah:
        report = naskah.report(office_name(office), period, ikm=survey, kepada=kepada)
    write_files(out, {f"{report.basename}.docx": report.docx, f"{report.basename}.pdf": report.pdf})
    s = report.summary
    share = "-" if s.on_time_share is None else f"{s.on_time_share:.0%}"
    typer.echo(f"{period.label}: {s.total} complaint(s); " + ", ".join(f"{label}: {n}" for label, n in s.by_status)
               + f"; finished on time: {share}")


@report_app.command("yearly")
def report_yearly(year: int = typer.Argument(..., help="The year, e.g. 2026."), office: Optional[str] = OfficeOpt,
                  out: Path = OutDirOpt,
                  ikm_file: Optional[Path] = typer.Option(None, "--ikm", help="An IKM survey CSV whose result the report includes."),
                  kepada: Optional[str] = typer.Option(None, "--kepada", help="Addressee (default: the Bupati/Wali Kota of the office's government).")) -> None:
    """Laporan tahunan to the Bupati/Wali Kota (DOCX and PDF/A with charts).

    Complaints received in YEAR by channel, month, category, status, time to resolution, share
    finished on time and satisfaction."""
    from correspondence.reports import Period

    _report(Period.yearly(year), office, out, ikm_file, kepada)


@report_app.command("monthly")
def report_monthly(month: str = typer.Argument(..., metavar="YYYY-MM", help="The month, e.g. 2026-11."),
                   office: Optional[str] = OfficeOpt, out: Path = OutDirOpt,
                   ikm_file: Optional[Path] = typer.Option(None, "--ikm", help="An IKM survey CSV whose result the recap includes."),
                   kepada: Optional[str] = typer.Option(None, "--kepada", help="Addressee named in the recap.")) -> None:
    """Rekapitulasi bulanan: the same figures for the complaints received in one month."""
    from correspondence.reports import Period

    _report(Period.monthly(month), office, out, ikm_file, kepada)


@app.command()
def convert(files: list[Path] = typer.Argument(..., help="Word (.docx) files to convert."),
            out: Path = typer.Option(..., "--out", help="Folder for the PDFs (created if missing).")) -> None:
    """Convert Word files to PDF/A-2b with Naskah's LibreOffice, as it converts letters (one warm office).

    Each FILE.docx becomes OUT/FILE.pdf. A file that cannot be converted is named with the reason
    and the others are still written; the exit code is then 7."""
    from correspondence.errors import InvalidInput

    stems = [f.stem for f in files]
    twice = sorted({s for s in stems if stems.count(s) > 1})
    if twice:
        raise InvalidInput(f"two files would both become {twice[0]}.pdf in {out}: convert them in separate runs")
    documents = []
    for f in files:
        try:
            documents.append(f.read_bytes())
        except OSError as exc:
            raise InvalidInput(f"cannot read {f}: {exc.strerror or exc}") from None
    with service() as naskah:
        results = naskah.convert_documents(documents)
    write_files(out, {f"{f.stem}.pdf": r for f, r in zip(files, results) if isinstance(r, bytes)})
    failed = 0
    for f, r in zip(files, results):
        if isinstance(r, bytes):
            typer.echo(f"{f} -> {out / (f.stem + '.pdf')}")
        else:
            failed += 1
            typer.echo(f"error: {f}: {r}", err=True)
    if failed:
        typer.echo(f"{failed} of {len(files)} file(s) not converted", err=True)
        raise typer.Exit(7)


@app.command()
def publish(out: Path = typer.Option(..., "--out", help="Folder for the HTML page and the PDF (created if missing)."),
            office: Optional[str] = OfficeOpt,
            year: Optional[int] = typer.Option(None, "--year", help="Only complaints answered in this year.")) -> None:
    """Publish the answered complaints (SOP step 12) as an HTML page and a PDF/A, personal data removed.

    Names, NIK, phone numbers, email and street addresses are removed, also inside the texts; the
    complainant is never identified."""
    from correspondence.reports import Period

    with service() as naskah:
        pub = naskah.publication(office_name(office), year=Period.yearly(year).year if year is not None else None)
    write_files(out, {f"{pub.basename}.html": pub.html.encode("utf-8"), f"{pub.basename}.pdf": pub.pdf})
    typer.echo(f"{len(pub.entries)} answered complaint(s) published")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # the one place errors become messages
        for kind, code in EXIT_CODES:
            if isinstance(exc, kind):
                typer.echo(f"error: {exc}", err=True)
                sys.exit(code)
        raise


if __name__ == "__main__":
    main()
