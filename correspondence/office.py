"""Office profile: who the office is, who its officials are, how it numbers and signs.

An office profile is data (``office.yaml``); a new office needs no Python.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .config import Frozen, load_file
from .errors import ConfigError, NotAllowed

_NIP = re.compile(r"^\d{8} ?\d{6} ?\d ?\d{3}$")


class Contacts(Frozen):
    phone: str = ""
    fax: str = ""
    email: str = ""
    website: str = ""


class Official(Frozen):
    """An official (pejabat/pegawai) of the office and the SOP role they fill."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    nip: str
    pangkat: str = ""
    golongan: str = ""
    jabatan: str
    role: str
    certificate: str = ""  # public certificate (PEM), relative to NASKAH_HOME unless absolute
    key: str = ""  # PKCS#12 file, relative to NASKAH_HOME unless absolute

    @field_validator("nip", mode="before")
    @classmethod
    def _nip(cls, value: object) -> str:
        value = str(value) if isinstance(value, int) else value  # an unquoted NIP is a YAML number
        if not isinstance(value, str) or not _NIP.match(value):
            raise ValueError("a NIP has 18 digits, written like '19760123 200501 1 006'")
        return value

    @property
    def nip_digits(self) -> str:
        return value_digits(self.nip)

    @property
    def pangkat_golongan(self) -> str:
        return f"{self.pangkat} ({self.golongan})" if self.golongan else self.pangkat


def value_digits(text: str) -> str:
    return re.sub(r"\D", "", text)


class Numbering(Frozen):
    """How outgoing letters (nomor surat) and incoming complaints (nomor agenda) are numbered."""

    pattern: str = "{kka}/{urut}/{unit}/{tahun}"
    padding: int = Field(default=4, ge=0, le=8)
    unit: str
    agenda_pattern: str = "{urut}/PGD/{unit}/{tahun}"
    agenda_padding: int = Field(default=4, ge=0, le=8)
    # Optional: a document key (e.g. surat_tugas) or a KKA prefix (e.g. "800.1.11") -> series name.
    # Each series has its own counter per year; anything not named here is numbered in 'surat'.
    series: dict[str, str] = Field(default_factory=dict)

    @field_validator("series")
    @classmethod
    def _series(cls, value: dict[str, str]) -> dict[str, str]:
        for key, name in value.items():
            if not re.match(r"^([a-z][a-z0-9_]*|\d+(\.\d+)*)$", str(key)):
                raise ValueError(f"series key '{key}' is neither a document key (surat_tugas) nor a KKA prefix (\"800.1.11\")")
            if not re.match(r"^[a-z][a-z0-9_-]*$", name or ""):
                raise ValueError(f"series name '{name}' for '{key}': use lower-case letters, digits, '-' or '_'")
            if name == "agenda":
                raise ValueError("series name 'agenda' is the counter of incoming complaints; choose another")
        return value

    def series_for(self, *, doc_key: str | None = None, kka: str = "") -> str:
        """The series of a letter: its document key if named, else the longest matching KKA prefix, else 'surat'."""
        if doc_key and doc_key in self.series:
            return self.series[doc_key]
        best = ""
        for key in self.series:
            if key[0].isdigit() and (kka == key or kka.startswith(key + ".")) and len(key) > len(best):
                best = key
        return self.series[best] if best else "surat"


class Signing(Frozen):
    """TTE settings: footer wording printed with the stamp, paraf appearance, level."""

    footer: str
    paraf_visible: bool = False
    level: Literal["B-B"] = "B-B"
    verify_url: str = "naskah:verify/{ref}"


class Office(Frozen):
    """The office profile as loaded from ``office.yaml``."""

    schema_: Literal["naskah/office/1"] = Field(alias="schema")
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    government: str
    name: str
    short_name: str
    unit: str = ""
    address: str
    city: str
    zona_waktu: Literal["WIB", "WITA", "WIT"] = "WIB"
    contacts: Contacts = Contacts()
    logo: str = ""
    sop: str
    numbering: Numbering
    signing: Signing
    officials: tuple[Official, ...]
    source: Path | None = None

    @model_validator(mode="after")
    def _unique_officials(self) -> "Office":
        seen: set[str] = set()
        for official in self.officials:
            if official.id in seen:
                raise ValueError(f"official id '{official.id}' appears twice")
            seen.add(official.id)
        return self

    @property
    def logo_path(self) -> Path | None:
        if not self.logo:
            return None
        path = Path(self.logo)
        if path.is_absolute():
            return path
        if self.source is not None and (self.source.parent / path).is_file():
            return self.source.parent / path
        from letter_templates import TEMPLATE_DIR

        return TEMPLATE_DIR / "letterheads" / path

    def official(self, official_id: str) -> Official:
        for official in self.officials:
            if official.id == official_id:
                return official
        known = ", ".join(o.id for o in self.officials)
        raise NotAllowed(f"office '{self.id}' has no official '{official_id}' (known: {known})")

    def holders(self, role: str) -> list[Official]:
        return [o for o in self.officials if o.role == role]

    def holder(self, role: str) -> Official:
        found = self.holders(role)
        if not found:
            raise NotAllowed(f"office '{self.id}' has no official with role '{role}'")
        return found[0]

    @property
    def roles(self) -> set[str]:
        return {o.role for o in self.officials}


def load_office(path: Path) -> Office:
    office = load_file(Office, path)
    office = office.model_copy(update={"source": path})
    logo = office.logo_path
    if logo is not None and not logo.is_file():
        raise ConfigError(f"{path}: key 'logo': file {logo} not found (give a path relative to this file, or a file name in letter_templates/letterheads/)")
    return office
