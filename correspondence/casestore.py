"""SQLite tables of complaints, their case events (history) and document versions.

Files themselves live in the archive's content-addressed blob store; rows name
them by sha256. Callers group writes with ``archive.db.transaction``.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archive.db import ensure_schema

from .complaint import Attachment, Complainant, Complaint
from .engine import CaseState
from .errors import UnknownComplaint

SCHEMA = """
CREATE TABLE IF NOT EXISTS complaints (
    id INTEGER PRIMARY KEY,
    register TEXT NOT NULL UNIQUE,
    office TEXT NOT NULL,
    sop TEXT NOT NULL,
    channel TEXT NOT NULL,
    received_at TEXT NOT NULL,
    complainant TEXT NOT NULL,
    subject TEXT NOT NULL,
    content TEXT NOT NULL,
    lapor_id TEXT NOT NULL DEFAULT '',
    current_step TEXT,
    revising INTEGER NOT NULL DEFAULT 0,
    decisions TEXT NOT NULL DEFAULT '{}',
    step_since TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS attachments (
    id INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints (id),
    step TEXT NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS case_events (
    id INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints (id),
    at TEXT NOT NULL,
    step TEXT NOT NULL,
    official TEXT NOT NULL,
    action TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS case_documents (
    id INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints (id),
    doc_key TEXT NOT NULL,
    version INTEGER NOT NULL,
    stage TEXT NOT NULL,
    media TEXT NOT NULL CHECK (media IN ('docx', 'pdf')),
    sha256 TEXT NOT NULL,
    step TEXT NOT NULL,
    nomor TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class CaseEvent:
    at: str
    step: str
    official: str
    action: str
    note: str
    data: dict[str, Any]


@dataclass(frozen=True)
class CaseDocument:
    doc_key: str
    version: int
    stage: str
    media: str
    sha256: str
    step: str
    nomor: str
    created_at: str


class CaseStore:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        ensure_schema(conn, SCHEMA)

    def add(self, complaint: Complaint, state: CaseState, at: datetime) -> None:
        self.conn.execute(
            "INSERT INTO complaints (register, office, sop, channel, received_at, complainant, subject, content, "
            "lapor_id, current_step, revising, decisions, step_since) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                complaint.register, complaint.office, complaint.sop, complaint.channel,
                complaint.received_at.isoformat(timespec="seconds"), json.dumps(complaint.complainant.__dict__),
                complaint.subject, complaint.content, complaint.lapor_id, state.current, int(state.revising),
                json.dumps(state.decisions), at.isoformat(timespec="seconds"),
            ),
        )
        for attachment in complaint.attachments:
            self.add_attachment(complaint.register, "1", attachment)

    def office_of(self, register: str) -> str | None:
        """The office that holds this register number in this home, if any."""
        row = self.conn.execute("SELECT office FROM complaints WHERE register = ?", (register,)).fetchone()
        return None if row is None else str(row[0])

    def _id(self, register: str) -> int:
        row = self.conn.execute("SELECT id FROM complaints WHERE register = ?", (register,)).fetchone()
        if row is None:
            raise UnknownComplaint(f"no complaint with register number '{register}' (see 'naskah complaint list')")
        return int(row[0])

    def get(self, register: str) -> tuple[Complaint, CaseState]:
        row = self.conn.execute("SELECT * FROM complaints WHERE register = ?", (register,)).fetchone()
        if row is None:
            raise UnknownComplaint(f"no complaint with register number '{register}' (see 'naskah complaint list')")
        attachments = tuple(
            Attachment(r["name"], r["sha256"], r["size"])
            for r in self.conn.execute("SELECT * FROM attachments WHERE complaint_id = ? ORDER BY id", (row["id"],))
        )
        complaint = Complaint(
            register=row["register"], office=row["office"], sop=row["sop"], channel=row["channel"],
            received_at=datetime.fromisoformat(row["received_at"]),
            complainant=Complainant(**json.loads(row["complainant"])), subject=row["subject"],
            content=row["content"], lapor_id=row["lapor_id"], attachments=attachments,
        )
        state = CaseState(current=row["current_step"], revising=bool(row["revising"]), decisions=json.loads(row["decisions"]))
        return complaint, state

    def step_since(self, register: str) -> datetime:
        row = self.conn.execute("SELECT step_since FROM complaints WHERE register = ?", (register,)).fetchone()
        return datetime.fromisoformat(row[0])

    def list(self) -> list[tuple[Complaint, CaseState]]:
        registers = [r[0] for r in self.conn.execute("SELECT register FROM complaints ORDER BY id")]
        return [self.get(r) for r in registers]

    def set_state(self, register: str, state: CaseState, at: datetime) -> None:
        self.conn.execute(
            "UPDATE complaints SET current_step = ?, revising = ?, decisions = ?, step_since = ? WHERE id = ?",
            (state.current, int(state.revising), json.dumps(state.decisions), at.isoformat(timespec="seconds"), self._id(register)),
        )

    def add_attachment(self, register: str, step: str, attachment: Attachment) -> None:
        self.conn.execute(
            "INSERT INTO attachments (complaint_id, step, name, sha256, size) VALUES (?,?,?,?,?)",
            (self._id(register), step, attachment.name, attachment.sha256, attachment.size),
        )

    def log(self, register: str, *, at: datetime, step: str, official: str, action: str, note: str = "", data: dict[str, Any] | None = None) -> None:
        self.conn.execute(
            "INSERT INTO case_events (complaint_id, at, step, official, action, note, data) VALUES (?,?,?,?,?,?,?)",
            (self._id(register), at.isoformat(timespec="seconds"), step, official, action, note, json.dumps(data or {}, default=str)),
        )

    def history(self, register: str) -> list[CaseEvent]:
        rows = self.conn.execute("SELECT * FROM case_events WHERE complaint_id = ? ORDER BY id", (self._id(register),))
        return [CaseEvent(r["at"], r["step"], r["official"], r["action"], r["note"], json.loads(r["data"])) for r in rows]

    def add_document(self, register: str, doc: CaseDocument) -> None:
        self.conn.execute(
            "INSERT INTO case_documents (complaint_id, doc_key, version, stage, media, sha256, step, nomor, created_at) "
            "VALUES (?,?,?,?,?,?,?,?,?)",
            (self._id(register), doc.doc_key, doc.version, doc.stage, doc.media, doc.sha256, doc.step, doc.nomor, doc.created_at),
        )

    def documents(self, register: str, doc_key: str | None = None) -> list[CaseDocument]:
        query = "SELECT * FROM case_documents WHERE complaint_id = ?"
        args: tuple[Any, ...] = (self._id(register),)
        if doc_key is not None:
            query += " AND doc_key = ?"
            args += (doc_key,)
        rows = self.conn.execute(query + " ORDER BY id", args)
        return [
            CaseDocument(r["doc_key"], r["version"], r["stage"], r["media"], r["sha256"], r["step"], r["nomor"], r["created_at"])
            for r in rows
        ]

    def latest_pdf(self, register: str, doc_key: str) -> CaseDocument | None:
        pdfs = [d for d in self.documents(register, doc_key) if d.media == "pdf"]
        return pdfs[-1] if pdfs else None

    def decisions(self, register: str) -> dict[str, str]:
        return self.get(register)[1].decisions

    # -- dossier (berkas) export/import and fixity: the rows of one complaint as plain data --------
    def dump(self, register: str) -> dict[str, Any]:
        """Every row of one complaint (complaint, attachments, events, documents) as JSON-ready data."""
        cid = self._id(register)
        row = dict(self.conn.execute("SELECT * FROM complaints WHERE id = ?", (cid,)).fetchone())
        row.pop("id")
        row["complainant"] = json.loads(row["complainant"])
        row["decisions"] = json.loads(row["decisions"])

        def rows(table: str) -> list[dict[str, Any]]:
            out = []
            for r in self.conn.execute(f"SELECT * FROM {table} WHERE complaint_id = ? ORDER BY id", (cid,)):
                item = dict(r)
                item.pop("id")
                item.pop("complaint_id")
                if table == "case_events":
                    item["data"] = json.loads(item["data"])
                out.append(item)
            return out

        return {"complaint": row, "attachments": rows("attachments"), "events": rows("case_events"),
                "documents": rows("case_documents")}

    def exists(self, register: str) -> bool:
        return self.conn.execute("SELECT 1 FROM complaints WHERE register = ?", (register,)).fetchone() is not None

    def restore(self, dump: dict[str, Any]) -> None:
        """Insert the rows of ``dump`` (from ``dump``); call inside a transaction, on a register not used here."""
        c = dict(dump["complaint"])
        c["complainant"] = json.dumps(c["complainant"])
        c["decisions"] = json.dumps(c["decisions"])
        cols = ("register", "office", "sop", "channel", "received_at", "complainant", "subject", "content",
                "lapor_id", "current_step", "revising", "decisions", "step_since")
        cur = self.conn.execute(f"INSERT INTO complaints ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                                tuple(c[k] for k in cols))
        cid = cur.lastrowid
        for a in dump["attachments"]:
            self.conn.execute("INSERT INTO attachments (complaint_id, step, name, sha256, size) VALUES (?,?,?,?,?)",
                              (cid, a["step"], a["name"], a["sha256"], a["size"]))
        for e in dump["events"]:
            self.conn.execute("INSERT INTO case_events (complaint_id, at, step, official, action, note, data) "
                              "VALUES (?,?,?,?,?,?,?)",
                              (cid, e["at"], e["step"], e["official"], e["action"], e["note"], json.dumps(e["data"])))
        for d in dump["documents"]:
            self.conn.execute("INSERT INTO case_documents (complaint_id, doc_key, version, stage, media, sha256, step, "
                              "nomor, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                              (cid, d["doc_key"], d["version"], d["stage"], d["media"], d["sha256"], d["step"],
                               d["nomor"], d["created_at"]))

    def blob_references(self) -> list[tuple[str, str, str]]:
        """(register, what, sha256) of every file a complaint names: attachments and document versions."""
        out = [(r[0], f"lampiran {r[1]} (step {r[2]})", r[3]) for r in self.conn.execute(
            "SELECT c.register, a.name, a.step, a.sha256 FROM attachments a JOIN complaints c ON c.id = a.complaint_id "
            "ORDER BY a.id")]
        out += [(r[0], f"{r[1]} v{r[2]} {r[3]} ({r[4]})", r[5]) for r in self.conn.execute(
            "SELECT c.register, d.doc_key, d.version, d.stage, d.media, d.sha256 FROM case_documents d "
            "JOIN complaints c ON c.id = d.complaint_id ORDER BY d.id")]
        return out
