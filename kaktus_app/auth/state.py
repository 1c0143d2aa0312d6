"""Login state: the session cookie, the signed-in user, and the guard every page runs on load."""

from __future__ import annotations

import os

import reflex as rx

from kaktus_app import db
from kaktus_app.auth import audit, service
from kaktus_app.auth.audit import current_actor
from kaktus_app.auth.service import Actor
from kaktus_app.errors import DomainError
from kaktus_app.i18n import translate
from kaktus_app.ui.form_state import error_messages, show_errors
from kaktus_app.ui.lang import LangState, current_lang
from kaktus_app.ui.paging import PagedListState

SESSION_COOKIE = "kaktus_session"


class AuthState(rx.State):
    """Holds the session token (HTTP cookie) and who is signed in.

    Other states get the actor with ``await require_actor(self)``: the check happens on the
    server for every handler, hiding a link is never the protection.
    """

    # SameSite=strict; Secure when served over HTTPS (KAKTUS_SECURE_COOKIES=1). Only a random token is
    # in the cookie; the server keeps its hash, expiry and revocation.
    session_token: str = rx.Cookie(
        "", name=SESSION_COOKIE, max_age=14 * 24 * 3600, same_site="strict", secure=os.environ.get("KAKTUS_SECURE_COOKIES") == "1"
    )
    user_id: int = 0
    user_name: str = ""
    user_role: str = ""
    login_username: str = ""
    login_error: str = ""
    login_busy: bool = False
    need_code: bool = False
    _actor: Actor | None = None

    @rx.var
    def is_logged_in(self) -> bool:
        return self.user_id > 0

    perm_can: dict[str, list[str]] = {}
    hidden_fields: list[str] = []
    readonly_fields: list[str] = []

    @rx.var
    def export_modules(self) -> list[str]:
        """The modules whose lists this user may export (always a list, also before the login): those
        with the export right, the exports of a list named otherwise than its permission module
        (purchase orders: purchasing) and, for administrators, the audit trail."""
        from kaktus_app.integration.service import EXPORTS

        modules = [module for module, actions in self.perm_can.items() if "export" in actions]
        modules += [name for name, (permission, *_rest) in EXPORTS.items() if name not in modules and permission in modules]
        if self.user_role == "admin":  # as audit.require_admin (the service checks again)
            modules.append("audit")
        return modules

    @rx.var
    def can_edit_products(self) -> bool:
        return "update" in self.perm_can.get("products", [])

    @rx.var
    def can_create_products(self) -> bool:
        return "create" in self.perm_can.get("products", [])

    @rx.var
    def can_purchase(self) -> bool:
        return "update" in self.perm_can.get("purchasing", [])

    @rx.var
    def sees_cost(self) -> bool:
        return "products.cost" not in self.hidden_fields

    async def _load_permissions(self, actor: Actor | None) -> None:
        """What this user's profile allows, for showing or hiding controls (services check again)."""
        from kaktus_app.auth import permissions

        view = await db.run(permissions.client_view, actor) if actor is not None else {"can": {}, "hidden": [], "readonly": []}
        self.perm_can, self.hidden_fields, self.readonly_fields = view["can"], view["hidden"], view["readonly"]

    @rx.var
    def is_admin(self) -> bool:
        return self.user_role == "admin"

    @rx.var
    def is_manager(self) -> bool:
        """Shows managers' controls; the services check the role again on every call."""
        return self.user_role in ("admin", "manager")

    async def actor(self) -> Actor | None:
        """The signed-in actor, checked against the database (revoked sessions stop at once)."""
        if not self.session_token:
            self._set_actor(None)
            return None
        actor = await db.run(service.resolve_session, self.session_token)
        self._set_actor(actor)
        return actor

    def _set_actor(self, actor: Actor | None) -> None:
        self._actor = actor
        self.user_id = actor.id if actor else 0
        self.user_name = actor.full_name if actor else ""
        self.user_role = actor.role if actor else ""

    @rx.event
    async def check_login(self):
        """on_load guard of every staff page: back to /login when the session is gone."""
        actor = await self.actor()
        await self._load_permissions(actor)
        if actor is None:
            path = str(self.router.url.path or "/")
            return rx.redirect(f"/login?next={path}" if path not in ("/", "/login") else "/login")

    @rx.event
    async def redirect_if_logged_in(self):
        if await self.actor() is not None:
            return rx.redirect("/")

    @rx.event
    async def submit_login(self, form: dict):
        self.login_error = ""
        self.login_username = str(form.get("username", ""))
        lang = await current_lang(self)
        try:
            token, actor = await db.run(service.login, form.get("username", ""), form.get("password", ""), form.get("code", ""))
        except DomainError as exc:
            self.login_error = exc.message(lang)
            self.need_code = self.need_code or exc.key in ("auth.totp_required", "auth.totp_invalid")
            return
        self.need_code = False
        self.session_token = token
        self._set_actor(actor)
        target = str(self.router.url.query_parameters.get("next", "/"))
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        return rx.redirect(target)

    @rx.event
    async def logout(self):
        await db.run(service.logout, self.session_token)
        self.session_token = ""
        self._set_actor(None)
        return [rx.remove_cookie(SESSION_COOKIE), rx.redirect("/login")]

    @rx.event
    async def logout_everywhere(self):
        """End this user's sessions in every browser and device, this one included."""
        actor = await self.actor()
        if actor is not None:
            await db.run(service.logout_everywhere, actor)
        self.session_token = ""
        self._set_actor(None)
        return [rx.remove_cookie(SESSION_COOKIE), rx.redirect("/login")]

    @rx.event
    async def remember_language(self, lang: str):
        """Switch the UI language and keep it as the user's preference."""
        lang_state = await self.get_state(LangState)
        lang_state.set_lang(lang)
        if self._actor is not None:
            await db.run(service.set_language, self._actor, lang)


