"""The official list of divisions the platform ships (NBS statistical division codes, 2023): reading it, and the
one rule that gives each row a kind. See ``nbs-2023/README.md`` for the source, the licence and the list's oddities.

Village-level units are not in the list (a county holds its own village file); for them ``village_kind`` reads the
NBS urban-rural code (城乡分类代码) where the file gives no type: 1xx (urban) → community, 2xx (rural) → village.
"""

import csv
import gzip
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..choices import DivisionKind, Level

CODE_YEAR = 2023
DATA_DIR = Path(__file__).resolve().parent / f"nbs-{CODE_YEAR}"

# The four municipalities directly under the central government are province-level "市".
_MUNICIPALITIES = {"11", "12", "31", "50"}

# Words that make a township-level row a zone (开发区, 示范区 …) whatever its last character (county-level zones
# are told by their codes instead: see infer_kind).
_ZONE_WORDS = (
    "开发区", "示范区", "园区", "新区", "管理区", "试验区", "实验区", "合作区", "工业区", "产业区", "集聚区",
    "功能区", "保税区", "物流区", "港区", "旅游区", "景区", "胜区", "度假区", "管委会", "基地", "新城", "聚集区",
    "商务区", "生态区", "高新区", "服务区", "开放区", "片区", "工业园", "产业园", "科技园", "经济区", "机场",
    "科技城", "生态城", "集中区", "保护区", "管理处", "管理委员会", "工矿区",
)  # fmt: skip
# Forest farms (林场, and the state forestry bureaus and nurseries listed at township level).
_FOREST_WORDS = ("林场", "林业局", "林业有限公司", "苗圃", "国有林")
# Farms: 农场, 牧场, 渔场, 茶场 … (any name ending in 场 but an airport), the corps' regiments (…团), 农垦 units.
_FARM_WORDS = ("农场", "牧场", "农垦", "良种", "种畜")


@dataclass(frozen=True)
class Row:
    code: str  # the 12-digit code
    name: str
    level: str
    kind: str
    parent_code: str | None  # the 12-digit code of the row above it in the list, None for a province


def infer_kind(level: str, name: str, code: str) -> str:
    """The kind of an official-list row from its level, name and (short or 12-digit) code.

    The suffix decides where it can (…区 a district, …县 a county, …镇 a town); the exceptions come first: zones
    and farms whose names end in 区 or 场 like others, the municipalities' groupings, cities with no county level
    (a county-level row whose code ends in 00)."""
    short = code.rstrip("0") if len(code) == 12 else code
    if level == Level.PROVINCE:
        if name.endswith("自治区"):
            return DivisionKind.AUTONOMOUS_REGION
        if code[:2] in _MUNICIPALITIES:
            return DivisionKind.MUNICIPALITY
        return DivisionKind.PROVINCE
    if level == Level.CITY:
        if name == "市辖区":
            return DivisionKind.CITY_DISTRICTS
        if name == "县":
            return DivisionKind.CITY_COUNTIES
        if name.endswith("直辖县级行政区划"):
            return DivisionKind.DIRECT_COUNTIES
        if name.endswith("自治州"):
            return DivisionKind.AUTONOMOUS_PREFECTURE
        if name.endswith("地区"):
            return DivisionKind.PREFECTURE
        if name.endswith("盟"):
            return DivisionKind.LEAGUE
        return DivisionKind.CITY
    if level == Level.COUNTY:
        if len(short) <= 4 or code[4:6] == "00":
            return DivisionKind.CITY_WITHOUT_COUNTIES
        if name.endswith("林区"):
            return DivisionKind.FORESTRY_DISTRICT
        if name.endswith("特区"):
            return DivisionKind.SPECIAL_DISTRICT
        # The NBS numbers county-level development and demonstration zones 71–79 within their city (411171
        # 漯河经济技术开发区); names alone mislead (海港区 and 沈北新区 are districts, 北戴河新区 a zone).
        if 71 <= int(code[4:6]) <= 79 or name.endswith(("管理区", "行政委员会")):
            return DivisionKind.ZONE
        if name.endswith("自治县"):
            return DivisionKind.AUTONOMOUS_COUNTY
        if name.endswith("自治旗"):
            return DivisionKind.AUTONOMOUS_BANNER
        if name.endswith("旗"):
            return DivisionKind.BANNER
        if name.endswith("县"):
            return DivisionKind.COUNTY
        if name.endswith("市"):
            return DivisionKind.COUNTY_CITY
        return DivisionKind.DISTRICT
    if level == Level.TOWNSHIP:
        # Beijing's 地区 are area offices (地区办事处) that work as subdistricts.
        if name.endswith(("街道", "办事处", "地区")):
            return DivisionKind.SUBDISTRICT
        if name.endswith("民族苏木"):
            return DivisionKind.ETHNIC_SUMU
        if name.endswith("苏木"):
            return DivisionKind.SUMU
        if name.endswith("民族乡"):
            return DivisionKind.ETHNIC_TOWNSHIP
        if name.endswith("镇"):
            return DivisionKind.TOWN
        if name.endswith("乡"):
            return DivisionKind.TOWNSHIP
        if any(word in name for word in _FOREST_WORDS):
            return DivisionKind.FOREST_FARM
        regiment = name.endswith("团") and not name.endswith(("组团", "集团"))  # the corps' 团场: 一团, 二十四团
        if "机场" not in name and (any(word in name for word in _FARM_WORDS) or name.endswith("场") or regiment):
            return DivisionKind.FARM
        if any(word in name for word in _ZONE_WORDS):
            return DivisionKind.ZONE
        return DivisionKind.OTHER
    raise ValueError(f"No official-list kind at level {level}")


