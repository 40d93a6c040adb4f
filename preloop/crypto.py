"""Encryption of secrets at rest, and hashing of secrets we only ever need to compare."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(secret_key: str, encryption_key: str) -> Fernet:
    if encryption_key:
        try:
            return Fernet(encryption_key.encode())
        except ValueError:
            material = encryption_key.encode()
    else:
        material = secret_key.encode()
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"preloop-secrets-at-rest", info=b"fernet").derive(
        material
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def fernet() -> Fernet:
    return _fernet(settings.SECRET_KEY, settings.PRELOOP_ENCRYPTION_KEY)


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError("stored secret cannot be decrypted with the current encryption key") from error


def secret_hash(secret: str) -> str:
    """SHA-256 of a high-entropy secret (API keys, link tokens); salting adds nothing for those."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secrets_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def mask(secret: str, visible: int = 4) -> str:
    """What the API shows of a stored secret: its last few characters at most."""
    if not secret:
        return ""
    if len(secret) <= visible * 2:
        return "••••"
    return "••••" + secret[-visible:]


class EncryptedTextField(models.TextField):
    """A text column stored Fernet-encrypted; reads give the plaintext back."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
