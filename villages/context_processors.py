from django.utils.functional import SimpleLazyObject

from .nav import nav_links
from .scopes import user_scopes


def scopes(request):
    """The signed-in user's scopes and the apps' entries they may open, for the navigation (scopes are read once
    per request, cached on the user; the entries cost no query)."""
    user = getattr(request, "user", None)
    if user is None:
        return {"user_scopes": [], "nav_links": []}
    return {"user_scopes": user_scopes(user), "nav_links": SimpleLazyObject(lambda: nav_links(user))}


def figures_source(request):
    """Where the page's figures were read: ``replica_lag`` (seconds behind the primary) when from a replica."""
    found = getattr(request, "replica_lag", None)
    return {"replica_lag": None if found is None else round(found.seconds, 1)}
