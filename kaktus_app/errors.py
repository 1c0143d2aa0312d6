"""Domain errors raised by services; states turn them into a field message or a toast."""

from __future__ import annotations


class DomainError(Exception):
    """A rule was broken. ``key`` is a translation key; ``field`` names the form field at fault."""

    def __init__(self, key: str, field: str | None = None, **params):
        super().__init__(key)
        self.key = key
        self.field = field
        self.params = params

    def message(self, lang: str = "en") -> str:
        from kaktus_app.i18n import translate

        return translate(self.key, lang, **self.params)


class ValidationError(DomainError):
    """One or more fields are invalid. ``errors`` maps field name -> translation key."""

    def __init__(self, errors: dict[str, str], field_params: dict[str, dict] | None = None, **params):
        first_field, first_key = next(iter(errors.items()))
        self.field_params = field_params or {}
        super().__init__(first_key, field=first_field, **{**params, **self.field_params.get(first_field, {})})
        self.errors = errors

    def messages(self, lang: str = "en") -> dict[str, str]:
        from kaktus_app.i18n import translate

        return {field: translate(key, lang, **{**self.params, **self.field_params.get(field, {})}) for field, key in self.errors.items()}


class NotFound(DomainError):
    def __init__(self, key: str = "error.not_found", **params):
        super().__init__(key, **params)


class PermissionDenied(DomainError):
    def __init__(self, key: str = "error.permission_denied", **params):
        super().__init__(key, **params)


class Conflict(DomainError):
    """Somebody else changed the record first (optimistic concurrency)."""
