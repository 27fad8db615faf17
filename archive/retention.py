"""Retention (jadwal retensi arsip, JRA): which filed letters are due for transfer or for their fate.

The KKA table is data: ``archive/kka.yaml`` is shipped; an office adds or overrides
entries with files of the same format (``$NASKAH_HOME/kka.yaml``, a ``kka.yaml``
next to its ``office.yaml``), later files winning. A letter's KKA takes the entry
with the longest matching code, matched on whole segments ("500.16" covers
"500.16.2.1", not "500.161").

Periods are counted from the letter's date (``letters.tanggal``): after ``active``
years it is due for transfer to the records centre (arsip inaktif); after
``active + inactive`` years its fate applies (Musnah, Permanen, Dinilai Kembali).
JRA practice counts from when the file is closed; an office that closes files
later sees them due early, never late. Numbers taken for letters made outside
Naskah have no filed copy here and are not listed.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from .errors import KkaTableError

SHIPPED = Path(__file__).resolve().with_name("kka.yaml")
FATES = ("Musnah", "Permanen", "Dinilai Kembali")
SCHEMA_ID = "naskah/kka/1"
_CODE = re.compile(r"^\d{3}(\.\d+)*$")
_KEYS = {"code", "name", "active", "inactive", "fate", "note"}


@dataclass(frozen=True)
class KkaRule:
    code: str
    name: str
    active: int
    inactive: int
    fate: str
    note: str = ""
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class KkaTable:
    rules: dict[str, KkaRule] = field(default_factory=dict)

    def match(self, kka: str) -> KkaRule | None:
        """The rule with the longest code that is ``kka`` or a whole-segment prefix of it."""
        kka = kka.strip()
        best: KkaRule | None = None
        for code, rule in self.rules.items():
            if (kka == code or kka.startswith(code + ".")) and (best is None or len(code) > len(best.code)):
                best = rule
        return best

    def merged(self, other: "KkaTable") -> "KkaTable":
        return KkaTable({**self.rules, **other.rules})


def read_table(path: Path) -> KkaTable:
    """One KKA file; every fault is a KkaTableError naming the file and the entry."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KkaTableError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KkaTableError(f"{path}: cannot be read ({exc})") from None
    except yaml.YAMLError as exc:
        raise KkaTableError(f"{path}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(raw, dict) or raw.get("schema") != SCHEMA_ID or not isinstance(raw.get("entries"), list):
        raise KkaTableError(f"{path}: expected 'schema: {SCHEMA_ID}' and a list 'entries:'")
    extra = set(raw) - {"schema", "entries"}
    if extra:
        raise KkaTableError(f"{path}: unknown key(s) {sorted(extra)}; allowed: schema, entries")
    rules: dict[str, KkaRule] = {}
    for index, entry in enumerate(raw["entries"]):
        where = f"{path}: entries[{index}]"
        if not isinstance(entry, dict):
            raise KkaTableError(f"{where}: expected a mapping with code, name, active, inactive, fate")
        unknown = set(entry) - _KEYS
        if unknown:
            raise KkaTableError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {', '.join(sorted(_KEYS))}")
        missing = {"code", "name", "active", "inactive", "fate"} - set(entry)
        if missing:
            raise KkaTableError(f"{where}: missing key(s) {sorted(missing)}")
        code = entry["code"]
        if not isinstance(code, str):
            raise KkaTableError(f'{where}: key \'code\': write the KKA in quotes, e.g. code: "{code}" '
                                "(unquoted, YAML reads it as a number and drops zeros)")
        if not _CODE.match(code.strip()):
            raise KkaTableError(f"{where}: key 'code': '{code}' is not a KKA (three digits, then .digits, e.g. 000.8.3.4)")
        for key in ("active", "inactive"):
            value = entry[key]
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
                raise KkaTableError(f"{where} ({code}): key '{key}': a whole number of years (0-100), got {value!r}")
        if entry["fate"] not in FATES:
            raise KkaTableError(f"{where} ({code}): key 'fate': one of {', '.join(FATES)}, got {entry['fate']!r}")
        code = code.strip()
        if code in rules:
            raise KkaTableError(f"{where}: code {code} appears twice in this file")
        rules[code] = KkaRule(code, str(entry["name"]).strip(), entry["active"], entry["inactive"], entry["fate"],
                              str(entry.get("note", "")).strip(), str(path))
    return KkaTable(rules)


def load_table(*overrides: Path | None) -> KkaTable:
    """The shipped table, then each override file that exists (later ones win)."""
    table = read_table(SHIPPED)
    for path in overrides:
        if path is not None and path.is_file():
            table = table.merged(read_table(path))
    return table


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class RetentionItem:
    office: str
    nomor: str
    tanggal: str
    kka: str
    hal: str
    stage: str            # 'transfer' (active period over) or 'fate' (inactive period over); 'unclassified'
    due: str              # the date the stage was reached ('' when unclassified)
    fate: str             # the rule's fate, or '' when no rule matches
    rule: str = ""        # the KKA code of the rule applied
    rule_name: str = ""
    transfer_due: str = ""
    fate_due: str = ""

    @property
    def action(self) -> str:
        if self.stage == "transfer":
            return "pindahkan ke arsip inaktif (pusat arsip)"
        if self.stage == "fate":
            return {"Musnah": "musnahkan (berita acara pemusnahan)",
                    "Permanen": "serahkan ke lembaga kearsipan daerah (permanen)",
                    "Dinilai Kembali": "nilai kembali"}[self.fate]
        return "tidak ada JRA untuk KKA ini: tambahkan ke kka.yaml"

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "action": self.action}


def due(conn: sqlite3.Connection, *, at: date, table_for: Callable[[str], KkaTable],
        offices: Iterable[str] | None = None) -> list[RetentionItem]:
    """Letters whose active or inactive period is over at ``at`` (and those with no rule), oldest first."""
    query, args = "SELECT office, nomor, tanggal, kka, hal FROM letters", []
    if offices is not None:
        wanted = list(offices)
        query += f" WHERE office IN ({','.join('?' * len(wanted))})"
        args = wanted
    tables: dict[str, KkaTable] = {}
    items: list[RetentionItem] = []
    for row in conn.execute(query + " ORDER BY tanggal, office, nomor", args):
        if row["office"] not in tables:
            tables[row["office"]] = table_for(row["office"])
        rule = tables[row["office"]].match(row["kka"])
        base = dict(office=row["office"], nomor=row["nomor"], tanggal=row["tanggal"], kka=row["kka"], hal=row["hal"])
        if rule is None:
            items.append(RetentionItem(**base, stage="unclassified", due="", fate=""))
            continue
        written = date.fromisoformat(row["tanggal"])
        transfer = add_years(written, rule.active)
        final = add_years(written, rule.active + rule.inactive)
        if at >= final:
            stage, when = "fate", final
        elif at >= transfer:
            stage, when = "transfer", transfer
        else:
            continue
        items.append(RetentionItem(**base, stage=stage, due=when.isoformat(), fate=rule.fate, rule=rule.code,
                                   rule_name=rule.name, transfer_due=transfer.isoformat(), fate_due=final.isoformat()))
    return items
