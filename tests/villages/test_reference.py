"""The official list the platform ships (villages/reference/nbs-2023) and the one rule that gives every row a kind."""

import collections
import csv
import gzip
import hashlib
import io

import pytest

from villages import reference
from villages.choices import KINDS_BY_LEVEL, DivisionKind, Level, UrbanRural
from villages.reference import infer_kind, village_kind

CHECKSUMS = {
    "provinces.csv": "b17e76dab634e24e0f56021f15737c0a526dc7f0c4e39d21abeba5a8668383cd",
    "cities.csv": "a9c818e8a5120189173668b40882ce8bf59a7ec2b057c49d7a724a04bec727f2",
    "areas.csv": "169b8d99654c28cbd285e771e00688837f77af8d50c2b703592146388d2a99ab",
    "streets.csv": "831dc1c483079cee166717118e57f4b69ef6212c699dbd4bff868b59513ac14b",
}


def _raw(name: str) -> bytes:
    path = reference.DATA_DIR / name
    if path.exists():
        return path.read_bytes()
    return gzip.decompress(path.with_name(name + ".gz").read_bytes())


@pytest.mark.parametrize("name", sorted(CHECKSUMS))
def test_the_shipped_files_are_the_published_ones(name):
    assert hashlib.sha256(_raw(name)).hexdigest() == CHECKSUMS[name]
    assert (reference.DATA_DIR / "README.md").read_text().count("WTFPL") == 1  # the licence note travels with it


def test_row_counts_match_the_readme():
    assert (len(reference.provinces()), len(reference.cities())) == (31, 342)
    # One township-level row is 金门县 itself (350527000): it is no township.
    assert (len(reference.counties()), len(reference.townships())) == (2978, 41352 - 1)


def test_every_row_of_the_whole_list_gets_a_kind_of_its_level():
    rows = [*reference.provinces(), *reference.cities(), *reference.counties(), *reference.townships()]
    wrong = [(r.code, r.name, r.kind) for r in rows if r.kind not in KINDS_BY_LEVEL[r.level]]
    assert not wrong
    # Every kind the list needs exists, and each level uses several: nothing collapsed into one catch-all.
    used = collections.defaultdict(set)
    for r in rows:
        used[r.level].add(r.kind)
    assert used[Level.COUNTY] == KINDS_BY_LEVEL[Level.COUNTY]
    assert used[Level.TOWNSHIP] == KINDS_BY_LEVEL[Level.TOWNSHIP]
    assert used[Level.CITY] == KINDS_BY_LEVEL[Level.CITY]
    assert used[Level.PROVINCE] == KINDS_BY_LEVEL[Level.PROVINCE]


def test_suffixes_decide_where_no_exception_applies():
    by_kind = collections.Counter(r.kind for r in reference.townships())
    names = {r.kind: [] for r in reference.townships()}
    for r in reference.townships():
        names[r.kind].append(r.name)
    assert all(n.endswith("镇") for n in names[DivisionKind.TOWN])
    assert all(n.endswith("乡") and not n.endswith("民族乡") for n in names[DivisionKind.TOWNSHIP])
    assert all(n.endswith("民族乡") for n in names[DivisionKind.ETHNIC_TOWNSHIP])
    assert all(n.endswith("苏木") for n in names[DivisionKind.SUMU] + names[DivisionKind.ETHNIC_SUMU])
    # Most of the list is plain towns, townships and subdistricts; the rest is small and named.
    assert by_kind[DivisionKind.TOWN] + by_kind[DivisionKind.TOWNSHIP] + by_kind[DivisionKind.SUBDISTRICT] > 38000
    assert by_kind[DivisionKind.OTHER] < 0.01 * len(reference.townships())


def _row(code):
    return next(r for r in (*reference.counties(), *reference.townships()) if r.code == code.ljust(12, "0"))


@pytest.mark.parametrize(
    ("code", "name", "kind"),
    [
        ("411103", "郾城区", DivisionKind.DISTRICT),
        ("411171", "漯河经济技术开发区", DivisionKind.ZONE),
        ("410181", "巩义市", DivisionKind.COUNTY_CITY),
        ("340827", "望江县", DivisionKind.COUNTY),
        ("441900", "东莞市", DivisionKind.CITY_WITHOUT_COUNTIES),
        ("429021", "神农架林区", DivisionKind.FORESTRY_DISTRICT),
        ("520203", "六枝特区", DivisionKind.SPECIAL_DISTRICT),
        ("310115", "浦东新区", DivisionKind.DISTRICT),  # a 新区 that is an ordinary district
        ("130302", "海港区", DivisionKind.DISTRICT),  # …港区, yet no zone
        ("411103001", "沙北街道", DivisionKind.SUBDISTRICT),
        ("411103103", "裴城镇", DivisionKind.TOWN),
        ("340827200", "凉泉乡", DivisionKind.TOWNSHIP),
        ("340827400", "望江县经济开发区", DivisionKind.ZONE),
    ],
)
def test_known_examples(code, name, kind):
    row = _row(code)
    assert (row.name, row.kind) == (name, kind)


