"""SOP and office files: the shipped ones load; malformed ones are refused with file, key and hint."""

from pathlib import Path

import pytest

from correspondence.catalog import SHIPPED_OFFICES, SHIPPED_SOPS, load_office_named, load_sop_named
from correspondence.errors import ConfigError
from correspondence.office import load_office
from correspondence.sop import END, check_sop, load_sop

PANGKALPINANG_ROLES = {"kadis", "sekretaris", "kabid_wasdal", "subkoor_pengaduan", "staf_pengaduan", "tim_lapangan"}


def test_pangkalpinang_sop_has_the_twelve_steps_of_the_seed(tmp_path):
    office = load_office_named("pangkalpinang", tmp_path)
    sop = load_sop_named("pangkalpinang", tmp_path, office)
    assert [s.id for s in sop.steps] == [str(i) for i in range(1, 13)]
    assert sop.code == "SOP.WASDAL.002/DPMPTSP NAKER"
    assert set(sop.channels) == {"kotak_pengaduan", "email", "lapor", "whatsapp", "telepon", "datang_langsung"}
    route = sop.documents["surat_jawaban"].route
    assert [(e.action, e.actor) for e in route] == [("paraf", "kabid_wasdal"), ("paraf", "sekretaris"), ("tte", "kadis")]
    assert {s.id: s.returns_to for s in sop.steps if s.returns_to} == {"9": "8", "10": "9", "11": "10"}
    assert sop.step("4").decision.options == {"ya": "5", "tidak": "8"}
    assert str(sop.limits[0].limit) == "6 hari"
    assert sop.step("12").next == END


def write(tmp_path: Path, text: str, name: str = "sop.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


BASE = """
schema: naskah/sop/1
id: uji
title: Uji
channels: [email]
actors: {a: {name: A}, b: {name: B}}
steps:
"""


def test_unknown_key_names_file_key_and_allowed_keys(tmp_path):
    path = write(tmp_path, BASE + "  - {id: 1, name: s, actor: a, action: record, next: selesai, colour: red}\n")
    with pytest.raises(ConfigError) as err:
        load_sop(path)
    message = str(err.value)
    assert str(path) in message and "steps[0].colour" in message and "allowed keys here" in message


def test_duration_without_unit_is_refused(tmp_path):
    path = write(tmp_path, BASE + "  - {id: 1, name: s, actor: a, action: record, next: selesai, time_limit: 3}\n")
    with pytest.raises(ConfigError, match=r"steps\[0\]\.time_limit.*no unit"):
        load_sop(path)


@pytest.mark.parametrize("text,expected", [
    ("  - {id: 1, name: s, actor: z, action: record, next: selesai}\n", "unknown actor 'z'"),
    ("  - {id: 1, name: s, actor: a, action: record, next: 9}\n", "missing step '9'"),
    ("  - {id: 1, name: s, actor: a, action: record}\n", "dead end"),
    ("  - {id: 1, name: s, actor: a, action: record, next: selesai}\n  - {id: 2, name: t, actor: b, action: record, next: selesai}\n", "unreachable"),
    ("  - {id: 1, name: s, actor: a, action: record, next: 2}\n  - {id: 2, name: t, actor: b, action: record, next: 1}\n", "cycle without exit"),
])
def test_flow_faults_are_refused_with_location(tmp_path, text, expected):
    with pytest.raises(ConfigError, match=expected):
        load_sop(write(tmp_path, BASE + text))


def test_route_must_match_the_paraf_steps(tmp_path):
    text = BASE.replace("actors: {a: {name: A}, b: {name: B}}", "actors: {a: {name: A}, b: {name: B}}\ndocuments:\n"
                        "  j: {title: J, template: surat_jawaban.docx, route: [{actor: a, action: paraf}, {actor: b, action: tte}]}")
    text += ("  - {id: 1, name: d, actor: a, action: draft, document: j, next: 2}\n"
             "  - {id: 2, name: p, actor: b, action: paraf, document: j, next: 3, returns_to: 1}\n"
             "  - {id: 3, name: s, actor: a, action: sign, document: j, next: selesai, returns_to: 1}\n")
    with pytest.raises(ConfigError, match="route"):
        load_sop(write(tmp_path, text))


def test_route_actor_without_official_is_reported(tmp_path):
    sop = load_sop(SHIPPED_SOPS / "pangkalpinang.yaml")
    problems = check_sop(sop, roles=PANGKALPINANG_ROLES - {"sekretaris"})
    assert any("sekretaris" in p.location for p in problems)


def test_malformed_office_names_key(tmp_path):
    text = (SHIPPED_OFFICES / "pangkalpinang" / "office.yaml").read_text()
    path = write(tmp_path, text.replace("nip: 19760123 200501 1 006", "nip: 1234"), "office.yaml")
    (tmp_path / "pangkalpinang.png").write_bytes((Path(load_office_named("pangkalpinang", tmp_path).logo_path)).read_bytes())
    with pytest.raises(ConfigError, match=r"officials\[0\]\.nip.*18 digits"):
        load_office(path)


def test_invalid_yaml_reports_line(tmp_path):
    with pytest.raises(ConfigError, match="line 2"):
        load_sop(write(tmp_path, "schema: x\n  bad: [\n"))


def test_unquoted_kka_gets_a_hint(tmp_path):
    text = BASE.replace("actors: {a: {name: A}, b: {name: B}}", "actors: {a: {name: A}, b: {name: B}}\ndocuments:\n"
                        "  t: {title: T, template: tanda_terima.docx, kka: 600.40}")
    text += "  - {id: 1, name: s, actor: a, action: register, document: t, next: selesai}\n"
    with pytest.raises(ConfigError, match=r'documents\.t\.kka.*kka: "600.4"'):
        load_sop(write(tmp_path, text))
