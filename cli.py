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

    naskah = Naskah(home())
    try:
        yield naskah
    finally:
        naskah.close()


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


@archive_app.command("get")
def archive_get(nomor: str, out: Path = typer.Option(..., "--out")) -> None:
    """Retrieve a filed letter by its nomor surat (checked against its sha256)."""
    with service() as naskah:
        data = naskah.archive.read(nomor)
    write_out(out, data)


@archive_app.command("show")
def archive_show(nomor: str, json_: bool = typer.Option(False, "--json")) -> None:
    """Metadata of a filed letter."""
    with service() as naskah:
        letter = naskah.archive.get(nomor)
    if json_:
        typer.echo(json.dumps(letter.to_dict(), indent=2, ensure_ascii=False))
        return
    for key, value in letter.to_dict().items():
        if key == "signers":
            for s in value:
                typer.echo(f"{'signer':>16}: {s['kind']} {s['name']} (NIP {s['nip']}) {s['jabatan']}")
        else:
            typer.echo(f"{key:>16}: {value}")


@app.command()
def verify(file: Path, office: Optional[str] = OfficeOpt, json_: bool = typer.Option(False, "--json")) -> None:
    """Check every signature of a PDF: intact, trusted, in the route's order, by the expected official."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        from correspondence.errors import InvalidInput

        raise InvalidInput(f"cannot read {file}: {exc.strerror}") from None
    with service() as naskah:
        name = office or naskah.office_of_file(data) or office_name(None)
        report = naskah.verify(data, name)
    typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str) if json_ else report.to_text())
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
