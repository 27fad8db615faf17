"""Application services: every user action, callable from the CLI or a web desk.

Each public method is one unit of work: it checks the SOP allows the action,
produces the documents, signs, numbers and files them, and records the case
event, all in one database transaction where files and numbers are involved.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Sequence

from archive import audit, register as number_register, retention as jra
from archive.blobs import sha256_hex
from archive.db import connect, transaction
from archive.store import Archive, FiledLetter
from signatures.errors import KeyLoadError
from signatures.keys import KeyRing, KeySource, Pkcs12KeySource, load_certificate
from signatures.route import Route, RouteStep, Signatory
from signatures.appearance import StampSettings
from signatures.ltv import SignaturePolicy
from signatures import signing
from signatures.validation import ExpectedSignatory, VerificationReport, verify_pdf

from . import dates, housekeeping
from .casestore import CaseDocument, CaseEvent, CaseStore
from .catalog import load_office_named, load_sop_named, template_file
from .complaint import Attachment, Complainant, Complaint, check_intake
from .documents import render_docx
from .drafting import build_context
from .engine import CaseState, Engine
from .errors import ConfigError, ConversionError, CorrespondenceError, InvalidInput, NotAllowed
from .office import Office, Official
from .sop import Sop, Step

Clock = Callable[[], datetime]


def machine_now() -> datetime:
    """The real clock: the machine's time, aware (a server often runs on UTC)."""
    return datetime.now().astimezone()


@dataclass(frozen=True)
class StepReport:
    """What one action did, for the CLI or a web page to show."""

    register: str
    step: Step
    official: Official
    action: str
    documents: tuple[str, ...] = ()
    nomor: str = ""
    note: str = ""
    elapsed: float = 0.0
    waiting: Step | None = None


@dataclass(frozen=True)
class CaseView:
    complaint: Complaint
    state: CaseState
    waiting: Step | None
    history: tuple[CaseEvent, ...]
    documents: tuple[CaseDocument, ...]
    letters: tuple[FiledLetter, ...] = field(default=())


