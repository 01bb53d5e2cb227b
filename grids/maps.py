"""The dashboard map's data: each village drawn as its grids, each township as the outline of its villages, and for
each figure the village could be coloured by, its classes chosen from the data.

Villages have no outline of their own: a village is the union of its grids' GeoJSON boundaries, a township the
convex hull of its villages' grids. Where no village under the division has a drawn grid (a county whose grids
are not mapped yet), the villages are laid out as a schematic (示意图) by township, so the figures still show on a
map and the page says so.

Classes come from the data (quantiles of the villages' values, at most five), and a village whose figure rests on
too few cases (a rate over fewer than ``MIN_CASES``, a count per 1,000 households over fewer than
``MIN_HOUSEHOLDS``) is drawn as "too few to rate" rather than as 0% or 100%.
"""

import bisect
from collections import defaultdict

from django.urls import reverse
from django.utils.translation import gettext as _

from villages.choices import Level
from villages.dashboard import per, percent, rate_of
from villages.models import Division, Snapshot

from .geo import convex_hull, rectangle, ring_centre, schematic_cells
from .selectors import grid_list

# A rate over fewer cases than this says more about chance than about the village.
MIN_CASES = 5
# A count per 1,000 households over fewer households than this, likewise.
MIN_HOUSEHOLDS = 50
CLASSES = 5
TOO_FEW = "too_few"
# Where a schematic map is drawn (any box does: the map has no tiles; this one keeps cells about square).
SCHEMATIC_BOX = (116.0, 30.0, 116.48, 30.36)


def map_data(*, division: Division, period: str, figures: list[tuple[str, str]], request) -> dict:
    """The map's GeoJSON and classes: one query for the boundaries, one for the snapshots (and one for the
    divisions on a schematic map)."""
    boundaries: dict[str, list] = defaultdict(list)
    names: dict[str, str] = {}
    townships: dict[str, tuple[str, str]] = {}
    for code, name, township_code, township_name, boundary in (
        grid_list(user=request.user, division=division)
        .filter(boundary__isnull=False)
        .values_list("village__code", "village__name", "village__parent__code", "village__parent__name", "boundary")
    ):
        polygons = boundary["coordinates"] if boundary.get("type") == "MultiPolygon" else [boundary["coordinates"]]
        boundaries[code].extend(polygons)
        names[code] = name
        townships[code] = (township_code, township_name)
    schematic = not boundaries
    if schematic:
        boundaries, names, townships = _schematic(division)
    metrics = [m for m, _how in figures] + ["villages.households"]
    found = _village_snapshots(division, metrics, period)

    features = []
    for code in sorted(boundaries):
        households = getattr(found.get((code, "villages.households")), "numerator", None)
        values, details, few = {}, {}, {}
        for key, how in figures:
            s = found.get((code, key))
            if how == "rate":
                values[key] = rate_of(s)
                details[key] = f"{percent(rate_of(s))} ({s.numerator:,}/{s.denominator:,})" if s else "—"
                few[key] = bool(s and s.denominator and s.denominator < MIN_CASES)
            else:
                values[key] = per(s.numerator, households, 1000) if s else None
                details[key] = (
                    _("%(rate)s per 1,000 households (%(n)s cases, %(households)s households)")
                    % {"rate": f"{values[key]:,.1f}", "n": f"{s.numerator:,}", "households": f"{households:,}"}
                    if s and values[key] is not None
                    else "—"
                )
                few[key] = bool(values[key] is not None and households < MIN_HOUSEHOLDS)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "MultiPolygon", "coordinates": boundaries[code]},
                "properties": {
                    "code": code,
                    "name": names[code],
                    "township": townships[code][0],
                    "url": reverse("villages:division", args=[code]) + f"?period={period}",
                    "values": values,
                    "details": details,
                    "too_few": few,
                    "classes": {},
                },
            }
        )
    bins = {}
    for key, how in figures:
        props = [f["properties"] for f in features]
        rated = [p["values"][key] for p in props if p["values"][key] is not None and not p["too_few"][key]]
        cuts, labels = quantile_classes(rated, how)
        bins[key] = {"labels": labels, "better": "higher" if how == "rate" else "lower"}
        for f in features:
            p = f["properties"]
            if p["too_few"][key]:
                p["classes"][key] = TOO_FEW
            elif p["values"][key] is None:
                p["classes"][key] = None
            else:
                p["classes"][key] = bisect.bisect_right(cuts, p["values"][key]) - 1
    return {
        "features": {"type": "FeatureCollection", "features": features},
        "townships": {"type": "FeatureCollection", "features": _township_outlines(features, townships)},
        "bins": bins,
        "schematic": schematic,
        "labels": {
            "no_data": _("No figure"),
            "too_few": _("Too few cases to rate (under %(cases)d, or under %(households)d households)")
            % {"cases": MIN_CASES, "households": MIN_HOUSEHOLDS},
            "legend_note": _("Classes: villages split into equal-sized groups by their figure"),
        },
    }


