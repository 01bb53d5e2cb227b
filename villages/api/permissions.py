from rest_framework import permissions

from villages.scopes import is_read_only, is_unrestricted, user_scopes


class HasScope(permissions.BasePermission):
    """Signed in, holding at least one scope; read-only roles (API clients) may only read.

    What lies in scope is decided by each view's queryset (``visible_to``) and, for writes, by the service
    (``require_role``); this class only turns away users who have no business with the API at all.
    """

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if is_unrestricted(user):
            return True
        if not user_scopes(user):
            return False
        return request.method in permissions.SAFE_METHODS or not is_read_only(user)