class Naskah:
    """The service facade over one NASKAH_HOME."""

    def __init__(self, home: Path, *, clock: Clock = machine_now, converter_factory: Callable[[Path], Any] | None = None,
                 long_lived: bool = False) -> None:
        """``long_lived``: the process serves letter after letter (the web desk, a batch worker); then
        each filed letter ends with :func:`~correspondence.housekeeping.after_letter`."""
        self.home = home
        self.long_lived = long_lived
        self.clock = clock
        self.conn = connect(home)
        self.archive = Archive(home, self.conn)
        self.cases = CaseStore(self.conn)
        audit.ensure_schema(self.conn)
        self._converter_factory = converter_factory
        self._converter: Any = None
        self._keys = KeyRing()  # keys opened once (token sessions included), closed by close()
        self._offices: dict[str, Office] = {}
        self._policies: dict[str, SignaturePolicy] = {}

    # -- lifecycle -------------------------------------------------------
    def close(self) -> None:
        self._keys.close()
        if self._converter is not None:
            self._converter.close()
            self._converter = None
        self.conn.close()

    def __enter__(self) -> "Naskah":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def converter(self) -> Any:
        if self._converter is None:
            if self._converter_factory is None:
                from .converter import Converter

                self._converter = Converter(self.home / "run")
            else:
                self._converter = self._converter_factory(self.home / "run")
        return self._converter

    def convert_documents(self, documents: Sequence[bytes]) -> "list[bytes | ConversionError]":
        """Word (DOCX) documents to PDF/A-2b the way Naskah converts its letters: each one's PDF, or
        the :class:`ConversionError` that says why not, in order. One warm office converts them
        one after another, the next waiting in line while the one before is finished."""
        return self.converter.convert_all(documents)

    # -- configuration ---------------------------------------------------
    def office(self, name: str) -> Office:
        if name not in self._offices:
            self._offices[name] = load_office_named(name, self.home)
        return self._offices[name]

    def sop_of(self, office: Office, name: str | None = None) -> Sop:
        return load_sop_named(name or office.sop, self.home, office)

    def _case(self, register: str) -> tuple[Complaint, CaseState, Office, Sop, Engine]:
        complaint, state = self.cases.get(register)
        office = self.office(complaint.office)
        sop = self.sop_of(office, complaint.sop)
        return complaint, state, office, sop, Engine(sop)

    # -- intake ----------------------------------------------------------
    def register_complaint(
        self,
        office_name: str,
        *,
        received_by: str,
        channel: str,
        complainant: Complainant,
        subject: str,
        content: str,
        attachments: list[Path] = (),  # type: ignore[assignment]
        lapor_id: str = "",
        sop_name: str | None = None,
        choice: str | None = None,
    ) -> StepReport:
        """Step 1 of every SOP: record the complaint, give it a nomor agenda and a tanda terima."""
        started = time.perf_counter()
        office = self.office(office_name)
        sop = self.sop_of(office, sop_name)
        engine = Engine(sop)
        first = sop.first
        official = self._official_for(office, sop, first, received_by)
        check_intake(channel, sop.channels, subject, content)
        files = [(p.name, _read_attachment(p)) for p in attachments]
        now = self.wall_time(office)
        with transaction(self.conn):
            register = self.archive.take_agenda(
                office=office.id, pattern=office.numbering.agenda_pattern, padding=office.numbering.agenda_padding,
                unit=office.numbering.unit, when=now,
            )
            holder = self.cases.office_of(register)
            if holder is not None:
                raise ConfigError(f"nomor agenda {register} of office '{office.id}' is already used by office '{holder}' "
                                  "in this NASKAH_HOME; give the offices distinct numbering.unit or agenda_pattern values")
            stored = tuple(Attachment(name, sha256_hex(data), len(data)) for name, data in files)  # put below
            complaint = Complaint(
                register=register, office=office.id, sop=sop.id, channel=channel, received_at=now,
                complainant=complainant, subject=subject.strip(), content=content, lapor_id=lapor_id, attachments=stored,
            )
            state = engine.registered(choice)
            self.cases.add(complaint, state, now)
            produced = []
            if first.document is not None:
                produced.append(self._produce(complaint, office, sop, first, official, {}, now))
            for _, data in files:  # stored once nothing can fail on the input: a refused complaint leaves no file
                self.archive.blobs.put(data)
            self.cases.log(register, at=now, step=first.id, official=official.id, action="register",
                           data={"channel": channel, "attachments": [a.name for a in stored]})
            audit.append(self.conn, actor=official.id, action="register", subject=register, at=now,
                         data={"office": office.id, "sop": sop.id, "step": first.id, "channel": channel,
                               "attachments": [{"name": a.name, "sha256": a.sha256} for a in stored],
                               "documents": produced})
        return StepReport(register, first, official, "register", tuple(produced), elapsed=time.perf_counter() - started,
                          waiting=sop.step(state.current) if state.current else None)

    # -- generic steps ---------------------------------------------------
    def act(self, register: str, official_id: str, *, data: dict[str, Any] | None = None, choice: str | None = None,
            attachments: list[Path] = ()) -> StepReport:  # type: ignore[assignment]
        """Do the waiting step (document, record, draft, deliver), or make a new version of a returned draft."""
        started = time.perf_counter()
        complaint, state, office, sop, engine = self._case(register)
        official = office.official(official_id)
        step = engine.expect(state, role=official.role, actions=("document", "record", "draft", "deliver", "revise"))
        data = dict(data or {})
        files = [(p.name, _read_attachment(p)) for p in attachments]
        now = self.wall_time(office)
        with transaction(self.conn):
            produced: list[str] = []
            nomor = ""
            self._still(register, state)
            if state.revising:
                data = _merge(self._last_draft_data(register, step.document), data)
                produced.append(self._draft(complaint, office, sop, step, official, data, now, revised=True))
                new_state = engine.revised(state)
                action = "revise"
            else:
                if step.action == "draft":
                    produced.append(self._draft(complaint, office, sop, step, official, data, now, revised=False))
                elif step.action == "document":
                    label, nomor = self._issue_document(complaint, office, sop, step, official, data, now)
                    produced.append(label)
                new_state = engine.complete(state, choice)
                action = step.action
            for name, blob in files:  # stored after the documents rendered: a refused step leaves no file behind
                self.cases.add_attachment(register, step.id, Attachment(name, self.archive.blobs.put(blob), len(blob)))
            self.cases.set_state(register, new_state, now)
            self.cases.log(register, at=now, step=step.id, official=official.id, action=action,
                           note=str(data.get("note", "")),
                           data={"choice": choice, "attachments": [n for n, _ in files],
                                 "content": {k: v for k, v in data.items() if k in ("letter", "body")},
                                 "document": step.document})
            audit.append(self.conn, actor=official.id, action=action, subject=register, at=now,
                         data={"office": office.id, "step": step.id, "document": step.document, "choice": choice,
                               "nomor": nomor, "produced": produced, "attachments": [n for n, _ in files]})
        return StepReport(register, step, official, action, tuple(produced), nomor=nomor,
                          note=str(data.get("note", "")), elapsed=time.perf_counter() - started,
                          waiting=sop.step(new_state.current) if new_state.current else None)

    # -- route: paraf, TTE, return ----------------------------------------
    def paraf(self, register: str, official_id: str, passphrase: bytes) -> StepReport:
        started = time.perf_counter()
        complaint, state, office, sop, engine = self._case(register)
        official = office.official(official_id)
        step = engine.expect(state, role=official.role, actions=("paraf",))
        route, index = self._route_position(office, sop, step)
        key = self._key(official, passphrase)
        current = self._current_pdf(register, step.document)
        signed = signing.sign_paraf(self.archive.blobs.get(current.sha256), route, index, key,
                                    self._stamp_settings(office), when=self.office_now(office),
                                    policy=self._signature_policy(office), registered=self._registered(official))
        now = self.wall_time(office)
        with transaction(self.conn):
            self._still(register, state)
            digest = self.archive.blobs.put(signed)
            self.cases.add_document(register, CaseDocument(step.document, current.version, f"paraf-{index + 1}", "pdf",
                                                           digest, step.id, "", now.isoformat(timespec="seconds")))
            new_state = engine.complete(state)
            self.cases.set_state(register, new_state, now)
            self.cases.log(register, at=now, step=step.id, official=official.id, action="paraf",
                           data={"version": current.version, "sha256": digest})
            audit.append(self.conn, actor=official.id, action="paraf", subject=register, at=now,
                         data={"office": office.id, "step": step.id, "document": step.document,
                               "version": current.version, "route_step": index + 1, "sha256": digest})
        doc = sop.documents[step.document]
        return StepReport(register, step, official, "paraf", (f"{doc.title} v{current.version} (paraf {index + 1})",),
                          elapsed=time.perf_counter() - started, waiting=sop.step(new_state.current) if new_state.current else None)

    def sign(self, register: str, official_id: str, passphrase: bytes) -> StepReport:
        """TTE: the nomor and the date are given now, in the transaction that files the letter."""
        started = time.perf_counter()
        complaint, state, office, sop, engine = self._case(register)
        official = office.official(official_id)
        step = engine.expect(state, role=official.role, actions=("sign",))
        route, _ = self._route_position(office, sop, step)
        key = self._key(official, passphrase)
        current = self._current_pdf(register, step.document)
        draft = self.archive.blobs.get(current.sha256)
        doc = sop.documents[step.document]
        now = self.wall_time(office)
        when = self.office_now(office)  # the TTE's time and date: the office's, also on a UTC machine
        ref = uuid.uuid4().hex
        series = office.numbering.series_for(doc_key=step.document, kka=doc.kka)
        with self.archive.issue(office=office.id, series=series, kka=doc.kka, hal=doc.hal or doc.title,
                                pattern=office.numbering.pattern, padding=office.numbering.padding,
                                unit=office.numbering.unit, when=when.replace(tzinfo=None)) as issuing:
            self._still(register, state)
            signed = signing.sign_tte(draft, route, key, self._stamp_settings(office), nomor=issuing.nomor,
                                      tanggal=f"{office.city}, {dates.tanggal(when)}", verification_ref=ref, when=when,
                                      policy=self._signature_policy(office), registered=self._registered(official))
            signers = [
                {"kind": s.kind, "official": s.signatory.official_id, "name": s.signatory.name,
                 "nip": s.signatory.nip, "jabatan": s.signatory.jabatan}
                for s in route.steps
            ]
            filed = issuing.file(signed, doc_key=step.document, complaint=register, sifat="Biasa",
                                 verification_ref=ref, signers=signers, **_letter_parties(complaint))
            self.cases.add_document(register, CaseDocument(step.document, current.version, "tte", "pdf", filed.sha256,
                                                           step.id, filed.nomor, now.isoformat(timespec="seconds")))
            new_state = engine.complete(state)
            self.cases.set_state(register, new_state, now)
            self.cases.log(register, at=now, step=step.id, official=official.id, action="sign",
                           data={"version": current.version, "nomor": filed.nomor, "sha256": filed.sha256})
            audit.append(self.conn, actor=official.id, action="sign", subject=register, at=now,
                         data={"office": office.id, "step": step.id, "document": step.document,
                               "version": current.version, "nomor": filed.nomor, "sha256": filed.sha256})
            audit.append(self.conn, actor=official.id, action="file", subject=filed.nomor, at=now,
                         data={"office": office.id, "complaint": register, "document": step.document, "kka": filed.kka,
                               "series": series, "sha256": filed.sha256, "size": filed.size, "verification_ref": ref})
        if self.long_lived:
            housekeeping.after_letter()
        return StepReport(register, step, official, "sign", (f"{doc.title} {filed.nomor} (TTE, filed)",),
                          nomor=filed.nomor, elapsed=time.perf_counter() - started,
                          waiting=sop.step(new_state.current) if new_state.current else None)

    def return_draft(self, register: str, official_id: str, note: str) -> StepReport:
        """'Tidak setuju': the draft goes back with a note; its parafs no longer count."""
        if not note.strip():
            raise InvalidInput("say why the draft is returned (--note)")
        complaint, state, office, sop, engine = self._case(register)
        official = office.official(official_id)
        step = engine.expect(state, role=official.role, actions=("paraf", "sign"))
        new_state = engine.returned(state)
        now = self.wall_time(office)
        with transaction(self.conn):
            self._still(register, state)
            self.cases.set_state(register, new_state, now)
            self.cases.log(register, at=now, step=step.id, official=official.id, action="return", note=note)
            audit.append(self.conn, actor=official.id, action="return", subject=register, at=now,
                         data={"office": office.id, "step": step.id, "document": step.document, "note": note})
        return StepReport(register, step, official, "return", note=note, waiting=sop.step(new_state.current))

    # -- archive: retrieval, number register, audit, retention ------------
    def retrieve(self, nomor: str, actor: str, *, office: str | None = None) -> bytes:
        """A filed letter's bytes (checked against its sha256); the retrieval is audited."""
        letter = self.archive.get(nomor, office=office)
        data = self.archive.blobs.get(letter.sha256)
        audit.append(self.conn, actor=actor, action="retrieve", subject=letter.nomor, at=self._wall_time_of(letter.office),
                     data={"office": letter.office, "sha256": letter.sha256})
        return data

    def letter_by_ref(self, ref_or_url: str) -> FiledLetter:
        """The filed letter a TTE's QR names: its verification reference, or the whole verify URL
        read from the QR (the reference is the 32 hex digits Naskah put into it)."""
        return self.archive.find_by_ref(verification_ref_in(ref_or_url))

    def take_number(self, office_name: str, *, kka: str, hal: str, actor: str, doc_key: str | None = None) -> number_register.NumberEntry:
        """The next nomor surat for a letter made outside Naskah: recorded in the register and audited."""
        if not hal.strip():
            raise InvalidInput("give the letter's subject (--hal)")
        if not kka.strip() and "{kka}" in self.office(office_name).numbering.pattern:
            raise InvalidInput("give the letter's KKA (--kka), e.g. 000.8.3.4")
        office = self.office(office_name)
        numbering_ = office.numbering
        return number_register.take_number(
            self.conn, office=office.id, series=numbering_.series_for(doc_key=doc_key, kka=kka.strip()), kka=kka.strip(),
            hal=hal, pattern=numbering_.pattern, padding=numbering_.padding, unit=numbering_.unit, when=self.wall_time(office), actor=actor,
        )

    def void_number(self, nomor: str, *, reason: str, actor: str, office_name: str | None = None) -> number_register.NumberEntry:
        """Mark a number void; it stays in the register with the reason and is never given again."""
        if not reason.strip():
            raise InvalidInput("say why the number is void (--reason)")
        office_id = self.office(office_name).id if office_name else None
        return number_register.void_number(self.conn, nomor, reason=reason, actor=actor, office=office_id, when=self._wall_time_of(office_id))

    def numbers(self, *, year: int | None = None, office_name: str | None = None) -> list[number_register.NumberEntry]:
        office_id = self.office(office_name).id if office_name else None
        return number_register.list_numbers(self.conn, year=year, office=office_id)

    def audit_events(self, *, subject: str | None = None) -> list[audit.AuditEvent]:
        return audit.events(self.conn, subject=subject)

    def audit_verify(self) -> audit.ChainReport:
        return audit.verify(self.conn)

    def kka_table(self, office_id: str) -> jra.KkaTable:
        """Shipped KKA/JRA table, then $NASKAH_HOME/kka.yaml, then a kka.yaml next to the office profile."""
        try:
            source = self.office(office_id).source
        except CorrespondenceError:  # an office whose profile is gone: its letters still have the general table
            source = None
        return jra.load_table(self.home / "kka.yaml", source.parent / "kka.yaml" if source is not None else None)

    def retention(self, at: date | None = None) -> list[jra.RetentionItem]:
        """Filed letters due for transfer (active period over) or for their fate (inactive period over)."""
        return jra.due(self.conn, at=at or self._wall_time_of(None).date(), table_for=self.kka_table)

    # -- keys ------------------------------------------------------------
    def create_demo_keys(self, office_name: str, passphrase: str) -> Path:
        """A demo PKI for the office: a root CA and one certificate per official with a key entry."""
        from signatures.pki import create_demo_pki

        office = self.office(office_name)
        signers = [o for o in office.officials if o.signs]
        dest = self.home / "keys" / office.id
        create_demo_pki(dest, organisation=office.name, signatories=[_signatory(o) for o in signers], passphrase=passphrase)
        for official in signers:
            for wanted in (official.key, official.certificate):
                if wanted and not self._home_path(wanted).is_file():
                    raise InvalidInput(f"office profile names {wanted} for {official.id}, but the demo PKI wrote "
                                       f"{dest}/{official.id}.p12 and .pem; point key:/certificate: there")
        return dest

    def has_keys(self, office_name: str) -> bool:
        return (self.home / "keys" / self.office(office_name).id / "ca.pem").is_file()

    def import_key_to_token(self, office_name: str, official_id: str, *, token: str, pin: bytes, passphrase: bytes,
                            module: str = "", label: str = "", p12: Path | None = None) -> Any:
        """Put an official's .p12 key and certificate on a PKCS#11 token (signatures.pkcs11.TokenImport).

        The .p12 is the official's key: entry, else the demo PKI's keys/<office>/<official>.p12.
        """
        from signatures.pkcs11 import find_module, import_pkcs12

        office = self.office(office_name)
        official = office.official(official_id)
        source = p12 or (self._home_path(official.key) if official.key else self.home / "keys" / office.id / f"{official.id}.p12")
        return import_pkcs12(source, passphrase, module=find_module(module), token=token, pin=pin, label=label or official.id)

    def point_official_at_token(self, office_name: str, official_id: str, block: dict[str, str]) -> Path:
        """Write $NASKAH_HOME/offices/<id>/office.yaml with the official's key: replaced by ``pkcs11: block``.

        A profile from elsewhere (shipped, or another folder) is copied there with the files of its
        folder (demo script, logo, templates); the result is validated before it replaces anything.
        """
        import os
        import shutil

        import yaml

        from .config import read_yaml
        from .office import load_office

        office = self.office(office_name)
        official = office.official(official_id)
        if office.source is None:
            raise InvalidInput(f"office '{office.id}' was not loaded from a file; edit its profile by hand")
        raw = read_yaml(office.source)
        entry = next(o for o in raw["officials"] if o.get("id") == official.id)
        entry.pop("key", None)
        entry["pkcs11"] = {k: v for k, v in block.items() if v}
        target_dir = self.home / "offices" / office.id
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / "office.yaml"
        if office.source.resolve() != target.resolve():
            for item in office.source.parent.iterdir():
                if item.is_file() and item.name != "office.yaml" and not (target_dir / item.name).exists():
                    shutil.copy2(item, target_dir / item.name)
        header = (f"# Written by 'naskah keys token-import' from {office.source} (its comments are not kept);\n"
                  "# officials with a pkcs11: entry sign with a key on a token, giving the token's PIN.\n")
        tmp = target.with_name("office.yaml.part")
        tmp.write_text(header + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8")
        try:
            load_office(tmp)
        except Exception:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, target)
        self._offices.clear()
        return target

    # -- reports, satisfaction survey, publication (reports.py, ikm.py, publication.py) --------
    def report(self, office_name: str, period: Any, *, ikm: Any = None, kepada: str | None = None) -> Any:
        """Yearly report (to the Bupati/Wali Kota) or monthly recap: ``reports.Report`` with DOCX and PDF/A."""
        from . import reports

        return reports.build(self, self.office(office_name), period, ikm=ikm, kepada=kepada)

    def ikm_survey(self, office_name: str, data: bytes, *, source: str, periode: str = "") -> Any:
        """IKM of a survey CSV (PermenPANRB 14/2017) and its report: ``reports.Report`` (``.ikm`` = the result)."""
        from . import ikm, reports

        return reports.build_ikm(self, self.office(office_name), ikm.survey_result(data, source=source),
                                 source=source, periode=periode)

    def publication(self, office_name: str, *, year: int | None = None) -> Any:
        """The public list of answered complaints, personal data removed: ``publication.Publication``."""
        from . import publication

        return publication.build(self, self.office(office_name), year=year)

    # -- queries ---------------------------------------------------------
    def view(self, register: str) -> CaseView:
        complaint, state, office, sop, engine = self._case(register)
        return CaseView(
            complaint, state, sop.step(state.current) if state.current else None,
            tuple(self.cases.history(register)), tuple(self.cases.documents(register)),
            tuple(self.archive.letters_of(register)),
        )

    def complaints(self) -> list[tuple[Complaint, CaseState]]:
        return self.cases.list()

    def due(self, *, office_name: str | None = None, official_id: str | None = None) -> Any:
        """Open and overdue work per official and per complaint at the clock's now (deadlines.DueReport)."""
        from .deadlines import due_report

        return due_report(self, office=office_name, official=official_id)

    def document(self, register: str, doc_key: str, *, media: str = "pdf") -> bytes:
        docs = [d for d in self.cases.documents(register, doc_key) if d.media == media]
        if not docs:
            raise InvalidInput(f"complaint {register} has no {media} of '{doc_key}' yet")
        return self.archive.blobs.get(docs[-1].sha256)

    def verify(self, pdf: bytes, office_name: str, *, online: bool = False) -> VerificationReport:
        """Every signature checked against the office's trust roots and profile (``online``: fetch revocation)."""
        office = self.office(office_name)
        roots = self._trust_roots(office)
        expected = {
            o.id: ExpectedSignatory(o.id, o.name, o.nip, o.jabatan,
                                    load_certificate(self._home_path(o.certificate)) if o.certificate and self._home_path(o.certificate).is_file() else None,
                                    role=o.role)
            for o in office.officials
        }
        return verify_pdf(pdf, trust_roots=roots, signatories=expected, online=online)

    def office_of_file(self, pdf: bytes) -> str | None:
        """The office that filed this exact file, if the archive has it."""
        found = self.archive.find_by_sha256(sha256_hex(pdf))
        return found[0].office if found else None

    # -- internals -------------------------------------------------------
    def _still(self, register: str, state: CaseState) -> None:
        """Inside the transaction: the case has not moved since the action was checked."""
        if self.cases.get(register)[1] != state:
            raise NotAllowed(f"complaint {register} was changed by someone else meanwhile; look at it again")

    def _last_draft_data(self, register: str, doc_key: str | None) -> dict[str, Any]:
        for event in reversed(self.cases.history(register)):
            if event.action in ("draft", "revise") and event.data.get("document") == doc_key:
                return dict(event.data.get("content", {}))
        return {}

    def _official_for(self, office: Office, sop: Sop, step: Step, official_id: str) -> Official:
        official = office.official(official_id)
        if official.role != step.actor:
            raise NotAllowed(f"step {step.id} ({step.name}) is for {sop.actors[step.actor].name}; "
                             f"{official.name} has role '{official.role}'")
        return official

    def _home_path(self, relative: str) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else self.home / path

    def _key(self, official: Official, passphrase: bytes) -> KeySource:
        """The official's key, opened once per service (the passphrase or token PIN is not kept)."""
        if official.pkcs11 is not None:
            from signatures.pkcs11 import Pkcs11KeySource, TokenKey, find_module

            spec = official.pkcs11
            where = TokenKey(find_module(spec.module), spec.token, spec.key_label, spec.cert_label)
            return self._keys.get(("pkcs11", where), passphrase, lambda: Pkcs11KeySource(where, passphrase))
        if not official.key:
            raise NotAllowed(f"{official.name} has no signing key in the office profile (key: or pkcs11:)")
        path = self._home_path(official.key)
        return self._keys.get(("pkcs12", path), passphrase, lambda: Pkcs12KeySource(path, passphrase))

    def _trust_roots(self, office: Office) -> list[Any]:
        """The office CA (keys/<office>/ca.pem) and the profile's signing.trust_roots."""
        anchor = self._home_path(f"keys/{office.id}/ca.pem")
        if not anchor.is_file():
            raise KeyLoadError(f"no trusted CA certificate for office '{office.id}' in this NASKAH_HOME: put the office's "
                               f"CA certificate at {anchor} (or run 'naskah keys demo --office {office.id}' for demo keys)")
        return [load_certificate(anchor)] + [load_certificate(self._home_path(p)) for p in office.signing.trust_roots]

    def _signature_policy(self, office: Office) -> SignaturePolicy:
        """The office's PAdES level; kept per office so the TSA client (and its sizing token) is reused."""
        policy = self._policies.get(office.id)
        if policy is None:
            settings = office.signing
            roots = tuple(self._trust_roots(office)) if settings.level != "B-B" else ()
            policy = SignaturePolicy(settings.level, tsa_url=settings.tsa_url, trust_roots=roots,
                                     timeout=settings.service_timeout)
            self._policies[office.id] = policy
        return policy

    def _registered(self, official: Official) -> Any:
        """The certificate the office profile registers for the official (None if it names none)."""
        if not official.certificate:
            return None
        path = self._home_path(official.certificate)
        if not path.is_file():
            raise KeyLoadError(f"the office profile registers certificate {path} for {official.name}, but the file is "
                               "missing: restore it, or remove certificate: from the profile")
        return load_certificate(path)

    def office_now(self, office: Office) -> datetime:
        """The clock's now, aware, in the office's zona_waktu (WIB, WITA, WIT): the time a paraf or
        TTE carries and prints. An aware clock (the real one) is converted; a naive one (tests,
        $NASKAH_NOW) is read as office wall time, as everywhere in Naskah."""
        from .calendar import WorkingCalendar

        return WorkingCalendar.for_office(office).local(self.clock())

    def wall_time(self, office: Office) -> datetime:
        """The office's wall-clock time, naive: how Naskah records the times of cases, the
        register and the audit trail (read back as the office's own time)."""
        return self.office_now(office).replace(tzinfo=None)

    def _wall_time_of(self, office_id: str | None) -> datetime:
        if office_id:
            return self.wall_time(self.office(office_id))
        now = self.clock()
        return now.astimezone().replace(tzinfo=None) if now.tzinfo else now

    def _stamp_settings(self, office: Office) -> StampSettings:
        return StampSettings(footer=office.signing.footer, paraf_visible=office.signing.paraf_visible,
                             verify_url=office.signing.verify_url)

    def _route(self, office: Office, sop: Sop, doc_key: str) -> Route:
        return Route(tuple(
            RouteStep(entry.action, _signatory(office.holder(entry.actor))) for entry in sop.documents[doc_key].route
        ))

    def _route_position(self, office: Office, sop: Sop, step: Step) -> tuple[Route, int]:
        route = self._route(office, sop, step.document)
        kind = "tte" if step.action == "sign" else "paraf"
        for index, entry in enumerate(sop.documents[step.document].route):
            if entry.actor == step.actor and entry.action == kind:
                return route, index
        raise NotAllowed(f"step {step.id} is not on the route of {step.document}")

    def _current_pdf(self, register: str, doc_key: str) -> CaseDocument:
        current = self.cases.latest_pdf(register, doc_key)
        if current is None:
            raise NotAllowed(f"complaint {register} has no draft of '{doc_key}' to sign")
        return current

    def _render(self, complaint: Complaint, office: Office, sop: Sop, step: Step, official: Official,
                data: dict[str, Any], now: datetime, *, nomor: str = "", version: int = 1) -> tuple[bytes, bytes]:
        doc = sop.documents[step.document]
        signer = office.holder(doc.signer) if doc.signer else official
        context = build_context(office=office, complaint=complaint, signer=signer, data=data, hal=doc.hal or complaint.subject,
                                nomor=nomor, tanggal=now.date() if nomor else None, today=now, version=version)
        docx = render_docx(template_file(office, doc.template), context)
        return docx, self.converter.convert(docx)

    def _next_version(self, register: str, doc_key: str) -> int:
        """A document produced again (a loop, a revision) gets the next version number."""
        return max((d.version for d in self.cases.documents(register, doc_key)), default=0) + 1

    def _store(self, register: str, doc_key: str, version: int, stage: str, step: Step, docx: bytes, pdf: bytes,
               now: datetime, nomor: str = "") -> None:
        stamp = now.isoformat(timespec="seconds")
        self.cases.add_document(register, CaseDocument(doc_key, version, "docx", "docx", self.archive.blobs.put(docx), step.id, nomor, stamp))
        self.cases.add_document(register, CaseDocument(doc_key, version, stage, "pdf", self.archive.blobs.put(pdf), step.id, nomor, stamp))

    def _produce(self, complaint: Complaint, office: Office, sop: Sop, step: Step, official: Official,
                 data: dict[str, Any], now: datetime) -> str:
        docx, pdf = self._render(complaint, office, sop, step, official, data, now)
        self._store(complaint.register, step.document, self._next_version(complaint.register, step.document), "final", step, docx, pdf, now)
        return sop.documents[step.document].title

    def _issue_document(self, complaint: Complaint, office: Office, sop: Sop, step: Step, official: Official,
                        data: dict[str, Any], now: datetime) -> tuple[str, str]:
        doc = sop.documents[step.document]
        if not doc.numbered:
            return self._produce(complaint, office, sop, step, official, data, now), ""
        series = office.numbering.series_for(doc_key=step.document, kka=doc.kka)
        with self.archive.issue(office=office.id, series=series, kka=doc.kka, hal=doc.hal or doc.title,
                                pattern=office.numbering.pattern, padding=office.numbering.padding,
                                unit=office.numbering.unit, when=now) as issuing:
            docx, pdf = self._render(complaint, office, sop, step, official, data, now, nomor=issuing.nomor)
            signer = office.holder(doc.signer) if doc.signer else official
            filed = issuing.file(pdf, doc_key=step.document, complaint=complaint.register, **_letter_parties(complaint),
                                 signers=[{"kind": "basah", "official": signer.id, "name": signer.name, "nip": signer.nip, "jabatan": signer.jabatan}])
            audit.append(self.conn, actor=official.id, action="file", subject=filed.nomor, at=now,
                         data={"office": office.id, "complaint": complaint.register, "document": step.document,
                               "kka": filed.kka, "series": series, "sha256": filed.sha256, "size": filed.size})
            self._store(complaint.register, step.document, self._next_version(complaint.register, step.document),
                        "final", step, docx, pdf, now, nomor=issuing.nomor)
        return f"{doc.title} {issuing.nomor}", issuing.nomor

    def _draft(self, complaint: Complaint, office: Office, sop: Sop, step: Step, official: Official,
               data: dict[str, Any], now: datetime, *, revised: bool) -> str:
        doc_key = step.document if step.document else None
        if doc_key is None:
            raise NotAllowed(f"step {step.id} has no document")
        version = self._next_version(complaint.register, doc_key)
        docx, pdf = self._render(complaint, office, sop, step, official, data, now, version=version)
        route = self._route(office, sop, doc_key)
        prepared = signing.prepare(pdf, route, self._stamp_settings(office))
        self._store(complaint.register, doc_key, version, "prepared", step, docx, prepared, now)
        title = sop.documents[doc_key].title
        return f"{title} v{version}" + (" (perbaikan)" if revised else " (draft)")


