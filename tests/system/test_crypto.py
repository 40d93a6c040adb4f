import pytest
from cryptography.fernet import Fernet

from preloop.crypto import decrypt, encrypt, mask


def test_secrets_round_trip_and_are_not_stored_in_clear():
    token = encrypt("ghp_secret")
    assert "ghp_secret" not in token and decrypt(token) == "ghp_secret"


def test_the_key_is_derived_from_secret_key_unless_set(settings):
    settings.PRELOOP_ENCRYPTION_KEY = ""
    derived = encrypt("value")
    settings.PRELOOP_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(ValueError, match="cannot be decrypted"):
        decrypt(derived)
    assert decrypt(encrypt("value")) == "value"


def test_a_changed_secret_key_cannot_read_old_secrets(settings):
    settings.PRELOOP_ENCRYPTION_KEY = ""
    stored = encrypt("value")
    settings.SECRET_KEY = "another secret key entirely, fifty characters long!!"
    with pytest.raises(ValueError):
        decrypt(stored)


@pytest.mark.parametrize(("secret", "shown"), [("", ""), ("short", "••••"), ("ghp_abcdefghijkl", "••••ijkl")])
def test_masks_show_at_most_the_last_four_characters(secret, shown):
    assert mask(secret) == shown
