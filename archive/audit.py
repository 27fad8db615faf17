"""Audit trail: an append-only table of events chained by sha256.

Each event's ``hash`` is ``sha256(prev_hash + canonical JSON of the event)``,
where the event is ``{id, at, actor, action, subject, data}`` and ``prev_hash``
is the hash of the event before it (64 zeros for the first). ``append`` is
called inside the caller's write transaction, so an action and its audit event
commit together or not at all; ``archive.db.transaction`` joins an open one.

A second table, ``audit_head``, holds the id and hash of the last event; it is
updated in the same transaction. It lets ``verify`` notice events deleted from
the end of the chain, which a chain alone cannot show. Someone who can write
the database file can still rewrite the whole chain and its head: record the
head hash ``verify`` prints somewhere else (a report, a signed letter) to anchor it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .db import transaction
from .errors import AuditError

GENESIS = "0" * 64

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS audit_events_subject ON audit_events (subject);
CREATE TABLE IF NOT EXISTS audit_head (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    last_id INTEGER NOT NULL,
    last_hash TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: str
    actor: str
    action: str
    subject: str
    data: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "AuditEvent":
        values = dict(row)
        try:
            values["data"] = json.loads(values["data"])
        except (TypeError, ValueError):
            values["data"] = {"_unreadable": values["data"]}
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    head: str
    bad_id: int | None = None
    problem: str = ""

    def to_text(self) -> str:
        if self.ok:
            return f"audit trail intact: {self.events} events, head {self.head}"
        return f"audit trail BROKEN at event {self.bad_id}: {self.problem}"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def canonical(value: Any) -> str:
    """The one JSON text of a value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(prev_hash: str, *, id: int, at: str, actor: str, action: str, subject: str, data: Any) -> str:
    body = canonical({"id": id, "at": at, "actor": actor, "action": action, "subject": subject, "data": data})
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the tables if needed; joins the caller's transaction when one is open."""
    if _has_tables(conn, "audit_events", "audit_head"):
        return  # a plain read: no write lock taken for nothing
    with transaction(conn):
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)


def _has_tables(conn: sqlite3.Connection, *names: str) -> bool:
    found = conn.execute(f"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ({','.join('?' * len(names))})",
                         names).fetchone()[0]
    return found == len(names)


def append(conn: sqlite3.Connection, *, actor: str, action: str, subject: str, data: Any = None,
           at: datetime | None = None) -> AuditEvent:
    """Add one event at the end of the chain.

    Call it inside the transaction of the action it records (it joins it); called
    alone it opens its own. The write lock (BEGIN IMMEDIATE) orders the chain.
    """
    if not action:
        raise AuditError("an audit event needs an action")
    with transaction(conn):
        ensure_schema(conn)
        head = conn.execute("SELECT last_id, last_hash FROM audit_head WHERE one = 1").fetchone()
        last = conn.execute("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
        if head is not None and (last is None or (last["id"], last["hash"]) != (head["last_id"], head["last_hash"])):
            raise AuditError("the audit trail's last event does not match its recorded head; "
                             "run 'naskah audit verify' (nothing was recorded)")
        prev = last["hash"] if last is not None else GENESIS
        new_id = (last["id"] + 1) if last is not None else 1
        stamp = (at or datetime.now()).isoformat(timespec="seconds")
        payload = json.loads(canonical(data if data is not None else {}))  # exactly what is stored
        digest = event_hash(prev, id=new_id, at=stamp, actor=actor, action=action, subject=subject, data=payload)
        conn.execute(
            "INSERT INTO audit_events (id, at, actor, action, subject, data, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)",
            (new_id, stamp, actor, action, subject, canonical(payload), prev, digest),
        )
        conn.execute(
            "INSERT INTO audit_head (one, last_id, last_hash) VALUES (1, ?, ?) "
            "ON CONFLICT (one) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash",
            (new_id, digest),
        )
    return AuditEvent(new_id, stamp, actor, action, subject, payload, prev, digest)


def events(conn: sqlite3.Connection, *, subject: str | None = None, action: str | None = None) -> list[AuditEvent]:
    ensure_schema(conn)
    query, args = "SELECT * FROM audit_events", []
    where = []
    if subject is not None:
        where.append("subject = ?")
        args.append(subject)
    if action is not None:
        where.append("action = ?")
        args.append(action)
    if where:
        query += " WHERE " + " AND ".join(where)
    return [AuditEvent.from_row(r) for r in conn.execute(query + " ORDER BY id", args)]


def verify(conn: sqlite3.Connection) -> ChainReport:
    """Walk the chain from the first event; name the first event that does not hold."""
    ensure_schema(conn)
    prev, expected_id, count = GENESIS, 1, 0
    for row in conn.execute("SELECT * FROM audit_events ORDER BY id"):
        if row["id"] != expected_id:
            kind = "deleted" if row["id"] > expected_id else "out of order"
            return ChainReport(False, count, prev, row["id"], f"event {expected_id} is missing ({kind}); the chain jumps to {row['id']}")
        if row["prev_hash"] != prev:
            return ChainReport(False, count, prev, row["id"], "its prev_hash is not the hash of the event before it "
                               "(an event was inserted, deleted or rewritten)")
        try:
            data = json.loads(row["data"])
        except (TypeError, ValueError):
            return ChainReport(False, count, prev, row["id"], "its data is not JSON")
        digest = event_hash(prev, id=row["id"], at=row["at"], actor=row["actor"], action=row["action"],
                            subject=row["subject"], data=data)
        if digest != row["hash"]:
            return ChainReport(False, count, prev, row["id"], "its content does not match its hash (edited)")
        prev, expected_id, count = row["hash"], expected_id + 1, count + 1
    head = conn.execute("SELECT last_id, last_hash FROM audit_head WHERE one = 1").fetchone()
    if head is None:
        if count:
            return ChainReport(False, count, prev, expected_id - 1, "the recorded head of the trail is missing")
        return ChainReport(True, 0, GENESIS)
    if head["last_id"] != expected_id - 1 or head["last_hash"] != prev:
        if head["last_id"] == expected_id - 1:
            return ChainReport(False, count, prev, head["last_id"],
                               "the last event does not match the recorded head of the trail (rewritten)")
        if head["last_id"] >= expected_id:
            return ChainReport(False, count, prev, expected_id,
                               f"the trail ends at event {expected_id - 1} but its recorded head is event {head['last_id']} "
                               "(events deleted from the end)")
        return ChainReport(False, count, prev, head["last_id"] + 1,
                           f"events after the recorded head (event {head['last_id']}) were added outside Naskah")
    return ChainReport(True, count, prev)
