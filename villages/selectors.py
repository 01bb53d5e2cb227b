"""Reads for the villages app: scoped querysets and aggregates, with the joins their pages need."""

from django.db.models import Count, Prefetch, Q

from .choices import TITLE_RANK, Level
from .models import Adjustment, Cadre, Division, Post
from .scopes import user_scopes


def division_list(*, user, parent: Division | None = None, level: str | None = None, q: str = ""):
    qs = Division.objects.visible_to(user).select_related("parent").annotate(children_count=Count("children"))
    if parent is not None:
        qs = qs.filter(parent=parent)
    if level:
        qs = qs.filter(level=level)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    return qs.order_by("code")


def division_children_with_counts(*, division: Division, q: str = ""):
    """Child divisions with how many villages and current cadres lie under each (one query)."""
    children = division.children.all()
    if q:
        children = children.filter(Q(name__icontains=q) | Q(code__startswith=q))
    if division.child_level == Level.VILLAGE:
        return children.annotate(
            cadre_count=Count("cadres", filter=Q(cadres__active=True), distinct=True),
        ).order_by("code")
    return children.annotate(
        village_count=Count("children", filter=Q(children__level=Level.VILLAGE), distinct=True),
    ).order_by("code")


def village_count_below(division: Division) -> int:
    if division.is_village:
        return 1
    return Division.objects.filter(level=Level.VILLAGE, code__startswith=division.prefix).count()


def user_home_divisions(user) -> list[Division]:
    """The top divisions of the user's scopes, for the landing page and the navigation."""
    ids = [s.division_id for s in user_scopes(user)]
    if getattr(user, "is_superuser", False) and not ids:
        return list(Division.objects.filter(parent__isnull=True))
    return list(Division.objects.filter(pk__in=ids).order_by("code"))


def village_committees(*, division: Division) -> dict:
    """The village's current committees: {committee: [posts with their cadre]} and cadres without a post."""
    posts = sorted(
        Post.objects.filter(division=division, end_date__isnull=True).select_related("cadre"),
        key=lambda p: (TITLE_RANK[p.title], p.start_date, p.pk),
    )
    return {"posts": posts}


def cadre_list(*, user, division: Division | None = None):
    qs = (
        Cadre.objects.visible_to(user)
        .select_related("division")
        .prefetch_related(
            Prefetch("posts", queryset=Post.objects.filter(end_date__isnull=True), to_attr="current_posts")
        )
    )
    if division is not None:
        qs = qs.filter(division__code__startswith=division.prefix)
    return qs


def adjustment_list(*, user, division: Division | None = None):
    qs = Adjustment.objects.visible_to(user).select_related("division", "outgoing", "incoming", "post")
    if division is not None:
        qs = qs.filter(division__code__startswith=division.prefix)
    return qs
