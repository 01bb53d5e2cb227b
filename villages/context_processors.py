from .scopes import user_scopes


def scopes(request):
    """The signed-in user's scopes, for the navigation (read once per request, cached on the user)."""
    user = getattr(request, "user", None)
    return {"user_scopes": user_scopes(user) if user is not None else []}
