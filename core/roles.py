"""Role checks shared by every app's pages and API."""

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from rest_framework import permissions

from accounts.models import Role

STAFF_READERS = (Role.ADMIN, Role.BROKER, Role.COMMISSIONER, Role.FINANCE)


def has_role(user, *roles):
    return bool(user and user.is_authenticated and user.is_active and user.role in roles)


def require_role(user, *roles):
    """Raise PermissionDenied (403) unless the user holds one of the roles."""
    if not has_role(user, *roles):
        raise PermissionDenied


class RoleRequiredMixin(AccessMixin):
    """For pages: anonymous users go to the login page, wrong roles get 403."""

    allowed_roles: tuple = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        require_role(request.user, *self.allowed_roles)
        return super().dispatch(request, *args, **kwargs)


def role_permission(*roles, read_roles=None):
    """A DRF permission class: `roles` may do anything, `read_roles` may read."""
    read = tuple(read_roles or ()) + tuple(roles)

    class _RolePermission(permissions.BasePermission):
        def has_permission(self, request, view):
            if request.method in permissions.SAFE_METHODS:
                return has_role(request.user, *read)
            return has_role(request.user, *roles)

    _RolePermission.__name__ = f"RolePermission_{'_'.join(roles)}"
    return _RolePermission