def test_autonomous_counties_banners_ethnic_townships_and_farms():
    counties = {r.name: r.kind for r in reference.counties()}
    assert counties["长阳土家族自治县"] == DivisionKind.AUTONOMOUS_COUNTY
    assert counties["鄂伦春自治旗"] == DivisionKind.AUTONOMOUS_BANNER
    assert any(k == DivisionKind.BANNER for n, k in counties.items() if n.endswith("旗") and "自治" not in n)
    townships = [(r.name, r.kind) for r in reference.townships()]
    ethnic = [n for n, k in townships if k == DivisionKind.ETHNIC_TOWNSHIP]
    assert ethnic and all(n.endswith("民族乡") for n in ethnic)
    farms = [n for n, k in townships if k == DivisionKind.FARM]
    assert any(n.endswith("农场") for n in farms) and not any(n.endswith("机场") for n in farms)
    assert any(k == DivisionKind.FOREST_FARM and n.endswith("林场") for n, k in townships)


def test_province_and_city_kinds():
    provinces = {r.name: r.kind for r in reference.provinces()}
    assert provinces["河南省"] == DivisionKind.PROVINCE
    assert provinces["北京市"] == DivisionKind.MUNICIPALITY
    assert provinces["广西壮族自治区"] == DivisionKind.AUTONOMOUS_REGION
    cities = {r.code[:4]: r.kind for r in reference.cities()}
    assert cities["4111"] == DivisionKind.CITY
    assert cities["4190"] == DivisionKind.DIRECT_COUNTIES  # 省直辖县级行政区划
    assert cities["1101"] == DivisionKind.CITY_DISTRICTS  # 北京 市辖区
    assert cities["5002"] == DivisionKind.CITY_COUNTIES  # 重庆 县
    assert cities["6529"] == DivisionKind.PREFECTURE  # 阿克苏地区
    assert cities["1529"] == DivisionKind.LEAGUE  # 阿拉善盟


def test_a_city_without_counties_is_its_own_county_under_the_province():
    dongguan = next(r for r in reference.counties() if r.code.startswith("441900"))
    assert (dongguan.kind, dongguan.parent_code) == (DivisionKind.CITY_WITHOUT_COUNTIES, "440000000000")
    assert "441900000000" in reference.cities_replaced_by_county()
    codes = [r.code for r in reference.all_rows()]
    assert len(codes) == len(set(codes)), "no two rows share a 12-digit code"
    # 嘉峪关 has a county code of its own (620201): both rows stay.
    assert "620200000000" not in reference.cities_replaced_by_county()


def test_henan_selection_counts_come_from_the_data():
    raw_cities = list(csv.DictReader(io.StringIO(_raw("cities.csv").decode())))
    henan_cities = [c for c in raw_cities if c["provinceCode"] == "41"]
    assert len(henan_cities) == 18 and sum(c["name"] == "省直辖县级行政区划" for c in henan_cities) == 1
    rows = reference.selection(province_codes=["41"])
    by_level = collections.Counter(r.level for r in rows)
    assert by_level == {Level.PROVINCE: 1, Level.CITY: 18, Level.COUNTY: 181, Level.TOWNSHIP: 2586}


def test_infer_kind_refuses_the_village_level():
    with pytest.raises(ValueError):
        infer_kind(Level.VILLAGE, "梁庄村", "411103103201")


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("111", DivisionKind.COMMUNITY),
        ("112", DivisionKind.COMMUNITY),
        ("121", DivisionKind.COMMUNITY),
        ("122", DivisionKind.COMMUNITY),
        ("123", DivisionKind.COMMUNITY),
        ("210", DivisionKind.VILLAGE),
        ("220", DivisionKind.VILLAGE),
        ("", None),
        (None, None),
        ("9", None),
    ],
)
def test_village_or_community_from_the_urban_rural_code(code, kind):
    assert village_kind(code) == kind
    if code:
        assert (code in UrbanRural.values) == (kind is not None)


def test_every_kind_has_a_ledger_label():
    """What the official list made exports to the division ledger and imports back."""
    from villages.ledgers import KIND_LABELS

    assert set(KIND_LABELS.values()) == set(DivisionKind)
    assert len(set(KIND_LABELS.values())) == len(KIND_LABELS)
