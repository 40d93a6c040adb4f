from rest_framework.permissions import BasePermission

from apps.accounts.authentication import SESSION_CREDENTIAL, Credential


def request_credential(request) -> Credential:
    return request.auth if isinstance(request.auth, Credential) else SESSION_CREDENTIAL


class HasApiScope(BasePermission):
    """Authenticated, with the scope the view asks for (`required_scope`, `api` by default)."""

    message = "This credential lacks the required scope."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        scope = getattr(view, "required_scope", "api")
        if not request_credential(request).allows(scope):
            self.message = f"This credential lacks the '{scope}' scope."
            return False
        return True
