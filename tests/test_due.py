"""Due times of real registered complaints with a fixed clock: the step each waits at, the SOP's
overall limit and the office's SP4N-LAPOR! limits, per official and per complaint, through the
service and through ``naskah due --json`` (with NASKAH_NOW). Real LibreOffice for the documents."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from clitools import run_naskah
from correspondence.catalog import SHIPPED_OFFICES
from correspondence.complaint import Complainant
from correspondence.deadlines import ComplaintTiming, complaint_timing
from correspondence.office import load_office
from correspondence.services import Naskah

WIB = timezone(timedelta(hours=7), "WIB")
WITA = timezone(timedelta(hours=8), "WITA")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 20, 8, 0)

    def set(self, text: str) -> None:
        self.now = datetime.fromisoformat(text)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def naskah(tmp_path_factory, clock):
    service = Naskah(tmp_path_factory.mktemp("due"), clock=clock)
    yield service
    service.close()


def demo_data(office: str, step: str) -> dict:
    actions = yaml.safe_load((SHIPPED_OFFICES / office / "demo.yaml").read_text(encoding="utf-8"))["actions"]
    return next(a for a in actions if str(a["step"]) == step).get("data", {})


def entry(naskah: Naskah, register: str) -> dict:
    found = [c for c in naskah.due().to_dict()["complaints"] if c["register"] == register]
    assert len(found) == 1, f"{register} not listed"
    return found[0]


def limits(item: dict) -> list[tuple]:
    return [(l["limit"], l["source"], l["start"], l["due"], l["met"], l["status"]) for l in item["limits"]]


def register(naskah: Naskah, office: str, received_by: str, channel: str, **extra) -> str:
    return naskah.register_complaint(office, received_by=received_by, channel=channel,
                                     complainant=Complainant(name="Budi Santoso"), subject="Izin usaha belum terbit",
                                     content="Sudah tiga minggu belum ada kabar.", **extra).register


def test_lapor_complaint_in_pangkalpinang(naskah, clock):
    clock.set("2026-11-20T15:00")  # a Friday afternoon
    reg = register(naskah, "pangkalpinang", "staf", "lapor", lapor_id="5318274")
    clock.set("2026-11-23T09:00")
    item = entry(naskah, reg)
    assert item["received"] == "2026-11-20T15:00:00+07:00" and item["status"] == "on_time"
    assert item["waiting"]["step"] == "2" and item["waiting"]["officials"] == ["subkoor"]
    assert item["waiting"]["entered"] == "2026-11-20T15:00:00+07:00" and item["waiting"]["status"] == "no_limit"
    assert limits(item) == [
        ("6 hari", "sop", "2026-11-20T15:00:00+07:00", "2026-11-26T23:59:59+07:00", None, "on_time"),
        ("3 hari kerja", "office", "2026-11-20T15:00:00+07:00", "2026-11-25T16:00:00+07:00", None, "on_time"),
        ("5 hari kerja", "office", None, None, None, "not_started"),
        ("10 hari kerja", "office", None, None, None, "not_started"),
    ]
    naskah.act(reg, "subkoor", data=demo_data("pangkalpinang", "2"))
    clock.set("2026-11-24T10:00")
    naskah.act(reg, "kabid_wasdal", data=demo_data("pangkalpinang", "3"))
    clock.set("2026-11-25T13:00")  # three hours before the LAPOR! forwarding is due
    item = entry(naskah, reg)
    assert item["status"] == "due_soon" and item["waiting"]["step"] == "4"
    assert item["waiting"]["entered"] == "2026-11-24T10:00:00+07:00"
    assert [l["status"] for l in item["limits"]] == ["due_soon", "due_soon", "not_started", "not_started"]
    clock.set("2026-11-25T17:00")  # the Kepala Dinas disposes after closing time: an hour late
    naskah.act(reg, "kadis", choice="tidak", data=demo_data("pangkalpinang", "4"))
    clock.set("2026-11-27T09:00")
    item = entry(naskah, reg)
    assert item["status"] == "overdue"
    assert item["waiting"]["step"] == "8" and item["waiting"]["entered"] == "2026-11-25T17:00:00+07:00"
    assert limits(item) == [
        ("6 hari", "sop", "2026-11-20T15:00:00+07:00", "2026-11-26T23:59:59+07:00", None, "overdue"),
        ("3 hari kerja", "office", "2026-11-20T15:00:00+07:00", "2026-11-25T16:00:00+07:00",
         "2026-11-25T17:00:00+07:00", "met_late"),
        # starts after closing on Wednesday: counted from Thursday; 27, 30 Nov, 1, 2, 3 Dec
        ("5 hari kerja", "office", "2026-11-25T17:00:00+07:00", "2026-12-03T16:00:00+07:00", None, "on_time"),
        ("10 hari kerja", "office", None, None, None, "not_started"),
    ]
    assert complaint_timing(naskah, reg) == ComplaintTiming(
        reg, datetime(2026, 11, 20, 15, 0, tzinfo=WIB), None, datetime(2026, 11, 26, 23, 59, 59, tzinfo=WIB), False, None)
    mine = naskah.due(official_id="subkoor").to_dict()
    assert [o["official"] for o in mine["officials"]] == ["subkoor"]
    assert reg in [s["register"] for s in mine["officials"][0]["open"]]
    assert reg not in [c["register"] for c in naskah.due(official_id="kabid_wasdal").to_dict()["complaints"]]


def test_padang_hours_run_in_office_time(naskah, clock):
    clock.set("2026-11-20T15:45")  # Friday; the office closes at 16:30
    reg = register(naskah, "padang", "admin", "lapor", lapor_id="5318999")
    for now, status in (("2026-11-20T16:00", "on_time"), ("2026-11-23T07:40", "due_soon"), ("2026-11-23T09:00", "overdue")):
        clock.set(now)
        waiting = entry(naskah, reg)["waiting"]
        # 45 minutes on Friday, 15 on Monday morning
        assert (waiting["step"], waiting["limit"], waiting["due"], waiting["status"]) == (
            "2", "1 jam", "2026-11-23T07:45:00+07:00", status), now
    report = naskah.due(office_name="padang")
    assert [o.official for o in report.officials] == ["admin"]
    assert "OVERDUE" in report.to_text()
    naskah.act(reg, "admin", data={"note": "dicetak dan diagendakan"})
    item = entry(naskah, reg)
    assert (item["waiting"]["step"], item["waiting"]["due"]) == ("3", "2026-11-24T23:59:59+07:00")  # 1 hari
    assert limits(item)[0][3] == "2026-11-25T16:00:00+07:00"  # LAPOR!: forwarded within 3 hari kerja


def walk_dharmasraya(naskah: Naskah, clock: Clock, finish_at: str | None) -> str:
    clock.set("2026-12-16T10:00")
    reg = register(naskah, "dharmasraya", "petugas", "telepon", choice="lisan")
    clock.set("2026-12-17T09:00")
    naskah.act(reg, "petugas", data={"note": "diterima"})
    naskah.act(reg, "petugas", choice="ya", data={"note": "dijelaskan"})
    if finish_at is None:
        return reg
    naskah.act(reg, "petugas", choice="selesai", data={"body": {"oleh": "Petugas", "pernyataan": "Puas",
                                                               "penyelesaian": "Izin telah terbit.", "alasan": ""}})
    clock.set(finish_at)
    naskah.act(reg, "petugas", data={"note": "dicatat"})
    return reg


def test_dharmasraya_14_working_days_across_natal_and_the_year_end(naskah, clock):
    # 14 hari kerja from Wednesday 16 December 2026: 24-25 Dec, 1 Jan and 5 Jan 2027 are off -> 11 Jan 16:00.
    on_time = walk_dharmasraya(naskah, clock, "2027-01-11T16:00")
    late = walk_dharmasraya(naskah, clock, "2027-01-11T16:05")  # after closing: counts as the 12th
    still_open = walk_dharmasraya(naskah, clock, None)
    due = datetime(2027, 1, 11, 16, 0, tzinfo=WIB)
    clock.set("2027-01-11T16:00")
    assert complaint_timing(naskah, on_time) == ComplaintTiming(
        on_time, datetime(2026, 12, 16, 10, 0, tzinfo=WIB), due, due, True, 14)
    assert complaint_timing(naskah, late) == ComplaintTiming(
        late, datetime(2026, 12, 16, 10, 0, tzinfo=WIB), datetime(2027, 1, 11, 16, 5, tzinfo=WIB), due, False, 15)
    assert complaint_timing(naskah, still_open).on_time is None  # due now, not yet late
    clock.set("2027-01-11T16:01")
    assert complaint_timing(naskah, still_open).on_time is False
    listed = [c["register"] for c in naskah.due().to_dict()["complaints"]]
    assert still_open in listed and on_time not in listed and late not in listed  # closed, no window running


def test_wita_office_with_an_aware_clock(naskah, clock):
    clock.now = datetime(2026, 11, 20, 8, 28, tzinfo=timezone.utc)  # 16:28 WITA, Friday
    reg = register(naskah, "kutai-kartanegara", "kasi", "website")
    waiting = entry(naskah, reg)["waiting"]
    assert (waiting["entered"], waiting["limit"], waiting["due"]) == (
        "2026-11-20T16:28:00+08:00", "5 menit", "2026-11-20T16:33:00+08:00")  # menit: wall clock
    clock.now = datetime(2026, 11, 20, 16, 30, tzinfo=WITA)
    naskah.act(reg, "kasi", choice="ya")
    clock.now = datetime(2026, 11, 20, 16, 45, tzinfo=WITA)
    item = entry(naskah, reg)
    assert (item["waiting"]["step"], item["waiting"]["due"], item["status"]) == ("3", "2026-11-20T16:40:00+08:00", "overdue")
    assert complaint_timing(naskah, reg).received.utcoffset() == timedelta(hours=8)
    # recorded as the office's wall time (WITA), not the server's UTC
    assert naskah.cases.history(reg)[0].at.startswith("2026-11-20T16:28")
    assert [e.at[:16] for e in naskah.cases.history(reg)][1] == "2026-11-20T16:30"


# -- the command line ------------------------------------------------------------------------------
def test_naskah_due_json_for_a_registered_complaint(tmp_path):
    home = tmp_path / "home"
    made = run_naskah(home, "complaint", "register", "--office", "padang", "--as", "admin", "--channel", "lapor",
                      "--lapor-id", "5318274", "--subject", "Upah di bawah UMK", "--content", "Upah dibayar di bawah UMK.",
                      "--name", "Siti Rahma", env={"NASKAH_NOW": "2026-11-20T15:45"})
    assert made.returncode == 0, made.stderr
    reg = made.stdout.strip().splitlines()[-1]
    shown = run_naskah(home, "due", "--json", env={"NASKAH_NOW": "2026-11-23T09:00"})
    assert shown.returncode == 0, shown.stderr
    waiting = {"register": reg, "office": "padang", "subject": "Upah di bawah UMK", "step": "2",
               "step_name": "Mencetak, mengagendakan dan mengajukan ke Sekretaris", "role": "admin",
               "officials": ["admin"], "revising": False, "entered": "2026-11-20T15:45:00+07:00", "limit": "1 jam",
               "due": "2026-11-23T07:45:00+07:00", "status": "overdue"}
    lapor = "ketentuan SP4N-LAPOR!"
    admin = load_office(SHIPPED_OFFICES / "padang" / "office.yaml").official("admin")
    assert json.loads(shown.stdout) == {
        "now": "2026-11-23T09:00:00",
        "officials": [{"official": "admin", "name": admin.name, "jabatan": admin.jabatan,
                       "office": "padang", "open": [waiting]}],
        "complaints": [{
            "register": reg, "office": "padang", "sop": "padang", "channel": "lapor", "lapor_id": "5318274",
            "subject": "Upah di bawah UMK", "received": "2026-11-20T15:45:00+07:00", "finished": None,
            "status": "overdue", "waiting": waiting,
            "limits": [
                {"name": f"Verifikasi dan penerusan laporan LAPOR! ({lapor})", "limit": "3 hari kerja",
                 "source": "office", "from": "diterima", "until": "3", "start": "2026-11-20T15:45:00+07:00",
                 "due": "2026-11-25T16:00:00+07:00", "met": None, "status": "on_time"},
                {"name": f"Tindak lanjut laporan LAPOR! dirumuskan ({lapor})", "limit": "5 hari kerja",
                 "source": "office", "from": "3", "until": "selesai", "start": None, "due": None, "met": None,
                 "status": "not_started"},
                {"name": f"Laporan LAPOR! ditutup bila pelapor tidak menanggapi tindak lanjut ({lapor})",
                 "limit": "10 hari kerja", "source": "office", "from": "selesai", "until": None, "start": None,
                 "due": None, "met": None, "status": "not_started"},
            ]}],
        "notes": [],
    }
    text = run_naskah(home, "due", "--official", "admin", env={"NASKAH_NOW": "2026-11-23T09:00"})
    assert f"{reg}  step 2 " in text.stdout and "due 2026-11-23 07:45 WIB  OVERDUE" in text.stdout
    unknown = run_naskah(home, "due", "--office", "padang", "--official", "nobody")
    assert unknown.returncode == 2 and "no official 'nobody' in office 'padang'" in unknown.stderr


def test_a_bad_naskah_now_is_refused_and_writes_nothing(tmp_path):
    home = tmp_path / "home"
    bad = run_naskah(home, "complaint", "register", "--office", "padang", "--as", "admin", "--channel", "lapor",
                     "--subject", "x", "--content", "y", "--anonymous", env={"NASKAH_NOW": "kemarin sore"})
    assert bad.returncode == 2 and "NASKAH_NOW='kemarin sore' is not a date and time" in bad.stderr
    assert run_naskah(home, "complaint", "list").stdout == ""


def test_an_office_limit_on_a_missing_step_is_a_config_error(tmp_path):
    home = tmp_path / "home"
    own = home / "offices" / "padang"
    own.mkdir(parents=True)
    text = (SHIPPED_OFFICES / "padang" / "office.yaml").read_text(encoding="utf-8")
    (own / "office.yaml").write_text(text.replace("    until: 3 ", "    until: 99 ", 1), encoding="utf-8")
    shutil.copy(SHIPPED_OFFICES / "padang" / "demo.yaml", own / "demo.yaml")
    made = run_naskah(home, "complaint", "register", "--office", "padang", "--as", "admin", "--channel", "lapor",
                      "--subject", "x", "--content", "y", "--anonymous")
    assert made.returncode == 0, made.stderr
    shown = run_naskah(home, "due")
    assert shown.returncode == 3
    assert "limits[0].until': '99' is neither 'diterima', 'selesai' nor a step of SOP 'padang'" in shown.stderr
