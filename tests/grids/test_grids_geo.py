"""Grid boundaries: GeoJSON polygons checked in Python, with errors a person drawing the grid can act on."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from grids import services
from grids.geo import MAX_POSITIONS, normalize_boundary, rectangle, segments_intersect, validate_boundary
from grids.models import Grid

SQUARE = [[114.0, 33.6], [114.01, 33.6], [114.01, 33.61], [114.0, 33.61], [114.0, 33.6]]


def polygon(*rings):
    return {"type": "Polygon", "coordinates": [list(r) for r in rings]}


def message(value) -> str:
    """The error in English, the language the messages are written in (the UI shows the translation)."""
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        validate_boundary(value)
    return " ".join(exc.value.messages)


def code(value) -> str:
    with pytest.raises(ValidationError) as exc:
        validate_boundary(value)
    return exc.value.code


def test_valid_polygons_pass():
    validate_boundary(polygon(SQUARE))
    validate_boundary(rectangle(113.9, 33.5, 113.95, 33.55))
    hole = [[114.002, 33.602], [114.004, 33.602], [114.004, 33.604], [114.002, 33.602]]
    validate_boundary(polygon(SQUARE, hole))
    validate_boundary({"type": "MultiPolygon", "coordinates": [[SQUARE], [[[p[0] + 0.1, p[1]] for p in SQUARE]]]})
    # A third number (altitude) is allowed by GeoJSON and ignored.
    validate_boundary(polygon([[*p, 60.0] for p in SQUARE]))
    # A repeated position from a double click is not a corner.
    validate_boundary(polygon([SQUARE[0], SQUARE[1], SQUARE[1], SQUARE[2], SQUARE[3], SQUARE[4]]))


@pytest.mark.parametrize(
    "value",
    [
        {"type": "Point", "coordinates": [114.0, 33.6]},
        {"type": "LineString", "coordinates": SQUARE},
        {"type": "FeatureCollection", "features": []},
        {"coordinates": [SQUARE]},
    ],
)
def test_not_a_polygon(value):
    text = message(value)
    assert "Polygon or MultiPolygon" in text
    assert code(value) == "geojson_type"


def test_not_an_object_or_no_coordinates():
    assert code("POLYGON((114 33.6, …))") == "geojson_type"
    assert code({"type": "Polygon", "coordinates": []}) == "geojson_coordinates"
    assert code({"type": "Polygon", "coordinates": [[["114", "33.6"]] * 4]}) == "geojson_coordinates"
    assert "[longitude, latitude]" in message({"type": "Polygon", "coordinates": [[[114.0]] * 4]})
    assert code({"type": "Polygon", "coordinates": [[[True, 33.6]] * 4]}) == "geojson_coordinates"


def test_a_feature_is_unwrapped_before_checking():
    geometry = polygon(SQUARE)
    assert normalize_boundary({"type": "Feature", "properties": {}, "geometry": geometry}) == geometry
    collection = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": geometry}]}
    assert normalize_boundary(collection) == geometry


def test_ring_must_be_closed_and_long_enough():
    assert code(polygon(SQUARE[:-1])) == "geojson_closed"
    assert "not closed" in message(polygon(SQUARE[:-1]))
    short = [SQUARE[0], SQUARE[1], SQUARE[0]]
    assert code(polygon(short)) == "geojson_ring_size"
    assert "at least 4" in message(polygon(short))
    # Four positions, but only two distinct corners once the repeat is dropped.
    assert code(polygon([SQUARE[0], SQUARE[1], SQUARE[1], SQUARE[0]])) == "geojson_ring_size"


def test_latitude_first_is_caught_and_the_fix_named():
    swapped = [[lat, lon] for lon, lat in SQUARE]
    text = message(polygon(swapped))
    assert code(polygon(swapped)) == "geojson_order"
    assert "latitude first" in text
    assert "[114.0, 33.6]" in text  # the position as it should be written


def test_outside_china_is_refused():
    far = [[p[0] - 100, p[1]] for p in SQUARE]  # longitude 14°E: Europe
    assert code(polygon(far)) == "geojson_range"
    assert "outside China" in message(polygon(far))


def test_bow_tie_crosses_itself():
    bow_tie = [[114.0, 33.6], [114.01, 33.61], [114.01, 33.6], [114.0, 33.61], [114.0, 33.6]]
    text = message(polygon(bow_tie))
    assert code(polygon(bow_tie)) == "geojson_self_intersection"
    assert "crosses itself" in text
    assert "edges 1 and 3" in text


def test_ring_touching_itself_at_a_corner_is_refused():
    # A figure eight: the ring passes through (114.01, 33.61) twice.
    eight = [
        [114.0, 33.6], [114.01, 33.61], [114.02, 33.6], [114.02, 33.62], [114.01, 33.61], [114.0, 33.62],
        [114.0, 33.6],
    ]  # fmt: skip
    assert code(polygon(eight)) == "geojson_self_intersection"


def test_spike_doubling_back_is_refused():
    spike = [[114.0, 33.6], [114.02, 33.6], [114.01, 33.6], [114.01, 33.61], [114.0, 33.6]]
    assert code(polygon(spike)) == "geojson_self_intersection"


def test_hole_crossing_the_outer_ring_is_refused():
    hole = [[114.005, 33.605], [114.02, 33.605], [114.02, 33.607], [114.005, 33.605]]
    text = message(polygon(SQUARE, hole))
    assert code(polygon(SQUARE, hole)) == "geojson_self_intersection"
    assert "ring 1" in text and "ring 2" in text


def test_flat_ring_has_no_area():
    line = [[114.0, 33.6], [114.01, 33.6], [114.02, 33.6], [114.0, 33.6]]
    assert code(polygon(line)) in {"geojson_area", "geojson_self_intersection"}
    # Collinear corners: the closing edge runs back over the others.
    assert code(polygon([[114.0, 33.6], [114.01, 33.61], [114.02, 33.62], [114.0, 33.6]])) in {
        "geojson_area",
        "geojson_self_intersection",
    }


def test_multipolygon_names_the_polygon():
    bow_tie = [[114.0, 33.6], [114.01, 33.61], [114.01, 33.6], [114.0, 33.61], [114.0, 33.6]]
    text = message({"type": "MultiPolygon", "coordinates": [[SQUARE], [bow_tie[:-1]]]})
    assert "polygon 2" in text


def test_too_many_positions():
    n = MAX_POSITIONS + 10
    ring = [[114.0 + 0.01 * i / n, 33.6 + 0.001 * (i % 2)] for i in range(n)]
    ring.append(ring[0])
    assert code(polygon(ring)) == "geojson_size"


def test_many_positions_are_checked_quickly_and_correctly():
    # A 2,000-corner circle-like ring: valid; the sweep keeps this near-linear.
    import math

    angles = [2 * math.pi * i / 2000 for i in range(2000)]
    ring = [[114.0 + 0.01 * math.cos(a), 33.6 + 0.01 * math.sin(a)] for a in angles]
    ring.append(ring[0])
    validate_boundary(polygon(ring))


def test_segment_intersection_cases():
    assert segments_intersect((0, 0), (2, 2), (0, 2), (2, 0))  # crossing
    assert segments_intersect((0, 0), (2, 0), (1, 0), (3, 0))  # collinear overlap
    assert segments_intersect((0, 0), (2, 0), (2, 0), (2, 2))  # touching at an end
    assert not segments_intersect((0, 0), (1, 0), (2, 0), (3, 0))  # collinear, apart
    assert not segments_intersect((0, 0), (1, 1), (0, 1), (0.4, 0.6))  # parallel, apart


def test_service_refuses_a_bad_boundary_and_saves_nothing(tree):
    tree.users.township.refresh_from_db()
    bow_tie = [[114.0, 33.6], [114.01, 33.61], [114.01, 33.6], [114.0, 33.61], [114.0, 33.6]]
    with pytest.raises(ValidationError) as exc:
        services.grid_create(
            actor=tree.users.township,
            village=tree.liangzhuang,
            code=tree.liangzhuang.code + "001",
            name="第一网格",
            kind="comprehensive",
            boundary={"type": "Feature", "geometry": polygon(bow_tie)},
        )
    assert "boundary" in exc.value.error_dict
    assert not Grid.objects.exists()
    grid = services.grid_create(
        actor=tree.users.township,
        village=tree.liangzhuang,
        code=tree.liangzhuang.code + "001",
        name="第一网格",
        kind="comprehensive",
        boundary={"type": "Feature", "geometry": polygon(SQUARE)},
    )
    assert grid.boundary == polygon(SQUARE)
