from django.db.models import Q

from apps.accounts.models import ApiKey, User


def api_key_list(*, user: User):
    return ApiKey.objects.filter(user=user)


def api_key_get(*, user: User, api_key_id) -> ApiKey:
    return ApiKey.objects.get(user=user, id=api_key_id)


def user_find_for_login(identifier: str) -> User | None:
    """The user whose email or username matches, case-insensitively."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    return User.objects.filter(Q(email__iexact=identifier) | Q(username__iexact=identifier)).first()
