"""Where office profiles, SOPs and templates are found.

Lookup order: an explicit path; ``$NASKAH_HOME/offices/<name>/office.yaml`` and
``$NASKAH_HOME/sops/<name>.yaml`` (an office's own files); then the ones shipped
with Naskah. Templates: the office folder first, then ``letter_templates/``.
"""

from __future__ import annotations

from pathlib import Path

from letter_templates import TEMPLATE_DIR

from .errors import UnknownOffice, UnknownSop
from .office import Office, load_office
from .sop import Sop, load_sop

SHIPPED = Path(__file__).resolve().parent
SHIPPED_OFFICES = SHIPPED / "offices"
SHIPPED_SOPS = SHIPPED / "sops"


def _office_file(name: str, home: Path) -> Path:
    given = Path(name)
    if given.suffix in (".yaml", ".yml") or given.is_file():
        if not given.is_file():
            raise UnknownOffice(f"office profile {given} not found")
        return given
    for base in (home / "offices", SHIPPED_OFFICES):
        candidate = base / name / "office.yaml"
        if candidate.is_file():
            return candidate
    known = sorted(p.parent.name for p in SHIPPED_OFFICES.glob("*/office.yaml"))
    raise UnknownOffice(f"no office profile '{name}' (shipped: {', '.join(known)}; or give a path to an office.yaml)")


def _sop_file(name: str, home: Path, office: Office | None) -> Path:
    given = Path(name)
    if given.suffix in (".yaml", ".yml") or given.is_file():
        if not given.is_file():
            raise UnknownSop(f"SOP file {given} not found")
        return given
    bases = [home / "sops", SHIPPED_SOPS]
    if office is not None and office.source is not None:
        bases.insert(0, office.source.parent)
    for base in bases:
        for candidate in (base / f"{name}.yaml", base / "sop.yaml" if base != SHIPPED_SOPS and base.name == name else None):
            if candidate is not None and candidate.is_file():
                return candidate
    known = sorted(p.stem for p in SHIPPED_SOPS.glob("*.yaml"))
    raise UnknownSop(f"no SOP '{name}' (shipped: {', '.join(known)}; or give a path to a SOP file)")


def template_file(office: Office | None, name: str) -> Path:
    if office is not None and office.source is not None:
        own = office.source.parent / name
        if own.is_file():
            return own
    return TEMPLATE_DIR / name


def load_office_named(name: str, home: Path) -> Office:
    return load_office(_office_file(name, home))


def load_sop_named(name: str, home: Path, office: Office | None = None) -> Sop:
    """Load an SOP, checked against the office's roles and templates when an office is given."""
    path = _sop_file(name, home, office)
    if office is None:
        return load_sop(path, template_exists=lambda t: template_file(None, t).is_file())
    return load_sop(path, roles=office.roles, template_exists=lambda t: template_file(office, t).is_file())


def shipped_offices() -> list[str]:
    return sorted(p.parent.name for p in SHIPPED_OFFICES.glob("*/office.yaml"))


def office_for_sop(sop_name: str, home: Path) -> str:
    """The shipped (or own) office whose profile runs ``sop_name``."""
    names = sorted({p.parent.name for base in (home / "offices", SHIPPED_OFFICES) for p in base.glob("*/office.yaml")})
    for name in names:
        if load_office_named(name, home).sop == sop_name:
            return name
    raise UnknownSop(f"no office runs the SOP '{sop_name}' (offices: {', '.join(names)})")
