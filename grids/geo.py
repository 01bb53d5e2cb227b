"""Grid boundaries as GeoJSON (RFC 7946), checked in Python so SQLite and PostgreSQL behave alike.

A boundary is a Polygon or MultiPolygon geometry in longitude, latitude order. The checks: the shape of the
JSON, closed rings of at least four positions, positions inside China's extent (which also catches the
common latitude-first mistake), rings with an area, and no ring crossing itself or another ring of the same
polygon. Separate polygons of a MultiPolygon are not checked against each other.
"""

import itertools
import math

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# China's extent, with a little room: longitude 73°E–136°E, latitude 3°N–54°N.
LON_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)
# A hand-drawn grid has tens of corners, a surveyed one a few hundred; beyond this the input is not a grid.
MAX_POSITIONS = 5000


def _in(value, bounds) -> bool:
    return bounds[0] <= value <= bounds[1]


def normalize_boundary(value):
    """A Feature (or a FeatureCollection of one feature) is unwrapped to its geometry; anything else passes."""
    if isinstance(value, dict):
        features = value.get("features")
        if value.get("type") == "FeatureCollection" and isinstance(features, list) and len(features) == 1:
            value = features[0]
        if value.get("type") == "Feature" and isinstance(value.get("geometry"), dict):
            value = value["geometry"]
    return value


def validate_boundary(value) -> None:
    """Raise ValidationError naming the first problem found, in terms a person drawing the grid can fix."""
    if not isinstance(value, dict):
        raise ValidationError(_("The boundary must be a GeoJSON object."), code="geojson_type")
    kind = value.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        raise ValidationError(
            _("The boundary must be a GeoJSON Polygon or MultiPolygon, not %(type)s.") % {"type": kind or _("nothing")},
            code="geojson_type",
        )
    coordinates = value.get("coordinates")
    if not isinstance(coordinates, list) or not coordinates:
        raise ValidationError(_("The boundary has no coordinates."), code="geojson_coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates
    total = 0
    for p, polygon in enumerate(polygons, start=1):
        where = _("polygon %(n)d") % {"n": p} if kind == "MultiPolygon" else ""
        if not isinstance(polygon, list) or not polygon:
            raise ValidationError(_("The boundary has a polygon without rings."), code="geojson_coordinates")
        rings = []
        for r, ring in enumerate(polygon, start=1):
            label = _("ring %(n)d") % {"n": r}
            if where:
                label = f"{where}, {label}"
            points = _ring_points(ring, label)
            total += len(points)
            if total > MAX_POSITIONS:
                raise ValidationError(
                    _("The boundary has more than %(n)d positions; simplify it.") % {"n": MAX_POSITIONS},
                    code="geojson_size",
                )
            rings.append((label, points))
        # Crossings first: a bow tie's two lobes cancel out, and "no area" would name the wrong fault.
        _check_crossings(rings)
        for label, points in rings:
            if abs(_signed_area(points)) == 0:
                raise ValidationError(
                    _("The boundary's %(ring)s has no area: its positions lie on one line.") % {"ring": label},
                    code="geojson_area",
                )


def _ring_points(ring, label) -> list[tuple[float, float]]:
    if not isinstance(ring, list):
        raise ValidationError(
            _("The boundary's %(ring)s is not a list of positions.") % {"ring": label}, code="geojson_coordinates"
        )
    points = []
    for i, position in enumerate(ring, start=1):
        if (
            not isinstance(position, list | tuple)
            or len(position) < 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in position[:2])
        ):
            raise ValidationError(
                _("The boundary's %(ring)s, position %(i)d is not a [longitude, latitude] pair of numbers.")
                % {"ring": label, "i": i},
                code="geojson_coordinates",
            )
        lon, lat = float(position[0]), float(position[1])
        if not (_in(lon, LON_RANGE) and _in(lat, LAT_RANGE)):
            if _in(lat, LON_RANGE) and _in(lon, LAT_RANGE):
                raise ValidationError(
                    _(
                        "The boundary's %(ring)s, position %(i)d reads [%(a)s, %(b)s]: that is latitude first. "
                        "GeoJSON puts longitude first: [%(b)s, %(a)s]."
                    )
                    % {"ring": label, "i": i, "a": position[0], "b": position[1]},
                    code="geojson_order",
                )
            raise ValidationError(
                _(
                    "The boundary's %(ring)s, position %(i)d [%(a)s, %(b)s] lies outside China "
                    "(longitude 73–136, latitude 3–54)."
                )
                % {"ring": label, "i": i, "a": position[0], "b": position[1]},
                code="geojson_range",
            )
        points.append((lon, lat))
    if len(points) < 4:
        raise ValidationError(
            _("The boundary's %(ring)s has %(n)d positions; a ring needs at least 4 (the last repeating the first).")
            % {"ring": label, "n": len(points)},
            code="geojson_ring_size",
        )
    if points[0] != points[-1]:
        raise ValidationError(
            _("The boundary's %(ring)s is not closed: its last position must repeat its first.") % {"ring": label},
            code="geojson_closed",
        )
    # A repeated position (a double click while drawing) is no corner; dropping it keeps the crossing test exact.
    deduplicated = [points[0]]
    for point in points[1:]:
        if point != deduplicated[-1]:
            deduplicated.append(point)
    if len(deduplicated) < 4:
        raise ValidationError(
            _("The boundary's %(ring)s has fewer than three distinct corners.") % {"ring": label},
            code="geojson_ring_size",
        )
    return deduplicated