def verifier(home: Path) -> Callable[[bytes, str], VerificationReport]:
    """``Naskah(home).verify``, made inside a worker process: ``archive.fixity.check`` re-validates
    signed letters in parallel with ``verifier=functools.partial(verifier, home)``."""
    return Naskah(home).verify


def verification_ref_in(text: str) -> str:
    """The verification reference in ``text``: the reference itself or a verify URL holding it
    (``https://.../verifikasi/<ref>``, ``naskah:verify/<ref>``, ``...?ref=<ref>``)."""
    found = re.findall(r"(?<![0-9a-fA-F])[0-9a-fA-F]{32}(?![0-9a-fA-F])", text.strip())
    if len(found) != 1:
        raise InvalidInput(f"'{text.strip()}' is neither a verification reference (32 hex digits) nor a verify URL "
                           "holding one")
    return found[0].lower()


def _letter_parties(complaint: Complaint) -> dict[str, str]:
    """What the archive records of a letter's complaint: the pengadu's display name ('' if anonymous) and the text."""
    return {"complainant": "" if complaint.complainant.anonymous else complaint.complainant.name,
            "complaint_text": f"{complaint.subject}\n{complaint.content}"}


def _signatory(official: Official) -> Signatory:
    return Signatory(official.id, official.name, official.nip, official.jabatan, official.pangkat_golongan)


def _merge(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """``change`` over ``base``, one level deep into 'letter' and 'body'."""
    merged = dict(base)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _read_attachment(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"attachment {path} not found") from None
    except OSError as exc:
        raise InvalidInput(f"attachment {path} cannot be read: {exc.strerror}") from None