def village_kind(urban_rural: str | None) -> str | None:
    """Village or community from the NBS urban-rural code, when a county's village file gives no type: 1xx (urban:
    city and town areas) is a community (社区), 2xx (rural: township centre, village) a village (村). None when
    the code is missing or unknown, so the caller asks for the type instead of guessing."""
    if not urban_rural:
        return None
    urban_rural = str(urban_rural).strip()
    if len(urban_rural) == 3 and urban_rural.startswith("1"):
        return DivisionKind.COMMUNITY
    if len(urban_rural) == 3 and urban_rural.startswith("2"):
        return DivisionKind.VILLAGE
    return None


def _read(name: str) -> list[dict]:
    path = DATA_DIR / name
    if path.exists():
        text = path.read_text(encoding="utf-8")
    else:
        with gzip.open(path.with_name(name + ".gz"), "rb") as f:
            text = f.read().decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _code12(short: str) -> str:
    return short.ljust(12, "0")


@cache
def provinces() -> tuple[Row, ...]:
    return tuple(
        Row(_code12(r["code"]), r["name"], Level.PROVINCE, infer_kind(Level.PROVINCE, r["name"], r["code"]), None)
        for r in _read("provinces.csv")
    )


@cache
def cities() -> tuple[Row, ...]:
    return tuple(
        Row(
            _code12(r["code"]),
            r["name"],
            Level.CITY,
            infer_kind(Level.CITY, r["name"], r["code"]),
            _code12(r["provinceCode"]),
        )
        for r in _read("cities.csv")
    )


@cache
def counties() -> tuple[Row, ...]:
    rows = []
    for r in _read("areas.csv"):
        kind = infer_kind(Level.COUNTY, r["name"], r["code"])
        # A city with no county level: its county-level row has the city's own 12-digit code, and stands directly
        # under the province in its place.
        parent = _code12(r["provinceCode"]) if kind == DivisionKind.CITY_WITHOUT_COUNTIES else _code12(r["cityCode"])
        rows.append(Row(_code12(r["code"]), r["name"], Level.COUNTY, kind, parent))
    return tuple(rows)


@cache
def townships() -> tuple[Row, ...]:
    # 金门县 (350527) is listed once more as a township-level row of its own with township digits 000: it is the
    # county itself, not a township.
    return tuple(
        Row(
            _code12(r["code"]),
            r["name"],
            Level.TOWNSHIP,
            infer_kind(Level.TOWNSHIP, r["name"], r["code"]),
            _code12(r["areaCode"]),
        )
        for r in _read("streets.csv")
        if r["code"][6:9] != "000"
    )


@cache
def cities_replaced_by_county() -> frozenset[str]:
    """The 12-digit codes of city-level rows whose county-level row bears the same code (东莞市, 中山市, 儋州市)."""
    return frozenset(c.code for c in counties() if c.kind == DivisionKind.CITY_WITHOUT_COUNTIES)


def all_rows() -> list[Row]:
    skip = cities_replaced_by_county()
    return [*provinces(), *(c for c in cities() if c.code not in skip), *counties(), *townships()]


def province_row(code: str) -> Row | None:
    code = _code12(code[:2])
    return next((p for p in provinces() if p.code == code), None)


def county_row(code: str) -> Row | None:
    code = _code12(code[:6]) if len(code) >= 6 else None
    return next((c for c in counties() if c.code == code), None) if code else None


def counties_of(province_code: str) -> list[Row]:
    return [c for c in counties() if c.code.startswith(province_code[:2])]


def selection(*, province_codes=(), county_codes=()) -> list[Row]:
    """The rows to create for whole provinces and for single counties: each with its chain above (province, city)
    and its townships below, top first, each row once. Raises KeyError naming a code not in the list."""
    wanted_counties: dict[str, Row] = {}
    for code in province_codes:
        if province_row(code) is None:
            raise KeyError(code)
        for c in counties_of(code):
            wanted_counties[c.code] = c
    for code in county_codes:
        row = county_row(code)
        if row is None:
            raise KeyError(code)
        wanted_counties[row.code] = row
    above = {c.parent_code for c in wanted_counties.values()} | {
        c.code[:2].ljust(12, "0") for c in wanted_counties.values()
    }
    skip = cities_replaced_by_county()
    chain = [p for p in provinces() if p.code in above]
    chain += [c for c in cities() if c.code in above and c.code not in skip]
    county_prefixes = {c.code[:6] for c in wanted_counties.values()}
    below = [t for t in townships() if t.code[:6] in county_prefixes]
    return chain + sorted(wanted_counties.values(), key=lambda r: r.code) + below