def _signed_area(points) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(points)) / 2


def _orient(a, b, c) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a, b, p) -> bool:
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def segments_intersect(a, b, c, d) -> bool:
    """Whether segment ab and segment cd share any point (touching counts)."""
    o1, o2, o3, o4 = _orient(a, b, c), _orient(a, b, d), _orient(c, d, a), _orient(c, d, b)
    if ((o1 > 0 and o2 < 0) or (o1 < 0 and o2 > 0)) and ((o3 > 0 and o4 < 0) or (o3 < 0 and o4 > 0)):
        return True
    return (
        (o1 == 0 and _on_segment(a, b, c))
        or (o2 == 0 and _on_segment(a, b, d))
        or (o3 == 0 and _on_segment(c, d, a))
        or (o4 == 0 and _on_segment(c, d, b))
    )


def _check_crossings(rings) -> None:
    """Every pair of segments of one polygon's rings, except neighbours in a ring, must not meet.

    A sweep along the longitude keeps this near-linear for real boundaries: only segments whose longitude
    ranges overlap are compared.
    """
    segments = []
    for r, (_label, points) in enumerate(rings):
        n = len(points) - 1
        for i in range(n):
            a, b = points[i], points[i + 1]
            segments.append((min(a[0], b[0]), max(a[0], b[0]), r, i, n, a, b))
    segments.sort(key=lambda s: s[0])
    active: list[tuple] = []
    for seg in segments:
        xmin, _xmax, r, i, n, a, b = seg
        active = [s for s in active if s[1] >= xmin]
        for other in active:
            r2, j = other[2], other[3]
            if r == r2 and (abs(i - j) == 1 or abs(i - j) == n - 1):
                # Neighbours share a corner; they only go wrong by doubling back over each other.
                if _orient(a, b, other[5]) == 0 and _orient(a, b, other[6]) == 0 and _backtracks(seg, other):
                    raise _crossing(rings[r][0], rings[r2][0], i, j)
                continue
            if segments_intersect(a, b, other[5], other[6]):
                raise _crossing(rings[r][0], rings[r2][0], i, j)
        active.append(seg)


def _backtracks(seg, other) -> bool:
    """Two collinear neighbouring segments overlap beyond their shared corner (a spike)."""
    a, b = seg[5], seg[6]
    c, d = other[5], other[6]
    u = (b[0] - a[0], b[1] - a[1])
    v = (d[0] - c[0], d[1] - c[1])
    return u[0] * v[0] + u[1] * v[1] < 0


def _crossing(label1, label2, i, j) -> ValidationError:
    if label1 == label2:
        message = _("The boundary crosses itself: in %(ring)s, edges %(i)d and %(j)d meet.") % {
            "ring": label1,
            "i": min(i, j) + 1,
            "j": max(i, j) + 1,
        }
    else:
        message = _("The boundary's %(a)s and %(b)s cross or touch.") % {"a": label2, "b": label1}
    return ValidationError(message, code="geojson_self_intersection")


def bounds(geometry) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of a valid boundary, or None."""
    if not geometry:
        return None
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    lons = [p[0] for polygon in polygons for ring in polygon for p in ring]
    lats = [p[1] for polygon in polygons for ring in polygon for p in ring]
    return min(lons), min(lats), max(lons), max(lats)


def rectangle(west: float, south: float, east: float, north: float) -> dict:
    """A closed, counter-clockwise rectangular Polygon (RFC 7946 orientation for exterior rings)."""
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def convex_hull(points) -> list[list[float]]:
    """The convex hull of some (longitude, latitude) points as a closed, counter-clockwise ring (Andrew's monotone
    chain); fewer than three distinct points give an empty list. A township's outline on the map is the hull of
    its villages' grids: the platform holds no township boundary, and the hull never cuts a village."""
    unique = sorted({(round(float(x), 6), round(float(y), 6)) for x, y in points})
    if len(unique) < 3:
        return []

    def half(sequence):
        chain: list[tuple[float, float]] = []
        for p in sequence:
            while len(chain) >= 2 and _orient(chain[-2], chain[-1], p) <= 0:
                chain.pop()
            chain.append(p)
        return chain[:-1]

    ring = half(unique) + half(reversed(unique))
    if len(ring) < 3:
        return []
    return [[x, y] for x, y in [*ring, ring[0]]]


def ring_centre(ring) -> list[float]:
    """Where a ring's label goes: the centroid of its area (the mean of its corners for a degenerate one)."""
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if not area:
        return [sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)]
    return [round(cx / (3 * area), 6), round(cy / (3 * area), 6)]


def schematic_cells(n: int, west: float, south: float, east: float, north: float, margin: float = 0.04):
    """``n`` boxes (west, south, east, north) filling a box row by row, each shrunk by a margin: where a map places
    divisions that have no boundary, as a schematic (示意图) rather than a blank."""
    cols = max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / cols))
    w, h = (east - west) / cols, (north - south) / rows
    for i in range(n):
        c, r = i % cols, i // cols
        x0, y0 = west + c * w, north - (r + 1) * h
        yield x0 + margin * w, y0 + margin * h, x0 + (1 - margin) * w, y0 + (1 - margin) * h