async def require_actor(state: rx.State) -> Actor:
    """The signed-in actor for a handler of any state; raises DomainError when not signed in."""
    auth = await state.get_state(AuthState)
    actor = auth._actor if auth._actor is not None else await auth.actor()
    if actor is None:
        raise DomainError("error.login_required")
    current_actor.set(actor)  # the audit trail's "who" for db.run calls that do not pass the actor
    return actor


class AuditState(PagedListState, rx.State):
    """/admin/audit: administrators search the audit trail."""

    rows: list[dict] = []
    text: str = ""
    action: str = ""
    module: str = ""
    user_filter: str = ""
    date_from: str = ""
    date_to: str = ""
    users: list[dict] = []
    allowed: bool = True
    EXPORT_MODULE = "audit"

    def _export_filters(self) -> dict:
        """The trail's filters as audit.search takes them (a date that does not parse is no filter)."""
        from kaktus_app.validation import FieldError, parse_date

        try:
            start, end = parse_date(self.date_from), parse_date(self.date_to)
        except FieldError:
            start = end = None
        return {"text": self.text, "user_id": self.user_filter or None, "action": self.action, "module": self.module, "date_from": start, "date_to": end}

    async def _reload(self):
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        try:
            result = await db.run(audit.search, actor, **self._export_filters(), page=self.page, lang=await current_lang(self))
        except DomainError:
            self.allowed, self.rows = False, []
            return
        self.allowed = True
        self._take(result)

    @rx.event
    async def load(self):
        try:
            await require_actor(self)
        except DomainError:
            return
        self.users = await db.run(audit.users_for_filter)
        await self._reload()

    @rx.event
    async def set_filter(self, key: str, value: str):
        if key in ("text", "action", "module", "user_filter", "date_from", "date_to"):
            setattr(self, key, value)
            self.page = 1
            await self._reload()


