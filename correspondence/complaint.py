"""A complaint (pengaduan) as received: who, through which channel, what about."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .errors import InvalidInput
from .sop import CHANNELS


@dataclass(frozen=True)
class Complainant:
    """The complainant (pengadu); an anonymous one carries no identity at all."""

    anonymous: bool = False
    name: str = ""
    nik: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""

    def __post_init__(self) -> None:
        if self.anonymous and any((self.name, self.nik, self.address, self.phone, self.email)):
            raise InvalidInput("an anonymous complaint must not carry a name, NIK, address, phone or email")
        if not self.anonymous and not self.name.strip():
            raise InvalidInput("give the complainant's name, or register the complaint as anonymous")

    @property
    def display_name(self) -> str:
        return "Anonim" if self.anonymous else self.name


@dataclass(frozen=True)
class Attachment:
    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Complaint:
    register: str
    office: str
    sop: str
    channel: str
    received_at: datetime
    complainant: Complainant
    subject: str
    content: str
    lapor_id: str = ""
    attachments: tuple[Attachment, ...] = field(default=())

    @property
    def channel_label(self) -> str:
        return CHANNELS.get(self.channel, self.channel)


def check_intake(channel: str, allowed: tuple[str, ...], subject: str, content: str) -> None:
    """Raise InvalidInput unless the complaint can be registered under the SOP."""
    if channel not in allowed:
        labels = ", ".join(allowed)
        raise InvalidInput(f"channel '{channel}' is not one this SOP receives; use one of: {labels}")
    if not subject.strip():
        raise InvalidInput("the complaint needs a subject (hal/ringkasan)")
    if not content.strip():
        raise InvalidInput("the complaint needs its content (isi aduan)")
