"""A fifth office defined only by files in tests/data: other actors, names, numbering and limits,
run end to end with no Python written for it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from correspondence.complaint import Complainant
from correspondence.services import Naskah

DATA = Path(__file__).parent / "data" / "dlh-contoh"
PASS = b"kantor-kelima"
KAJIAN = {"body": {"kepada": "Kepala Dinas", "dari": "Kabid Penaatan", "persoalan": "Bau limbah", "praanggapan": "-",
                   "fakta": "Sampel air diambil", "analisis": "Melebihi baku mutu", "kesimpulan": "Perlu teguran",
                   "saran": "Teguran tertulis"}}


@pytest.fixture(scope="module")
def naskah(tmp_path_factory):
    home = tmp_path_factory.mktemp("fifth")
    shutil.copytree(DATA, home / "offices" / "dlh-contoh")
    service = Naskah(home)
    service.create_demo_keys("dlh-contoh", PASS.decode())
    yield service
    service.close()


def register(naskah: Naskah) -> str:
    return naskah.register_complaint(
        "dlh-contoh", received_by="loket", channel="website", complainant=Complainant(name="Yohanes"),
        subject="Limbah pabrik tahu", content="Air sungai berbau sejak seminggu.",
    ).register


def test_sop_and_limits_come_from_the_files(naskah):
    office = naskah.office("dlh-contoh")
    sop = naskah.sop_of(office)
    assert [s.id for s in sop.steps] == list("ABCDEFGH")
    assert str(sop.step("C").time_limit) == "3 hari kerja" and str(sop.step("A").time_limit) == "30 menit"
    assert str(sop.limits[0].limit) == "10 hari kerja"


def test_incomplete_complaint_ends_at_verification(naskah):
    reg = register(naskah)
    assert re.fullmatch(r"ADU-\d{4}-\d{5}", reg)
    naskah.act(reg, "loket", choice="tidak", data={"note": "Identitas dan lokasi tidak lengkap"})
    view = naskah.view(reg)
    assert view.state.closed and {d.doc_key for d in view.documents} == {"tanda_terima"}


def test_full_route_with_return_signed_in_order(naskah, tmp_path):
    reg = register(naskah)
    naskah.act(reg, "loket", choice="ya")
    naskah.act(reg, "kabid", data=KAJIAN)
    naskah.act(reg, "kabid", data={"body": {"isi": "Kami akan menegur pelaku usaha."}})
    naskah.paraf(reg, "kasubag", PASS)
    naskah.return_draft(reg, "kabid", "Sebutkan jadwal pengambilan sampel ulang")
    naskah.act(reg, "kabid", data={"body": {"isi": "Kami akan menegur pelaku usaha dan mengambil sampel ulang."}})
    naskah.paraf(reg, "kasubag", PASS)
    naskah.paraf(reg, "kabid", PASS)
    nomor = naskah.sign(reg, "kadis", PASS).nomor
    naskah.act(reg, "loket", data={"note": "Dikirim melalui pos"})
    assert re.fullmatch(r"600\.4/\d{3}/DLH/\d{2}/\d{4}", nomor)
    letter = naskah.archive.read(nomor)
    report = naskah.verify(letter, "dlh-contoh")
    assert report.ok, report.to_text()
    assert [s.official_id for s in report.signatures] == ["kasubag", "kabid", "kadis"]
    path = tmp_path / "jawaban.pdf"
    path.write_bytes(letter)
    assert subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout.count("Signature is Valid") == 3
    view = naskah.view(reg)
    assert view.state.closed
    assert {d.version for d in view.documents if d.doc_key == "jawaban"} == {1, 2}


def test_two_offices_with_the_same_agenda_numbers_are_refused_clearly(naskah):
    twin = naskah.home / "offices" / "dlh-kembar"
    shutil.copytree(DATA, twin)
    (twin / "office.yaml").write_text((DATA / "office.yaml").read_text().replace("id: dlh-contoh", "id: dlh-kembar"))
    register(naskah)  # dlh-contoh has ADU-<year>-00001 at least
    from correspondence.errors import ConfigError

    before = len(naskah.complaints())
    with pytest.raises(ConfigError, match="distinct numbering"):  # dlh-kembar's first number is the same string
        naskah.register_complaint("dlh-kembar", received_by="loket", channel="website",
                                  complainant=Complainant(anonymous=True), subject="s", content="c")
    assert len(naskah.complaints()) == before
