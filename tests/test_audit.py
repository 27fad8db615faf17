"""The audit trail: append-only, sha256-chained; raw SQL edits, inserts and deletes are caught."""

from __future__ import annotations

import json
from datetime import datetime
from functools import partial
from pathlib import Path

import pytest

from archive import audit
from archive.db import connect, transaction
from archive.errors import AuditError
from clitools import run_naskah  # tests/clitools.py

WHEN = datetime(2026, 11, 21, 10, 0)

naskah = partial(run_naskah, env={"NASKAH_ACTOR": "arsiparis"})


def _trail(home: Path, n: int = 5):
    conn = connect(home)
    for i in range(1, n + 1):
        with transaction(conn):
            audit.append(conn, actor="staf", action="register", subject=f"{i:04d}/PGD/X/2026",
                         data={"i": i, "hal": "Antrian layanan — lambat"}, at=WHEN)
    return conn


def test_chain_links_each_event_to_the_one_before(tmp_path):
    conn = _trail(tmp_path)
    events = audit.events(conn)
    assert [e.id for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == audit.GENESIS
    for before, after in zip(events, events[1:]):
        assert after.prev_hash == before.hash
    e = events[2]
    assert e.hash == audit.event_hash(e.prev_hash, id=e.id, at=e.at, actor=e.actor, action=e.action, subject=e.subject, data=e.data)
    report = audit.verify(conn)
    assert report.ok and report.events == 5 and report.head == events[-1].hash
    assert [x.id for x in audit.events(conn, subject="0002/PGD/X/2026")] == [2]


def test_append_joins_the_callers_transaction(tmp_path):
    conn = _trail(tmp_path, 1)
    with pytest.raises(RuntimeError):
        with transaction(conn):
            audit.append(conn, actor="kadis", action="sign", subject="S", data={})
            raise RuntimeError("the signature failed")  # the action fails: its event goes too
    assert [e.action for e in audit.events(conn)] == ["register"]
    assert audit.verify(conn).ok


def test_edited_event_is_named(tmp_path):
    conn = _trail(tmp_path)
    conn.execute("UPDATE audit_events SET actor = 'kadis' WHERE id = 3")
    report = audit.verify(conn)
    assert not report.ok and report.bad_id == 3 and "edited" in report.problem


def test_edited_data_is_named(tmp_path):
    conn = _trail(tmp_path)
    conn.execute("""UPDATE audit_events SET data = '{"i":2,"hal":"diubah"}' WHERE id = 2""")
    report = audit.verify(conn)
    assert not report.ok and report.bad_id == 2


def test_rewritten_event_with_a_recomputed_hash_breaks_the_next_link(tmp_path):
    conn = _trail(tmp_path)
    row = conn.execute("SELECT * FROM audit_events WHERE id = 3").fetchone()
    forged = audit.event_hash(row["prev_hash"], id=3, at=row["at"], actor="kadis", action=row["action"],
                              subject=row["subject"], data=json.loads(row["data"]))
    conn.execute("UPDATE audit_events SET actor = 'kadis', hash = ? WHERE id = 3", (forged,))
    report = audit.verify(conn)
    assert not report.ok and report.bad_id == 4 and "prev_hash" in report.problem


def test_deleted_event_in_the_middle_is_named(tmp_path):
    conn = _trail(tmp_path)
    conn.execute("DELETE FROM audit_events WHERE id = 3")
    report = audit.verify(conn)
    assert not report.ok and report.bad_id == 4 and "event 3 is missing" in report.problem


def test_deleted_last_event_is_noticed_through_the_head(tmp_path):
    conn = _trail(tmp_path)
    conn.execute("DELETE FROM audit_events WHERE id = 5")
    report = audit.verify(conn)
    assert not report.ok and report.bad_id == 5 and "deleted from the end" in report.problem
    with pytest.raises(AuditError, match="recorded head"):  # and nothing more is chained onto a broken trail
        audit.append(conn, actor="x", action="y", subject="z")


def test_inserted_event_is_named_even_with_a_correct_hash(tmp_path):
    conn = _trail(tmp_path)
    last = audit.events(conn)[-1]
    forged = audit.event_hash(last.hash, id=6, at=last.at, actor="kadis", action="sign", subject="S", data={})
    conn.execute("INSERT INTO audit_events (id, at, actor, action, subject, data, prev_hash, hash) VALUES (6,?,?,?,?,?,?,?)",
                 (last.at, "kadis", "sign", "S", "{}", last.hash, forged))
    report = audit.verify(conn)
    assert not report.ok and report.bad_id == 6 and "outside Naskah" in report.problem


def test_inserted_event_in_the_middle_is_named(tmp_path):
    conn = _trail(tmp_path)
    conn.execute("UPDATE audit_events SET id = id + 1000 WHERE id >= 3")  # make room: 3,4,5 become 4,5,6
    conn.execute("UPDATE audit_events SET id = id - 999 WHERE id > 1000")
    conn.execute("INSERT INTO audit_events (id, at, actor, action, subject, data, prev_hash, hash) VALUES (3,?,?,?,?,?,?,?)",
                 (WHEN.isoformat(), "kadis", "sign", "S", "{}", audit.events(conn)[1].hash, "f" * 64))
    report = audit.verify(conn)
    assert not report.ok and report.bad_id == 3


def test_cli_show_and_verify(tmp_path):
    conn = _trail(tmp_path, 3)
    conn.close()
    shown = naskah(tmp_path, "audit", "show", "--subject", "0002/PGD/X/2026", "--json")
    assert shown.returncode == 0
    assert [e["id"] for e in json.loads(shown.stdout)] == [2]
    ok = naskah(tmp_path, "audit", "verify")
    assert ok.returncode == 0 and "intact: 3 events" in ok.stdout
    conn = connect(tmp_path)
    conn.execute("UPDATE audit_events SET subject = 'lain' WHERE id = 2")
    conn.close()
    bad = naskah(tmp_path, "audit", "verify")
    assert bad.returncode == 1 and "BROKEN at event 2" in bad.stdout


def test_every_service_action_is_audited(tmp_path):
    """The demo walk (register, steps, draft, return, revise, paraf, sign, file, deliver), then retrieve."""
    assert naskah(tmp_path, "demo").returncode == 0
    events = json.loads(naskah(tmp_path, "audit", "show", "--json").stdout)
    actions = [e["action"] for e in events]
    for action in ("register", "document", "record", "draft", "return", "revise", "paraf", "sign", "file", "deliver"):
        assert action in actions, action
    filed = [e for e in events if e["action"] == "file"]
    nomor = filed[-1]["subject"]
    assert naskah(tmp_path, "archive", "get", nomor, "--out", str(tmp_path / "j.pdf")).returncode == 0
    about = json.loads(naskah(tmp_path, "audit", "show", "--subject", nomor, "--json").stdout)
    assert [e["action"] for e in about] == ["file", "retrieve"] and about[1]["actor"] == "arsiparis"
    assert about[0]["data"]["sha256"] == about[1]["data"]["sha256"]
    assert naskah(tmp_path, "audit", "verify").returncode == 0
    assert all("Budi Santoso" not in json.dumps(e) for e in events)  # no complainant identity in the trail


def test_export_is_in_the_audit_trail(tmp_path):
    from archive import audit, dossier
    from archive.db import connect
    from archive.store import Archive
    from correspondence.casestore import CaseStore

    conn = connect(tmp_path)
    archive = Archive(tmp_path, conn)
    audit.ensure_schema(conn)
    from datetime import datetime

    with archive.issue(office="o", series="surat", kka="000.8.3.4", hal="Jawaban", pattern="{kka}/{urut}/{tahun}",
                       padding=4, unit="", when=datetime(2026, 11, 21)) as issuing:
        issuing.file(b"%PDF-1.7 surat", doc_key="surat_jawaban")
    dossier.export(archive, CaseStore(conn), tmp_path / "berkas.zip", letters=[issuing.filed], actor="arsiparis1")
    events = [dict(r) for r in conn.execute("SELECT actor, action, subject FROM audit_events")]
    assert {"actor": "arsiparis1", "action": "export", "subject": "berkas.zip"} in events