def quantile_classes(values: list[float], how: str, n: int = CLASSES) -> tuple[list[float], list[str]]:
    """Class lower bounds from the data (quantiles, ties merged, at most ``n`` classes) and each class's label
    stating the range of the values in it (e.g. "72.0%–85.3%")."""
    ordered = sorted(values)
    if not ordered:
        return [], []
    cuts = sorted({ordered[(k * len(ordered)) // n] for k in range(n)})
    members: list[list[float]] = [[] for _cut in cuts]
    for v in ordered:
        members[bisect.bisect_right(cuts, v) - 1].append(v)

    def show(v):
        return f"{v * 100:.1f}%" if how == "rate" else f"{v:,.1f}"

    labels = []
    for group in members:
        low, high = show(group[0]), show(group[-1])
        labels.append((low if low == high else f"{low}–{high}") + " " + _("(%(n)d villages)") % {"n": len(group)})
    return cuts, labels


def _township_outlines(features, townships) -> list[dict]:
    points: dict[str, list] = defaultdict(list)
    for f in features:
        code = f["properties"]["code"]
        for polygon in f["geometry"]["coordinates"]:
            points[townships[code][0]].extend(polygon[0])
    names = dict(townships.values())
    outlines = []
    for code in sorted(points):
        ring = convex_hull(points[code])
        if not ring:
            continue
        outlines.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"code": code, "name": names[code], "centre": ring_centre(ring)},
            }
        )
    return outlines


def _schematic(division: Division):
    """Villages as cells of their township's block, townships as blocks in rows: a map of the division with no
    drawn grid (one query)."""
    villages = list(
        Division.objects.current()
        .filter(level=Level.VILLAGE, code__startswith=division.prefix)
        .select_related("parent")
        .order_by("code")
    )
    by_township: dict[str, list[Division]] = defaultdict(list)
    for v in villages:
        by_township[v.parent.code if v.parent_id else division.code].append(v)
    boundaries, names, townships = {}, {}, {}
    blocks = schematic_cells(len(by_township), *SCHEMATIC_BOX, margin=0.03)
    for (_code, members), block in zip(sorted(by_township.items()), blocks, strict=True):
        for village, cell in zip(members, schematic_cells(len(members), *block, margin=0.06), strict=True):
            boundaries[village.code] = [rectangle(*cell)["coordinates"]]
            names[village.code] = village.name
            parent = village.parent or division
            townships[village.code] = (parent.code, parent.name)
    return boundaries, names, townships


def _village_snapshots(division, metrics, period):
    """The villages' figures under the division: one query."""
    rows = Snapshot.objects.filter(
        division_code__startswith=division.prefix, metric__in=metrics, period=period, division__level=Level.VILLAGE
    ).only("division_code", "metric", "numerator", "denominator")
    return {(s.division_code, s.metric): s for s in rows}
