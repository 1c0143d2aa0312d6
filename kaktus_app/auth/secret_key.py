"""The application's secret key: from KAKTUS_SECRET_KEY, else generated once into data/secret.key.

Nothing secret lives in the repository. The key encrypts what must be reversible at rest (the
two-factor seeds); passwords and session tokens are hashed instead.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

DEFAULT_PATH = Path(os.environ.get("KAKTUS_SECRET_FILE", "data/secret.key"))


@lru_cache(maxsize=1)
def secret_key() -> bytes:
    from_env = os.environ.get("KAKTUS_SECRET_KEY", "").strip()
    if from_env:
        return from_env.encode()
    path = DEFAULT_PATH
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip().encode()


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"kaktus-fernet:" + secret_key()).digest()))


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str | None:
    """The plain text, or None when the key changed (the value can no longer be read)."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None