class SecurityState(rx.State):
    """/account/security: two-factor login, the password, and ending sessions elsewhere."""

    password_errors: dict[str, str] = {}
    password_key: int = 0
    enabled: bool = False
    qr: str = ""
    secret: str = ""
    code_error: str = ""
    form_key: int = 0

    @rx.event
    async def load(self):
        try:
            actor = await require_actor(self)
        except DomainError:
            return
        self.enabled = (await db.run(service.two_factor_status, actor))["enabled"]
        self.qr, self.secret, self.code_error = "", "", ""

    @rx.event
    async def start_setup(self):
        actor = await require_actor(self)
        try:
            setup = await db.run(service.totp_setup, actor)
        except DomainError as exc:
            return rx.toast.error(exc.message(await current_lang(self)))
        self.qr, self.secret, self.code_error = setup["qr"], setup["secret"], ""
        self.form_key += 1

    @rx.event
    async def confirm(self, form: dict):
        actor = await require_actor(self)
        fn = service.totp_disable if self.enabled else service.totp_enable
        try:
            await db.run(fn, actor, form.get("code", ""))
        except DomainError as exc:
            self.code_error = exc.message(await current_lang(self))
            return
        self.enabled = not self.enabled
        self.qr, self.secret, self.code_error = "", "", ""
        self.form_key += 1
        return rx.toast.success(translate("auth.totp_on" if self.enabled else "auth.totp_off", await current_lang(self)))

    @rx.event
    async def change_password(self, form: dict):
        from kaktus_app.auth import users

        actor = await require_actor(self)
        self.password_errors = {}
        try:
            await db.run(users.change_password, actor, form.get("current", ""), form.get("new", ""), form.get("repeat", ""))
        except DomainError as exc:
            return await show_errors(self, exc, "password_errors")
        self.password_key += 1
        return rx.toast.success(translate("users.password_changed", await current_lang(self)))


class ProfilesState(rx.State):
    """/admin/profiles: administrators set each profile's module permissions and field access."""

    profiles: list[dict] = []
    allowed: bool = True
    form_key: int = 0

    @rx.event
    async def load(self):
        from kaktus_app.auth import permissions

        try:
            actor = await require_actor(self)
        except DomainError:
            return
        self.allowed = actor.is_admin
        self.profiles = [p for p in await db.run(permissions.list_profiles) if not p["is_admin"]] if actor.is_admin else []
        self.form_key += 1

    @rx.event
    async def save(self, form: dict):
        from kaktus_app.auth import permissions

        actor = await require_actor(self)
        lang = await current_lang(self)
        chosen: dict[str, list[str]] = {}
        fields: dict[str, str] = {}
        for key, value in form.items():
            if key.startswith("perm:") and str(value).lower() in ("on", "true", "1"):
                module, action = key[5:].split(":", 1)
                chosen.setdefault(module, []).append(action)
            elif key.startswith("field:"):
                fields[key[6:]] = str(value)
        try:
            await db.run(permissions.update_profile, actor, int(form.get("profile_id", 0)), chosen, fields)
        except DomainError as exc:
            return rx.toast.error(exc.message(lang))
        self.profiles = [p for p in await db.run(permissions.list_profiles) if not p["is_admin"]]
        auth = await self.get_state(AuthState)
        await auth._load_permissions(actor)
        return rx.toast.success(translate("profiles.saved", lang))


