"""The benchmark's letters: one office, four signatories with demo keys, 200 distinct replies.

Everything is built in a fresh ``NASKAH_HOME`` the way an office would set it up: the shipped
Pangkalpinang profile, copied under ``$NASKAH_HOME/offices/`` with a key for the Sub Koordinator
too, so that the reply carries three paraf (Sub Koordinator, Kabid, Sekretaris) and the TTE of
the Kepala Dinas; a demo PKI (RSA-2048 signatories) made by ``Naskah.create_demo_keys``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from correspondence.catalog import SHIPPED_OFFICES, load_office_named, template_file
from correspondence.complaint import Complainant, Complaint
from correspondence.documents import render_docx
from correspondence.drafting import build_context
from correspondence.office import Office
from correspondence.services import Naskah, _signatory
from signatures.appearance import StampSettings
from signatures.route import Route, RouteStep

OFFICE = "pangkalpinang"
PASSPHRASE = "bench-passphrase"
ROUTE_ROLES = (("paraf", "subkoor"), ("paraf", "kabid_wasdal"), ("paraf", "sekretaris"), ("tte", "kadis"))
TEMPLATE = "surat_jawaban.docx"
KKA = "000.8.3.4"
START = datetime(2026, 3, 2, 9, 0)

SUBJECTS = ["Izin usaha belum terbit", "Antrian layanan perizinan terlalu lama", "Pungutan di loket pelayanan",
            "Upah di bawah UMK", "Lembur tidak dibayar", "Reklame tanpa izin di trotoar", "Bangunan melanggar garis sempadan",
            "Petugas tidak ramah", "Persyaratan izin tidak jelas", "Sistem OSS tidak dapat diakses"]
NAMES = ["Budi Santoso", "Siti Aminah", "Agus Salim", "Dewi Lestari", "Rina Wulandari", "Hendra Wijaya", "Maria Ulfa",
         "Yusuf Hamdani", "Ketut Arsana", "Lim Hwa Ng"]
SENTENCES = [
    "Bersama ini kami sampaikan bahwa pengaduan Saudara telah kami terima dan telah ditindaklanjuti.",
    "Tim Lapangan telah memeriksa lokasi usaha dan hasilnya sesuai dengan ketentuan tata ruang.",
    "Permohonan Saudara sedang diproses sesuai standar pelayanan yang berlaku.",
    "Kami telah berkoordinasi dengan Bidang Pelayanan untuk mempercepat verifikasi teknis.",
    "Pemberi kerja telah dipanggil untuk klarifikasi mengenai pembayaran upah lembur.",
    "Petugas yang bersangkutan telah diberikan pembinaan oleh atasan langsung.",
    "Izin usaha Saudara akan diterbitkan paling lambat 3 (tiga) hari kerja sejak surat ini.",
    "Apabila masih terdapat kendala, Saudara dapat menghubungi loket pengaduan pada jam kerja.",
]


@dataclass(frozen=True)
class Bench:
    """A prepared NASKAH_HOME: the office, the route and where the keys are."""

    home: Path
    office: Office
    route: Route
    settings: StampSettings
    keys: dict[str, Path]  # official id -> .p12
    ca: Path


def make_home(home: Path) -> Bench:
    """A fresh NASKAH_HOME with the bench office and its demo PKI (idempotent); then :func:`open_home`."""
    profile = yaml.safe_load((SHIPPED_OFFICES / OFFICE / "office.yaml").read_text(encoding="utf-8"))
    for official in profile["officials"]:
        if official["id"] == "subkoor":
            official["certificate"] = f"keys/{OFFICE}/subkoor.pem"
            official["key"] = f"keys/{OFFICE}/subkoor.p12"
    target = home / "offices" / OFFICE / "office.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(profile, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with Naskah(home) as naskah:
        if not naskah.has_keys(OFFICE):
            naskah.create_demo_keys(OFFICE, PASSPHRASE)
    return open_home(home)


def open_home(home: Path) -> Bench:
    """The bench office of a home :func:`make_home` prepared (reads only)."""
    office = load_office_named(OFFICE, home)
    settings = StampSettings(footer=office.signing.footer, paraf_visible=office.signing.paraf_visible,
                             verify_url=office.signing.verify_url)
    route = Route(tuple(RouteStep(kind, _signatory(office.official(oid))) for kind, oid in ROUTE_ROLES))
    keys = {oid: home / "keys" / OFFICE / f"{oid}.p12" for _, oid in ROUTE_ROLES}
    return Bench(home, office, route, settings, keys, home / "keys" / OFFICE / "ca.pem")


def complaint(i: int) -> Complaint:
    rnd = random.Random(i)
    who = Complainant(anonymous=True) if i % 7 == 0 else Complainant(name=rnd.choice(NAMES), address="Jl. Mentok No. 12, Pangkalpinang")
    return Complaint(
        register=f"{i + 1:04d}/PGD/DPMPTSP-NAKER/2026", office=OFFICE, sop=OFFICE, channel="email",
        received_at=START + timedelta(hours=i), complainant=who, subject=rnd.choice(SUBJECTS),
        content=" ".join(rnd.sample(SENTENCES, 3)),
    )


def letter_docx(bench: Bench, i: int, *, nomor: str = "") -> bytes:
    """Reply letter number ``i`` rendered from the shipped template (docxtpl), as Naskah drafts it."""
    rnd = random.Random(1000 + i)
    c = complaint(i)
    body = {"isi": "\n".join(rnd.sample(SENTENCES, 4)),
            "penutup": "Demikian kami sampaikan, atas perhatiannya kami ucapkan terima kasih."}
    office = bench.office
    context = build_context(office=office, complaint=c, signer=office.official("kadis"), data={"body": body},
                            hal="Jawaban Pengaduan", nomor=nomor, tanggal=c.received_at.date() if nomor else None,
                            today=c.received_at, version=1)
    return render_docx(template_file(office, TEMPLATE), context)
