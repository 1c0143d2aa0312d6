"""The permission engine: what the acting user's profile allows, per module action and per field.

Services call ``require(session, actor, module, action)`` before they act, ``hidden(...)`` to leave
out what the user may not see (in reads, lists, search, exports) and ``check_writes(...)`` to refuse
a change to a read-only or hidden field. Hiding a button is never the protection.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import Session, select

from kaktus_app.auth.models import Profile
from kaktus_app.errors import PermissionDenied, ValidationError

MODULES = ("customers", "leads", "opportunities", "activities", "products", "quotations", "invoices", "purchasing")
ACTIONS = ("create", "read", "update", "delete", "export", "import")
FIELD_MODES = ("editable", "readonly", "hidden")
# The fields whose access a profile can restrict: module -> {field: label key}
FIELDS = {
    "customers": {"npwp": "customers.npwp", "notes": "customers.notes", "profile_history": "customers.profile_history"},
    "products": {"cost": "catalog.cost", "margin": "catalog.margin"},
}
ALL = list(ACTIONS)
DEFAULT_PROFILES = {
    # key: (name, is_admin, permissions, fields)
    "admin": ("Administrator", True, {m: ALL for m in MODULES}, {}),
    "manager": ("Sales manager", False, {m: ALL for m in MODULES}, {}),
    "sales": (
        "Salesperson",
        False,
        {
            "customers": ["create", "read", "update", "export"], "leads": ["create", "read", "update", "delete", "export"],
            "opportunities": ["create", "read", "update", "delete", "export"], "activities": ["create", "read", "update", "delete"],
            "products": ["read"], "quotations": ["create", "read", "update", "export"], "invoices": ["create", "read", "update"],
        },
        {"products.cost": "hidden", "products.margin": "hidden"},
    ),
    "support": (
        "Support agent",
        False,
        {
            "customers": ["read", "update"], "leads": ["read"], "opportunities": ["read"], "activities": ["create", "read", "update", "delete"],
            "products": ["read"], "quotations": ["read"], "invoices": ["read"],
        },
        {"customers.npwp": "readonly", "products.cost": "hidden", "products.margin": "hidden"},
    ),
    "marketing": (
        "Marketing",
        False,
        {
            "customers": ["read", "export", "import"], "leads": ["create", "read", "update", "export", "import"], "opportunities": ["read"],
            "activities": ["create", "read", "update"], "products": ["read"],
        },
        {"products.cost": "hidden", "products.margin": "hidden"},
    ),
}


@dataclass(frozen=True)
class Access:
    is_admin: bool
    permissions: dict
    fields: dict

    def can(self, module: str, action: str) -> bool:
        return self.is_admin or action in self.permissions.get(module, ())

    def mode(self, module: str, field: str) -> str:
        return "editable" if self.is_admin else self.fields.get(f"{module}.{field}", "editable")


def ensure_default_profiles(session: Session) -> None:
    existing = set(session.exec(select(Profile.key)).all())
    for key, (name, is_admin, permissions, fields) in DEFAULT_PROFILES.items():
        if key not in existing:
            session.add(Profile(key=key, name=name, is_admin=is_admin, permissions=json.dumps(permissions), fields=json.dumps(fields)))
    session.flush()


def _load(profile: Profile | None) -> Access:
    if profile is None:
        return Access(False, {}, {})
    permissions = {m: frozenset(a) for m, a in json.loads(profile.permissions or "{}").items()}
    return Access(profile.is_admin, permissions, dict(json.loads(profile.fields or "{}")))


def access(session: Session, actor) -> Access:
    """The actor's access, read once per transaction."""
    cache = session.info.setdefault("access", {})
    key = (actor.id, actor.role)
    if key not in cache:
        profile = session.exec(select(Profile).where(Profile.key == actor.role)).first()
        if profile is None and actor.role in DEFAULT_PROFILES:  # a database without the profile rows yet
            name, is_admin, permissions, fields = DEFAULT_PROFILES[actor.role]
            profile = Profile(key=actor.role, name=name, is_admin=is_admin, permissions=json.dumps(permissions), fields=json.dumps(fields))
        cache[key] = _load(profile)
    return cache[key]


def can(session: Session, actor, module: str, action: str) -> bool:
    return access(session, actor).can(module, action)


def require(session: Session, actor, module: str, action: str) -> None:
    if not can(session, actor, module, action):
        raise PermissionDenied("error.not_allowed", action=action, module=module)


def hidden(session: Session, actor, module: str) -> set[str]:
    """The fields of ``module`` the actor may not see."""
    acc = access(session, actor)
    if acc.is_admin:
        return set()
    prefix = module + "."
    return {key[len(prefix):] for key, mode in acc.fields.items() if key.startswith(prefix) and mode == "hidden"}


def check_writes(session: Session, actor, module: str, data: dict, current=None) -> None:
    """Refuse a change to a read-only or hidden field (its value stays as it is)."""
    acc = access(session, actor)
    if acc.is_admin:
        return
    errors = {}
    for field in FIELDS.get(module, {}):
        if acc.mode(module, field) == "editable" or field not in data:
            continue
        old = getattr(current, field, None) if current is not None else None
        new = data[field]
        if str(new or "").strip() != str(old if old is not None else "").strip() and not (current is None and str(new or "").strip() == ""):
            errors[field] = "error.field_readonly"
    if errors:
        raise ValidationError(errors)


def client_view(session: Session, actor) -> dict:
    """What the browser needs to show or hide controls (the services check again on every call)."""
    acc = access(session, actor)
    return {
        "can": {m: sorted(ACTIONS if acc.is_admin else acc.permissions.get(m, ())) for m in MODULES},
        "hidden": sorted(k for k, v in acc.fields.items() if v == "hidden") if not acc.is_admin else [],
        "readonly": sorted(k for k, v in acc.fields.items() if v == "readonly") if not acc.is_admin else [],
    }


# ------------------------------------------------------------------------------- administration


def list_profiles(session: Session) -> list[dict]:
    return [
        {
            "id": p.id, "key": p.key, "name": p.name, "is_admin": p.is_admin,
            "permissions": {m: json.loads(p.permissions or "{}").get(m, []) for m in MODULES},
            "fields": {f"{m}.{f}": json.loads(p.fields or "{}").get(f"{m}.{f}", "editable") for m, fs in FIELDS.items() for f in fs},
        }
        for p in session.exec(select(Profile).order_by(Profile.id))
    ]


def update_profile(session: Session, actor, profile_id: int, permissions: dict, fields: dict) -> Profile:
    """Administrators change a profile's module permissions and field access (audited)."""
    if not actor.is_admin:
        raise PermissionDenied()
    profile = session.get(Profile, profile_id)
    if profile is None:
        from kaktus_app.errors import NotFound

        raise NotFound()
    if profile.is_admin:
        raise PermissionDenied("error.admin_profile_fixed")
    clean_permissions = {m: sorted({a for a in permissions.get(m, []) if a in ACTIONS}) for m in MODULES}
    clean_fields = {
        f"{m}.{f}": mode
        for m, fs in FIELDS.items()
        for f in fs
        if (mode := fields.get(f"{m}.{f}", "editable")) in ("readonly", "hidden")
    }
    profile.permissions = json.dumps({m: a for m, a in clean_permissions.items() if a}, sort_keys=True)
    profile.fields = json.dumps(clean_fields, sort_keys=True)
    session.add(profile)
    session.flush()
    session.info.pop("access", None)
    return profile
