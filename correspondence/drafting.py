"""Template contexts: what a DOCX template sees (vocabulary in docs/templates.md).

Pure: builds plain dicts from the office, the complaint, the official and the
data a step's actor supplied. Rendering and conversion happen in the services.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from .complaint import Complaint
from .errors import InvalidInput
from .office import Office, Official

LETTER_KEYS = {"nomor", "tanggal", "sifat", "lampiran", "hal", "kepada", "tembusan"}
DATA_KEYS = {"letter", "body", "note", "attachments"}


def person(official: Official) -> dict[str, str]:
    return {
        "id": official.id,
        "name": official.name,
        "nip": official.nip,
        "pangkat": official.pangkat_golongan,
        "jabatan": official.jabatan,
    }


def office_context(office: Office) -> dict[str, Any]:
    logo = office.logo_path
    return {
        "government": office.government,
        "name": office.name,
        "short_name": office.short_name,
        "unit": office.unit,
        "address": office.address,
        "city": office.city,
        "zona_waktu": office.zona_waktu,
        "phone": office.contacts.phone,
        "fax": office.contacts.fax,
        "email": office.contacts.email,
        "website": office.contacts.website,
        "logo": str(logo) if logo is not None else None,
        "tte_footer": office.signing.footer,
    }


def complaint_context(complaint: Complaint) -> tuple[dict[str, Any], dict[str, Any]]:
    who = complaint.complainant
    complainant = {
        "anonymous": who.anonymous,
        "name": who.name,
        "display_name": who.display_name,
        "nik": who.nik,
        "address": who.address,
        "phone": who.phone,
        "email": who.email,
    }
    return (
        {
            "register": complaint.register,
            "received": complaint.received_at,
            "channel": complaint.channel_label,
            "subject": complaint.subject,
            "content": complaint.content,
            "attachments": [a.name for a in complaint.attachments],
            "lapor_id": complaint.lapor_id,
        },
        complainant,
    )


def check_step_data(data: dict[str, Any], source: str) -> None:
    """Refuse unknown keys in a step's data file, naming the key and the fix."""
    unknown = set(data) - DATA_KEYS
    if unknown:
        raise InvalidInput(f"{source}: unknown key(s) {sorted(unknown)}; allowed: {sorted(DATA_KEYS)}")
    letter = data.get("letter", {})
    if not isinstance(letter, dict):
        raise InvalidInput(f"{source}: 'letter' must be a mapping of {sorted(LETTER_KEYS)}")
    unknown = set(letter) - LETTER_KEYS
    if unknown:
        raise InvalidInput(f"{source}: unknown key(s) under 'letter': {sorted(unknown)}; allowed: {sorted(LETTER_KEYS)}")
    if not isinstance(data.get("body", {}), dict):
        raise InvalidInput(f"{source}: 'body' must be a mapping of the document's fields (see docs/templates.md)")


def _expand_officials(value: Any, office: Office) -> Any:
    """Lists may name officials by id; they become person dicts for the template."""
    ids = {o.id for o in office.officials}
    if isinstance(value, list):
        return [person(office.official(v)) if isinstance(v, str) and v in ids else _expand_officials(v, office) for v in value]
    if isinstance(value, dict):
        return {k: _expand_officials(v, office) for k, v in value.items()}
    return value


def _dates(value: Any) -> Any:
    """YAML gives ISO date strings sometimes; templates want real dates for the date filters."""
    if isinstance(value, dict):
        return {k: _dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates(v) for v in value]
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def build_context(
    *,
    office: Office,
    complaint: Complaint,
    signer: Official | None,
    data: dict[str, Any],
    hal: str,
    nomor: str = "",
    tanggal: date | None = None,
    today: datetime,
    version: int = 1,
) -> dict[str, Any]:
    complaint_ctx, complainant_ctx = complaint_context(complaint)
    given = dict(data.get("letter", {}))
    default_to = [f"Sdr./Sdri. {complainant_ctx['display_name']}"]
    if complainant_ctx["address"]:
        default_to.append(complainant_ctx["address"])
    letter = {
        "nomor": nomor,
        "tanggal": tanggal,
        "sifat": given.get("sifat", "Biasa"),
        "lampiran": given.get("lampiran", "-"),
        "hal": given.get("hal", hal),
        "kepada": list(given.get("kepada", default_to)),
        "tembusan": list(given.get("tembusan", [])),
        "version": version,
    }
    return {
        "office": office_context(office),
        "complaint": complaint_ctx,
        "complainant": complainant_ctx,
        "letter": letter,
        "signer": person(signer) if signer is not None else {"id": "", "name": "", "nip": "", "pangkat": "", "jabatan": ""},
        "body": _dates(_expand_officials(dict(data.get("body", {})), office)),
        "today": today.date(),
    }
