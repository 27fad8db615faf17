"""Shared by the tests that use the real ``naskah`` command or a home where the demo has run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NASKAH = str(Path(sys.executable).with_name("naskah"))


def run_naskah(home: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None,
               timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``naskah`` with ``NASKAH_HOME=home``; a user-facing run must never show a traceback."""
    environment = {**os.environ, "NASKAH_HOME": str(home), **(env or {})}
    result = subprocess.run([NASKAH, *args], capture_output=True, text=True, env=environment, input=stdin,
                            timeout=timeout)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def demo_home(tmp_path_factory, name: str) -> tuple[Path, str, str]:
    """A fresh home where the Pangkalpinang demo has run: (home, register, nomor of the signed reply)."""
    from correspondence.demo import run_demo
    from correspondence.services import Naskah

    home = tmp_path_factory.mktemp(name)
    with Naskah(home) as service:
        register, signed = run_demo(service, "pangkalpinang", lambda line: None)
    return home, register, signed[0]


def advance_to_paraf(naskah, *, subject: str = "Uji urutan paraf",
                     content: str = "Isi aduan {{ 7*7 }} <w:p> & co") -> str:
    """An anonymous Pangkalpinang complaint walked (services, not the CLI) to the first paraf of
    its surat jawaban; returns its register."""
    from correspondence.complaint import Complainant

    report = naskah.register_complaint(
        "pangkalpinang", received_by="staf", channel="telepon", complainant=Complainant(anonymous=True),
        subject=subject, content=content,
    )
    reg = report.register
    naskah.act(reg, "subkoor", data={"body": {"kepada": "Kabid", "dari": "Subkoor", "persoalan": "p", "praanggapan": "p",
                                                "fakta": "f", "analisis": "a", "kesimpulan": "k", "saran": "s"}})
    naskah.act(reg, "kabid_wasdal", data={"note": "dianalisis"})
    naskah.act(reg, "kadis", choice="tidak", data={"body": {"sifat": "Segera", "diteruskan": [{"jabatan": "Subkoor", "utama": True}],
                                                            "instruksi": ["File"], "catatan": "c", "batas_waktu": "2026-11-30"}})
    naskah.act(reg, "subkoor", data={"body": {"isi": "Jawaban atas aduan.", "penutup": "Terima kasih."}})
    return reg