class UsersState(rx.State):
    """/admin/users: invite, assign roles, deactivate, reset passwords."""

    users: list[dict] = []
    roles: list[dict] = []
    allowed: bool = True
    errors: dict[str, str] = {}
    invite_key: int = 0
    shown_password: str = ""
    shown_for: str = ""

    async def _reload(self):
        from kaktus_app.auth import users

        actor = await require_actor(self)
        self.users = await db.run(users.list_users, actor, await current_lang(self))

    @rx.event
    async def load(self):
        from kaktus_app.auth import users

        try:
            actor = await require_actor(self)
        except DomainError:
            return
        self.allowed = actor.is_admin
        self.errors, self.shown_password, self.shown_for = {}, "", ""
        if actor.is_admin:
            self.roles = await db.run(users.role_nodes)
            await self._reload()

    async def _act(self, fn, *args):
        actor = await require_actor(self)
        lang = await current_lang(self)
        try:
            result = await db.run(fn, actor, *args)
        except DomainError as exc:
            await self._reload()
            return None, rx.toast.error(exc.message(lang))
        await self._reload()
        return result, rx.toast.success(translate("users.saved", lang))

    @rx.event
    async def invite(self, form: dict):
        from kaktus_app.auth import users

        actor = await require_actor(self)
        self.errors = {}
        try:
            username, password = await db.run(lambda s: (lambda r: (r[0].username, r[1]))(users.invite_user(s, actor, form)))
        except DomainError as exc:
            return await show_errors(self, exc, "errors")
        self.shown_password, self.shown_for = password, username
        self.invite_key += 1
        await self._reload()

    @rx.event
    async def set_role(self, user_id: int, role_id: str):
        from kaktus_app.auth import users

        _, toast = await self._act(users.set_role, user_id, role_id)
        return toast

    @rx.event
    async def set_active(self, user_id: int, active: bool):
        from kaktus_app.auth import users

        _, toast = await self._act(users.set_active, user_id, active)
        return toast

    @rx.event
    async def reset_password(self, user_id: int, username: str):
        from kaktus_app.auth import users

        password, toast = await self._act(users.reset_password, user_id)
        if password:
            self.shown_password, self.shown_for = password, username
        return toast

    @rx.event
    def hide_password(self, _open: bool = False):
        self.shown_password, self.shown_for = "", ""




class RolesState(rx.State):
    """/admin/roles: the role tree and the sharing rules."""

    roles: list[dict] = []
    rules: list[dict] = []
    profiles: list[dict] = []
    allowed: bool = True
    errors: dict[str, str] = {}
    add_key: int = 0

    async def _reload(self):
        from kaktus_app.auth import permissions

        self.roles = await db.run(permissions.role_tree)
        self.rules = await db.run(permissions.sharing_rules)

    @rx.event
    async def load(self):
        from kaktus_app.auth import users

        try:
            actor = await require_actor(self)
        except DomainError:
            return
        self.allowed, self.errors = actor.is_admin, {}
        if actor.is_admin:
            self.profiles = await db.run(users.roles)
            await self._reload()

    async def _save(self, role_id, data: dict):
        from kaktus_app.auth import permissions

        actor = await require_actor(self)
        self.errors = {}
        try:
            await db.run(permissions.save_role, actor, role_id, data)
        except DomainError as exc:
            self.errors, general = await error_messages(self, exc)
            await self._reload()
            return rx.toast.error(next(iter(self.errors.values()), general))
        await self._reload()
        return rx.toast.success(translate("users.saved", await current_lang(self)))

    @rx.event
    async def add_role(self, form: dict):
        result = await self._save(None, form)
        if not self.errors:
            self.add_key += 1
        return result

    @rx.event
    async def set_parent(self, role: dict, parent_id: str):
        return await self._save(role["id"], {"name": role["name"], "parent_id": parent_id, "profile_key": role["profile_key"]})

    @rx.event
    async def set_profile(self, role: dict, profile_key: str):
        return await self._save(role["id"], {"name": role["name"], "parent_id": role["parent_id"], "profile_key": profile_key})

    @rx.event
    async def set_sharing(self, module: str, access: str):
        from kaktus_app.auth import permissions

        actor = await require_actor(self)
        try:
            await db.run(permissions.set_sharing, actor, module, access)
        except DomainError as exc:
            return rx.toast.error(exc.message(await current_lang(self)))
        await self._reload()
        return rx.toast.success(translate("users.saved", await current_lang(self)))
