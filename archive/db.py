"""The embedded SQLite database: one file under NASKAH_HOME, WAL mode.

Each package creates its own tables through ``ensure_schema``; writers use
``transaction()`` which takes the write lock up front (BEGIN IMMEDIATE) so that
two processes never interleave a read-modify-write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DB_NAME = "naskah.db"


def connect(home: Path) -> sqlite3.Connection:
    """Open (creating if needed) ``home/naskah.db`` in autocommit mode with WAL."""
    home.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(home / DB_NAME, timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout=30000")
    _enable_wal(conn)
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def _enable_wal(conn: sqlite3.Connection, attempts: int = 100) -> None:
    """Switch to WAL. Two processes creating a new database at once can get SQLITE_BUSY here
    without SQLite's busy handler being called, so retry for a while (up to ~5 s)."""
    import time

    for attempt in range(attempts):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e) or attempt == attempts - 1:
                raise
            time.sleep(0.05)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT; ROLLBACK on any exception.

    Inside an open transaction it joins it: the outermost block commits, so a
    service can record a letter, its number and the case event as one unit.
    """
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def ensure_schema(conn: sqlite3.Connection, ddl: str) -> None:
    """Create tables idempotently (the DDL uses IF NOT EXISTS)."""
    with transaction(conn):
        for statement in ddl.split(";"):
            if statement.strip():
                conn.execute(statement)
