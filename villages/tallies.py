"""The villages app's own metrics: who is in office, and how the two committees are built."""

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils.translation import gettext_lazy as _

from .choices import Committee, Level, PostTitle
from .metrics import ALL_PERIODS, figures, metric, rollup
from .models import Cadre, Division, Post


@metric(
    "villages.cadres_in_office",
    reads={Cadre: "division", Post: "division"},
    label=_("Cadres in office"),
    definition=_("Village cadres holding at least one current post at the end of the period."),
    kind="count",
)
def cadres_in_office(county, period):
    current = Post.objects.filter(cadre=OuterRef("pk"), start_date__lt=period.end).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=period.end)
    )
    qs = Cadre.objects.filter(Exists(current))
    return figures(rollup(qs, "division__code", county, n=Count("pk")), "n")


@metric(
    "villages.one_shoulder",
    reads={Post: "division", Division: ""},
    label=_("Secretary also chair (一肩挑)"),
    definition=_(
        "Villages whose party secretary also chairs the villagers' (residents') committee ÷ villages and "
        "communities, at the end of the period."
    ),
)
def one_shoulder(county, period):
    def holds(title, committee):
        return Post.objects.filter(
            cadre=OuterRef("cadre"), title=title, committee=committee, start_date__lt=period.end
        ).filter(Q(end_date__isnull=True) | Q(end_date__gte=period.end))

    secretaries_who_chair = Post.objects.filter(
        division=OuterRef("pk"), title=PostTitle.SECRETARY, committee=Committee.PARTY, start_date__lt=period.end
    ).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=period.end), Exists(holds(PostTitle.CHAIR, Committee.VILLAGERS))
    )
    villages = (
        Division.objects.current(period.last_day)
        .filter(level=Level.VILLAGE)
        .annotate(both=Exists(secretaries_who_chair))
    )
    grouped = rollup(villages, "code", county, villages=Count("pk"), both=Count("pk", filter=Q(both=True)))
    return figures(grouped, "both", "villages")


@metric(
    "villages.village_count",
    reads={Division: ""},
    label=_("Villages and communities"),
    definition=_("Village-level divisions in existence at the end of the period."),
    kind="count",
    periods=ALL_PERIODS,
)
def village_count(county, period):
    villages = Division.objects.current(period.last_day).filter(level=Level.VILLAGE)
    return figures(rollup(villages, "code", county, n=Count("pk")), "n")


@metric(
    "villages.households",
    reads={Division: ""},
    label=_("Registered households"),
    definition=_("Households registered in the villages and communities (the divisions' own figure)."),
    kind="count",
    periods=ALL_PERIODS,
)
def households(county, period):
    villages = Division.objects.current(period.last_day).filter(level=Level.VILLAGE)
    return figures(rollup(villages, "code", county, n=Sum("households")), "n")


# The village work records' metrics live in their own package; importing it registers them.
from .work import tallies as work_tallies  # noqa: E402,F401
