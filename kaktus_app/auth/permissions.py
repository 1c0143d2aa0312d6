"""The permission engine: what the acting user's profile allows, per module action and per field.

Services call ``require(session, actor, module, action)`` before they act, ``hidden(...)`` to leave
out what the user may not see (in reads, lists, search, exports) and ``check_writes(...)`` to refuse
a change to a read-only or hidden field. Hiding a button is never the protection.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import Session, select

from kaktus_app.auth.models import Profile
from kaktus_app.errors import DomainError, PermissionDenied, ValidationError

MODULES = ("customers", "leads", "opportunities", "activities", "products", "quotations", "invoices", "purchasing", "tickets", "faq")
ACTIONS = ("create", "read", "update", "delete", "export", "import")
FIELD_MODES = ("editable", "readonly", "hidden")
# The fields whose access a profile can restrict: module -> {field: label key}. Every field a user
# types or sees on a form is here; identity (name / title), the owner and computed keys are not.
FIELDS = {
    "customers": {
        "industry": "customers.industry", "segment": "customers.segment", "tags": "common.tags", "street": "customers.street",
        "city": "common.city", "province": "customers.province", "postal_code": "customers.postal_code",
        "latitude": "customers.latitude", "longitude": "customers.longitude", "phone": "common.phone", "mobile": "customers.mobile",
        "email": "common.email", "website": "customers.website", "npwp": "customers.npwp", "department": "customers.department",
        "person_in_charge": "customers.person_in_charge", "job_title": "customers.job_title", "notes": "customers.notes",
        "profile_needs": "customers.profile_needs", "profile_preferences": "customers.profile_preferences",
        "profile_history": "customers.profile_history",
    },
    "leads": {
        "company_name": "leads.company_name", "contact_name": "leads.contact_name", "email": "common.email", "phone": "common.phone",
        "city": "common.city", "source": "leads.source", "expected_revenue": "leads.expected_revenue", "memo": "leads.memo",
        "tags": "common.tags",
    },
    "opportunities": {
        "expected_revenue": "sales.expected_revenue", "probability": "sales.probability", "expected_closing": "sales.expected_closing",
        "priority": "sales.priority", "tags": "common.tags", "memo": "sales.memo", "lost_reason": "sales.lost_reason",
    },
    "activities": {"note": "activities.note", "outcome": "activities.outcome"},
    "products": {
        "category": "catalog.category", "uom": "catalog.uom", "sale_price": "catalog.sale_price", "cost": "catalog.cost",
        "margin": "catalog.margin", "tax_rate": "catalog.tax_rate", "description": "catalog.description",
    },
    "quotations": {
        "validity_date": "documents.validity_date", "payment_terms": "documents.payment_terms", "note": "documents.note",
        "terms": "documents.terms",
    },
}
# Keys of a service's output rows that show a field under another name (besides "<field>_...").
ALIASES = {
    "leads": {"expected_revenue": ("revenue",)},
    "opportunities": {
        "expected_revenue": ("revenue", "weighted", "weighted_label", "sum_expected", "sum_expected_label", "sum_expected_short", "sum_weighted_label"),
        "probability": ("weighted", "weighted_label", "sum_weighted_label"),
        "expected_closing": ("closing",),
    },
    "products": {"cost": ("margin_label",), "margin": ("margin_label",), "tax_rate": ("tax_label",)},
    "quotations": {"validity_date": ("validity_label", "expired")},
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
            "tickets": ["create", "read", "update"], "faq": ["read"],
        },
        {"products.cost": "hidden", "products.margin": "hidden"},
    ),
    "support": (
        "Support agent",
        False,
        {
            "customers": ["read", "update"], "leads": ["read"], "opportunities": ["read"], "activities": ["create", "read", "update", "delete"],
            "products": ["read"], "quotations": ["read"], "invoices": ["read"],
            "tickets": ["create", "read", "update", "delete", "export"], "faq": ["create", "read", "update", "delete"],
        },
        {"customers.npwp": "readonly", "products.cost": "hidden", "products.margin": "hidden"},
    ),
    "marketing": (
        "Marketing",
        False,
        {
            "customers": ["read", "export", "import"], "leads": ["create", "read", "update", "export", "import"], "opportunities": ["read"],
            "activities": ["create", "read", "update"], "products": ["read"], "tickets": ["read"], "faq": ["read"],
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
        if _comparable(new) != _comparable(old) and not (current is None and _comparable(new) == ""):
            errors[field] = "error.field_readonly"
    if errors:
        raise ValidationError(errors)


def _comparable(value) -> str:
    """A form value and a stored value compare equal when they say the same ("15000000" == Decimal("15000000.00"))."""
    if value is None:
        return ""
    text = str(value).strip()
    try:
        from decimal import Decimal, InvalidOperation

        number = Decimal(text.replace(",", "."))
        return format(number.normalize(), "f") if number.is_finite() else text
    except (InvalidOperation, ValueError):
        return text


def guard_writes(session: Session, actor, module: str, data: dict, current=None) -> dict:
    """The data a form sent, made safe to validate: a hidden field keeps its stored value (the form
    never had it); a read-only field that was changed is refused with a field error."""
    acc = access(session, actor)
    if acc.is_admin:
        return data
    clean = dict(data)
    for field in FIELDS.get(module, {}):
        if acc.mode(module, field) == "hidden" and field in clean:
            if current is None:
                clean.pop(field)
            else:
                clean[field] = getattr(current, field, None)
    check_writes(session, actor, module, clean, current)
    return clean


def redact(session: Session, actor, module: str, row: dict, hidden_fields: set[str] | None = None) -> dict:
    """Blank what the actor may not see in a service's output row (the field, its "<field>_..."
    display keys and its aliases). Returns the same dict, changed in place."""
    fields = hidden(session, actor, module) if hidden_fields is None else hidden_fields
    if not fields:
        return row
    for key in list(row):
        if shows_hidden(module, key, fields):
            row[key] = "" if not isinstance(row[key], (list, dict)) else type(row[key])()
    return row


def shows_hidden(module: str, key: str, fields) -> bool:
    """Whether an output key shows one of the hidden ``fields``: the field itself, its "<field>_..."
    display keys, or one of its aliases."""
    aliases = ALIASES.get(module, {})
    return any(key == f or key.startswith(f + "_") or key in aliases.get(f, ()) for f in fields)


def safe_sort(session: Session, actor, module: str, sort: str, default: str) -> str:
    """Sorting by a hidden column would reveal it: fall back to the default order."""
    return default if sort in hidden(session, actor, module) else sort


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


# ----------------------------------------------------------------------- role tree and sharing

DEFAULT_ROLES = [
    ("Director", None, "admin"), ("Sales Manager", "Director", "manager"), ("Salesperson", "Sales Manager", "sales"),
    ("Support Lead", "Director", "support"), ("Agent", "Support Lead", "support"), ("Marketing", "Director", "marketing"),
]
PLACE_BY_PROFILE = {"admin": "Director", "manager": "Sales Manager", "sales": "Salesperson", "support": "Agent", "marketing": "Marketing"}
SHARING = ("private", "team", "all")
DEFAULT_SHARING = {
    "customers": "all", "leads": "all", "opportunities": "team", "activities": "all", "products": "all",
    "quotations": "team", "invoices": "all", "purchasing": "all", "tickets": "all",
}


def ensure_default_roles(session: Session) -> None:
    """The default tree and sharing rules (once), and every user without a role placed by profile."""
    from kaktus_app.auth.models import Role, SharingRule, User

    roles = {r.name: r for r in session.exec(select(Role))}
    if not roles:
        for name, parent, profile in DEFAULT_ROLES:
            role = Role(name=name, parent_id=roles[parent].id if parent else None, profile_key=profile)
            session.add(role)
            session.flush()
            roles[name] = role
    for user in session.exec(select(User).where(User.role_id == None)):  # noqa: E711
        place = roles.get(PLACE_BY_PROFILE.get(user.role, ""))
        if place is not None:
            user.role_id = place.id
            session.add(user)
    existing = set(session.exec(select(SharingRule.module)).all())
    for module, rule in DEFAULT_SHARING.items():
        if module not in existing:
            session.add(SharingRule(module=module, access=rule))
    session.flush()


def sharing(session: Session, module: str) -> str:
    from kaktus_app.auth.models import SharingRule

    rule = session.exec(select(SharingRule.access).where(SharingRule.module == module)).first()
    return rule or DEFAULT_SHARING.get(module, "all")


def visible_owner_ids(session: Session, actor, module: str) -> frozenset[int] | None:
    """Whose records of ``module`` the actor sees: None means everybody's.

    Own records and those of users in the roles below the actor's; with "team" sharing also the
    team's; with "all" sharing (or for an administrator) everybody's.
    """
    cache = session.info.setdefault("visible", {})
    key = (actor.id, module)
    if key in cache:
        return cache[key]
    from kaktus_app.auth.models import Role, User

    result: frozenset[int] | None = None
    rule = sharing(session, module)
    if not access(session, actor).is_admin and rule != "all":
        user = session.get(User, actor.id)
        ids = {actor.id}
        if user is not None and user.role_id:
            children: dict[int | None, list[int]] = {}
            for role_id, parent_id in session.exec(select(Role.id, Role.parent_id)):
                children.setdefault(parent_id, []).append(role_id)
            below, pending = set(), list(children.get(user.role_id, []))
            while pending:
                role_id = pending.pop()
                if role_id not in below:
                    below.add(role_id)
                    pending += children.get(role_id, [])
            if below:
                ids |= set(session.exec(select(User.id).where(User.role_id.in_(below))).all())
        if rule == "team" and user is not None and user.team_id:
            ids |= set(session.exec(select(User.id).where(User.team_id == user.team_id)).all())
        result = frozenset(ids)
    cache[key] = result
    return result


def remembered(session: Session, actor, key: str, build):
    """``build()``, kept for the session as long as the actor's access and visible owners are the
    same: something derived from them alone (e.g. what a search may read), asked for on every keystroke.
    A change of profile, role or sharing (which drops those caches) drops it too."""
    acc = access(session, actor)
    cache = session.info.setdefault("visible", {})
    known = cache.get((key, actor.id, actor.role))
    if known is None or known[0] is not acc:
        known = cache[(key, actor.id, actor.role)] = (acc, build())
    return known[1]


def owner_clause(column, visible: frozenset[int] | None):
    """A WHERE clause limiting ``column`` (an owner id) to the visible owners (records without an owner stay visible)."""
    if visible is None:
        return None
    return column.in_(visible) | column.is_(None)


def owner_placeholders(column, count: int | None) -> list:
    """:func:`owner_clause` for ``count`` visible owners given as the named parameters ``owner_0``,
    ``owner_1``... (:func:`owner_params`): for a prepared statement. None (everybody's): no clause."""
    if count is None:
        return []
    return [column.in_([bindparam(f"owner_{i}") for i in range(count)]) | column.is_(None)]


def owner_params(visible: frozenset[int] | None) -> tuple[int | None, dict[str, int]]:
    """(count, values) of :func:`owner_placeholders` for the visible owners."""
    if visible is None:
        return None, {}
    return len(visible), {f"owner_{i}": owner for i, owner in enumerate(sorted(visible))}


def check_visible(session: Session, actor, module: str, owner_id) -> None:
    """A record the actor may not see does not exist for them (guessing its URL gives "not found")."""
    from kaktus_app.errors import NotFound

    visible = visible_owner_ids(session, actor, module)
    if visible is not None and owner_id is not None and owner_id not in visible:
        raise NotFound()


def role_tree(session: Session) -> list[dict]:
    """Every role in tree order with its depth, profile and people."""
    from kaktus_app.auth.models import Role, User

    roles = list(session.exec(select(Role).order_by(Role.name)))
    people: dict[int, list[str]] = {}
    for user in session.exec(select(User).where(User.is_active == True).order_by(User.full_name)):  # noqa: E712
        people.setdefault(user.role_id, []).append(user.full_name)
    profiles = {p.key: p.name for p in session.exec(select(Profile))}
    children: dict[int | None, list] = {}
    for role in roles:
        children.setdefault(role.parent_id, []).append(role)
    out: list[dict] = []

    def walk(parent_id, depth):
        for role in children.get(parent_id, []):
            out.append({
                "id": role.id, "name": role.name, "depth": depth, "parent_id": role.parent_id or "", "profile_key": role.profile_key,
                "profile": profiles.get(role.profile_key, role.profile_key), "people": ", ".join(people.get(role.id, [])),
                "indent": f"{depth * 1.5}rem",
            })
            walk(role.id, depth + 1)

    walk(None, 0)
    return out


def save_role(session: Session, actor, role_id: int | None, data: dict):
    """Add a role or change its name, parent or profile (the tree never gets a cycle)."""
    from kaktus_app.auth.models import Role
    from kaktus_app.errors import NotFound
    from kaktus_app.validation import Errors, clean_text

    if not actor.is_admin:
        raise PermissionDenied()
    errors = Errors()
    name = errors.check("name", clean_text, data.get("name"), required=True, max_length=80)
    role = session.get(Role, int(role_id)) if role_id else None
    if role_id and role is None:
        raise NotFound()
    other = session.exec(select(Role.id).where(Role.name == name)).first() if name else None
    if other is not None and (role is None or other != role.id):
        errors.add("name", "roles.error.name_taken")
    parent_raw = str(data.get("parent_id") or "").strip()
    parent_id = int(parent_raw) if parent_raw.isdigit() else None
    if parent_raw and (parent_id is None or session.get(Role, parent_id) is None):
        errors.add("parent_id", "roles.error.parent_unknown")
    if role is not None and parent_id is not None:
        seen, current = set(), parent_id
        while current is not None and current not in seen:
            if current == role.id:
                errors.add("parent_id", "roles.error.cycle")
                break
            seen.add(current)
            current = session.get(Role, current).parent_id
    profile_key = str(data.get("profile_key") or "")
    if session.exec(select(Profile.id).where(Profile.key == profile_key)).first() is None and profile_key not in DEFAULT_PROFILES:
        errors.add("profile_key", "users.error.role_unknown")
    errors.raise_if_any()
    role = role or Role(name=name)
    role.name, role.parent_id, role.profile_key = name, parent_id, profile_key
    session.add(role)
    session.flush()
    from kaktus_app.auth.models import User

    for user in session.exec(select(User).where(User.role_id == role.id, User.role != profile_key)):
        if user.role == "admin" and len(session.exec(select(User.id).where(User.role == "admin", User.is_active == True)).all()) <= 1:  # noqa: E712
            raise DomainError("users.error.last_admin")
        user.role = profile_key  # the people of a role have its profile
        session.add(user)
    session.flush()
    session.info.pop("visible", None)
    session.info.pop("access", None)
    return role


def set_sharing(session: Session, actor, module: str, rule: str) -> None:
    from kaktus_app.auth.models import SharingRule

    if not actor.is_admin:
        raise PermissionDenied()
    if module not in SHARED_MODULES or rule not in SHARING:
        raise ValidationError({"access": "roles.error.sharing"})
    row = session.exec(select(SharingRule).where(SharingRule.module == module)).first() or SharingRule(module=module)
    row.access = rule
    session.add(row)
    session.flush()
    session.info.pop("visible", None)


# The modules whose records have an owner (the others are shared by nature: the catalog, purchasing).
SHARED_MODULES = ("customers", "leads", "opportunities", "activities", "quotations", "invoices", "tickets")


def sharing_rules(session: Session) -> list[dict]:
    return [{"module": m, "access": sharing(session, m)} for m in SHARED_MODULES]
