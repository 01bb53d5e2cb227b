"""Divisions from the official list: ``manage.py divisions_load`` and the service behind it and "start here"."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from tests.factories import UserFactory
from villages import reference
from villages.choices import DivisionKind, Level
from villages.models import Division
from villages.onboarding.services import divisions_load


def _load(*args) -> str:
    out = io.StringIO()
    call_command("divisions_load", *args, stdout=out)
    return out.getvalue()


def _henan_counts():
    """What the official list holds for Henan, counted from the shipped files themselves."""
    cities = [c for c in reference.cities() if c.code.startswith("41")]
    counties = [c for c in reference.counties() if c.code.startswith("41")]
    townships = [t for t in reference.townships() if t.code.startswith("41")]
    return {Level.PROVINCE: 1, Level.CITY: len(cities), Level.COUNTY: len(counties), Level.TOWNSHIP: len(townships)}


@pytest.mark.django_db
def test_province_41_creates_the_whole_chain_once(django_assert_max_num_queries):
    expected = _henan_counts()
    # 17 prefecture-level cities and 省直辖县级行政区划 (济源市 under it); 181 county-level, 2,586 township-level units.
    assert expected == {Level.PROVINCE: 1, Level.CITY: 18, Level.COUNTY: 181, Level.TOWNSHIP: 2586}
    # Bulk writes: a level at a time (and its history), not a query per division.
    with django_assert_max_num_queries(40):
        out = _load("--province", "41")
    assert "2786 created, 0 updated, 0 unchanged" in out
    for level, n in expected.items():
        assert Division.objects.filter(level=level).count() == n, level
    assert not Division.objects.exclude(code_year=2023).exists()
    assert Division.objects.get(code="411171000000").kind == DivisionKind.ZONE
    assert Division.objects.get(code="410181000000").kind == DivisionKind.COUNTY_CITY
    jiyuan = Division.objects.select_related("parent").get(code="419001000000")
    assert (jiyuan.parent.code, jiyuan.parent.kind) == ("419000000000", DivisionKind.DIRECT_COUNTIES)
    # Every division hangs on its parent, and every township on a county of its own code.
    assert not Division.objects.filter(parent__isnull=True).exclude(level=Level.PROVINCE).exists()
    for township in Division.objects.filter(level=Level.TOWNSHIP).select_related("parent")[:50]:
        assert township.parent.level == Level.COUNTY and township.code.startswith(township.parent.prefix)
    # History is kept for the bulk path too.
    assert Division.history.filter(history_type="+").count() == 2786

    out = _load("--province", "41")
    assert "0 created, 0 updated, 2786 unchanged" in out
    assert Division.objects.count() == 2786


@pytest.mark.django_db
def test_county_411103_creates_its_chain_and_townships():
    out = _load("--county", "411103")
    chain = [Division.objects.get(code=c) for c in ("410000000000", "411100000000", "411103000000")]
    assert [(d.name, d.level, d.kind) for d in chain] == [
        ("河南省", Level.PROVINCE, DivisionKind.PROVINCE),
        ("漯河市", Level.CITY, DivisionKind.CITY),
        ("郾城区", Level.COUNTY, DivisionKind.DISTRICT),
    ]
    assert chain[1].parent == chain[0] and chain[2].parent == chain[1]
    townships = Division.objects.filter(parent=chain[2]).order_by("code")
    assert [t.name for t in townships] == [
        "沙北街道", "龙塔街道", "淞江街道", "孟庙镇", "商桥镇", "裴城镇", "新店镇", "龙城镇", "李集镇", "黑龙潭镇",
    ]  # fmt: skip
    assert {t.kind for t in townships} == {DivisionKind.SUBDISTRICT, DivisionKind.TOWN}
    assert "13 created" in out
    for d in Division.objects.all():
        d.full_clean()  # what the bulk path wrote passes the model's own rules


@pytest.mark.django_db
def test_a_second_run_updates_what_changed_and_keeps_the_rest():
    _load("--county", "411103", "--county", "340827")
    Division.objects.filter(code="411103103000").update(name="裴城乡", kind=DivisionKind.TOWNSHIP)
    Division.objects.filter(code="340827000000").update(code_year=None)
    before = Division.objects.count()
    out = _load("--county", "411103", "--county", "340827")
    assert "0 created, 2 updated" in out
    assert Division.objects.count() == before
    peicheng = Division.objects.get(code="411103103000")
    assert (peicheng.name, peicheng.kind) == ("裴城镇", DivisionKind.TOWN)
    assert peicheng.history.first().history_type == "~"


@pytest.mark.django_db
def test_an_existing_tree_is_matched_by_code(tree):
    """The demo's (or a county's own) divisions are kept: the list adds what is missing and marks the year."""
    result = divisions_load(actor=None, county_codes=["411103"])
    assert result.created == 10 - 2  # 郾城区 has 10 townships; 裴城镇 and 商桥镇 exist already
    assert Division.objects.get(code="411103103201").name == "梁庄村"  # villages are not the list's business
    assert Division.objects.get(code="411103103000").code_year == 2023


@pytest.mark.django_db
def test_a_city_without_counties_loads_under_its_province():
    _load("--county", "441900")
    dongguan = Division.objects.select_related("parent").get(code="441900000000")
    assert (dongguan.level, dongguan.kind, dongguan.parent.code) == (
        Level.COUNTY,
        DivisionKind.CITY_WITHOUT_COUNTIES,
        "440000000000",
    )
    dongguan.full_clean()
    assert Division.objects.filter(parent=dongguan, level=Level.TOWNSHIP).count() > 20


@pytest.mark.django_db
def test_bad_codes_are_refused_and_nothing_is_written():
    with pytest.raises(CommandError):
        _load("--county", "4111")
    with pytest.raises(CommandError, match="999999"):
        _load("--county", "411103", "--county", "999999")
    with pytest.raises(CommandError):
        _load()
    assert not Division.objects.exists()


@pytest.mark.django_db
def test_only_a_superuser_loads_from_a_page():
    with pytest.raises(PermissionDenied):
        divisions_load(actor=UserFactory(), county_codes=["411103"])
    with pytest.raises(ValidationError):
        divisions_load(actor=UserFactory(is_superuser=True))
    assert not Division.objects.exists()


@pytest.mark.django_db
def test_the_api_says_which_list_a_division_came_from():
    from rest_framework.test import APIClient

    _load("--county", "411103")
    api = APIClient()
    api.force_authenticate(UserFactory(is_superuser=True))
    body = api.get("/api/v1/divisions/411103103000/").json()
    assert (body["name"], body["kind"], body["code_year"], body["urban_rural"]) == ("裴城镇", "town", 2023, "")
