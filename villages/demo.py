"""Demo data for the villages app: the two counties of the seed article, their committees and demo users.

``manage.py load_demo`` finds ``load`` through ``VillagesConfig.demo_loader``. The whole plan is drawn from
one seeded generator before the database is read, so every run plans the same rows; rows whose division code
or username already exists are skipped, so a second run (or a run after a partial one) adds only what is
missing and changes nothing that is there.
"""

import datetime
import functools
import operator
import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from simple_history.utils import bulk_create_with_history

from .choices import Committee, DivisionKind, Education, Gender, Level, PostTitle, Role
from .models import Cadre, Division, Post, UserScope
from .scopes import forget_cached_scopes
from .validators import id_check_digit
from .work import demo as work_demo

SEED = 20210101
DEMO_PASSWORD = "shanzhi-demo"  # noqa: S105 - the published password of the demo accounts, not a secret
VALID_FROM = datetime.date(2021, 1, 1)
TERM_START_YEAR = 2021
CHANGE_REASON = "演示数据"

# The seed names these villages (and the surname each comes from); the demo keeps them in their townships.
SEED_VILLAGES = {
    "411103102": ("郭栗庄村", "郭"),
    "411103101": ("潘西村", "潘"),
    "411103103": ("梁庄村", "梁"),
    "411103104": ("齐罗村", "齐"),
}

DEMO_ACCOUNTS = [
    ("admin", "superuser: the Django admin, sees everything"),
    ("yc_county", "county official of 郾城区 (organization department)"),
    ("yc_peicheng", "township staff of 裴城镇"),
    ("yc_liangzhuang", "village secretary and history recorder of 梁庄村 (裴城镇)"),
    ("yc_grid", "grid worker in 龙江社区 (沙北街道)"),
    ("yc_shabei", "township staff of 沙北街道: dispatches and verifies the grid's service requests"),
    ("wj_petition", "petition officer of 望江县"),
    ("yc_api", "read-only API client for 郾城区"),
]

_SUB, _TOWN, _TWP, _ZONE = (
    DivisionKind.SUBDISTRICT,
    DivisionKind.TOWN,
    DivisionKind.TOWNSHIP,
    DivisionKind.ZONE,
)

# (code digits, name, kind, village-level units in all, community names). Communities take the 0xx codes,
# villages the 2xx ones. 郾城区's units add up to the seed's 183, with 裴城镇's 25.
YANCHENG_TOWNSHIPS = [
    ("001", "沙北街道", _SUB, 14, ["龙江社区", "嵩山路社区", "黄河路社区", "太行山路社区", "海河路社区",
                                   "湘江路社区", "珠江路社区", "长江路社区", "燕山路社区", "泰山路社区"]),
    ("002", "龙塔街道", _SUB, 12, ["龙塔社区", "文化路社区", "人民路社区", "交通路社区", "解放路社区",
                                   "东大街社区", "西大街社区", "育才路社区", "南街社区"]),
    ("003", "淞江街道", _SUB, 10, ["淞江社区", "黄山路社区", "松山路社区", "漓江路社区", "牡丹江路社区",
                                   "祁山路社区", "恒山路社区"]),
    ("101", "孟庙镇", _TOWN, 22, ["孟庙社区"]),
    ("102", "商桥镇", _TOWN, 22, ["商桥社区"]),
    ("103", "裴城镇", _TOWN, 25, []),
    ("104", "新店镇", _TOWN, 20, ["新店社区"]),
    ("105", "龙城镇", _TOWN, 18, ["龙城社区"]),
    ("106", "李集镇", _TOWN, 20, []),
    ("107", "黑龙潭镇", _TOWN, 20, ["黑龙潭社区"]),
]  # fmt: skip

WANGJIANG_TOWNSHIPS = [
    ("001", "雷阳街道", _SUB, 10, ["雷阳社区", "城东社区", "城西社区", "城南社区", "新坝社区", "香茗社区",
                                   "大桥社区", "桥北社区"]),
    ("002", "吉水街道", _SUB, 9, ["吉水社区", "长江路社区", "振兴社区", "雷港社区", "月山社区", "古雷社区"]),
    ("003", "回龙街道", _SUB, 8, ["回龙社区", "迎宾社区", "育才社区", "兴望社区", "光明社区"]),
    ("100", "华阳镇", _TOWN, 12, ["华阳社区"]),
    ("101", "杨湾镇", _TOWN, 11, ["杨湾社区"]),
    ("102", "漳湖镇", _TOWN, 10, ["漳湖社区"]),
    ("103", "赛口镇", _TOWN, 10, ["赛口社区"]),
    ("104", "高士镇", _TOWN, 11, ["高士社区"]),
    ("105", "鸦滩镇", _TOWN, 11, ["鸦滩社区"]),
    ("106", "长岭镇", _TOWN, 10, ["长岭社区"]),
    ("107", "太慈镇", _TOWN, 9, ["太慈社区"]),
    ("109", "雷池镇", _TOWN, 8, ["雷池社区"]),
    ("200", "凉泉乡", _TWP, 8, []),
    ("400", "望江县经济开发区", _ZONE, 8, ["开元社区", "兴业社区"]),
]  # fmt: skip

# Surname weights: the common ones of each province dominate, as in a real village roll.
HENAN_SURNAMES = {
    "王": 8, "李": 8, "张": 8, "刘": 7, "陈": 4, "杨": 4, "赵": 4, "郭": 4, "孙": 3, "马": 3,
    "周": 3, "高": 3, "黄": 2, "吴": 2, "徐": 2, "朱": 2, "胡": 2, "郑": 2, "梁": 2, "宋": 2,
    "许": 2, "韩": 2, "冯": 2, "曹": 2, "田": 2, "董": 2, "杜": 2, "程": 2, "魏": 2, "吕": 2,
    "丁": 2, "任": 2, "崔": 2, "范": 2, "侯": 2, "贾": 2, "何": 1, "罗": 1, "谢": 1, "唐": 1,
    "邓": 1, "彭": 1, "袁": 1, "潘": 1, "于": 1, "蒋": 1, "蔡": 1, "叶": 1, "苏": 1, "沈": 1,
    "姚": 1, "卢": 1, "姜": 1, "齐": 1, "栗": 1, "裴": 1, "牛": 1, "常": 1, "乔": 1, "岳": 1,
    "秦": 1, "史": 1, "段": 1, "孟": 1, "薛": 1, "闫": 1, "尚": 1, "葛": 1, "雷": 1, "付": 1,
    "白": 1, "耿": 1,
}  # fmt: skip
ANHUI_SURNAMES = {
    "汪": 4, "王": 4, "陈": 4, "张": 4, "李": 4, "胡": 3, "吴": 3, "刘": 3, "杨": 3, "程": 2,
    "方": 2, "檀": 2, "何": 2, "徐": 2, "朱": 2, "黄": 2, "周": 2, "江": 2, "余": 2, "龙": 1,
    "桂": 1, "章": 1, "金": 1, "查": 1, "叶": 1, "储": 1, "殷": 1, "詹": 1, "舒": 1, "石": 1,
    "曹": 1, "孙": 1, "赵": 1, "潘": 1, "吕": 1, "谢": 1, "操": 1, "夏": 1, "严": 1, "钱": 1,
}  # fmt: skip
# Village-name endings: the Central Plains' 庄/寨/营, the Yangtze lowlands' 湾/圩/畈.
HENAN_ENDINGS = {"庄": 10, "寨": 3, "营": 2, "楼": 2, "岗": 2, "屯": 1, "湾": 1}
ANHUI_ENDINGS = {"湾": 4, "圩": 2, "畈": 2, "岭": 2, "冲": 2, "桥": 2, "墩": 1, "岗": 1, "河": 1}
PLACE_PREFIXES = ["大", "小", "前", "后", "东", "西", "南", "北"]
DIRECTIONS = ["东", "西", "南", "北"]

MALE_NAMES_OLDER = [
    "建国", "建军", "建华", "建伟", "建民", "国强", "国庆", "国华", "志刚", "志强", "志勇", "志明", "卫东",
    "卫国", "红军", "新民", "新华", "振华", "振国", "海军", "海涛", "永强", "永刚", "文杰", "学军", "学文",
    "保国", "保全", "长青", "春生", "春雷", "德胜", "德明", "庆丰", "金山", "宏伟", "广志", "胜利", "跃进",
    "向阳", "占魁", "留柱", "满仓", "军", "伟", "强", "勇", "刚", "斌", "平", "林",
]  # fmt: skip
MALE_NAMES_YOUNGER = [
    "鹏飞", "晓东", "晓峰", "俊杰", "宏亮", "亚军", "东升", "明亮", "文斌", "海峰", "志远", "建峰", "永辉",
    "伟峰", "冬冬", "晨阳", "浩", "磊", "涛", "杰", "亮", "辉", "超", "峰", "凯", "鑫", "帅", "阳", "博",
]  # fmt: skip
FEMALE_NAMES_OLDER = [
    "秀英", "秀兰", "秀珍", "桂英", "桂兰", "桂芳", "玉兰", "玉梅", "凤英", "凤霞", "红霞", "红梅", "红艳",
    "丽娟", "丽华", "春燕", "春花", "海燕", "金凤", "翠兰", "美华", "淑珍", "爱华", "爱玲", "彩霞", "巧云",
    "艳", "霞", "萍", "芳", "英",
]  # fmt: skip
FEMALE_NAMES_YOUNGER = [
    "晓燕", "晓丽", "晓静", "雪梅", "丽萍", "婷婷", "佳佳", "文静", "亚楠", "梦洁", "静", "丽", "娟", "敏",
    "婷", "莉", "慧", "琳", "洁", "倩", "雯", "丹", "颖",
]  # fmt: skip
PHONE_PREFIXES = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
    "157", "158", "159", "166", "173", "176", "177", "180", "181", "182", "183", "185", "186", "187", "188",
    "189", "191", "198", "199",
]  # fmt: skip


@dataclass
class PlannedCadre:
    name: str
    gender: str
    birth_date: datetime.date
    education: str
    is_party_member: bool
    party_branch: str
    phone: str
    id_number: str
    posts: list[tuple[str, str, datetime.date]] = field(default_factory=list)


@dataclass
class PlannedDivision:
    code: str
    name: str
    level: str
    kind: str
    parent_code: str | None
    population: int | None = None
    households: int | None = None
    surname: str | None = None
    cadres: list[PlannedCadre] = field(default_factory=list)


class _People:
    """Draws people; ID numbers and phone numbers stay unique across the whole plan."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.id_numbers: set[str] = set()
        self.phones: set[str] = set()

    def birth_date(self, first_year: int, last_year: int) -> datetime.date:
        start = datetime.date(first_year, 1, 1)
        days = (datetime.date(last_year, 12, 31) - start).days
        return start + datetime.timedelta(days=self.rng.randint(0, days))

    def id_number(self, region: str, birth: datetime.date, gender: str) -> str:
        # The 17th digit is odd for men and even for women (GB 11643).
        parity = (1, 3, 5, 7, 9) if gender == Gender.MALE else (0, 2, 4, 6, 8)
        while True:
            first17 = f"{region}{birth:%Y%m%d}{self.rng.randint(0, 99):02d}{self.rng.choice(parity)}"
            number = first17 + id_check_digit(first17)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def phone(self) -> str:
        while True:
            number = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randint(0, 99_999_999):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def education(self, birth: datetime.date) -> str:
        # Younger cadres came through the expansion of colleges; older ones mostly left after middle school.
        if birth.year >= 1985:
            options = {
                Education.SENIOR: 3,
                Education.COLLEGE: 4,
                Education.BACHELOR: 3,
                Education.POSTGRADUATE: 0.2,
            }
        elif birth.year >= 1975:
            options = {Education.JUNIOR: 3, Education.SENIOR: 4, Education.COLLEGE: 3, Education.BACHELOR: 1}
        else:
            options = {Education.PRIMARY: 1, Education.JUNIOR: 5, Education.SENIOR: 4, Education.COLLEGE: 1}
        return self.rng.choices(list(options), weights=list(options.values()))[0]


# How each kind of post-holder is drawn: share of women, birth years, chance of party membership when the
# post does not require it.
_PROFILES = {
    "secretary": (0.10, 1962, 1988, 1.0),
    "chair": (0.15, 1963, 1990, 0.6),
    "deputy_secretary": (0.20, 1965, 1992, 1.0),
    "party_member": (0.35, 1965, 1998, 1.0),
    "villagers_member": (0.55, 1965, 1998, 0.5),
    "deputy_chair": (0.25, 1965, 1995, 0.5),
    "supervision_chair": (0.15, 1962, 1985, 0.5),
    "supervision_member": (0.30, 1962, 1996, 0.5),
}
# Posts added one person at a time beyond the smallest committee: (kind, weight, how many at most).
_EXTRA_POSTS = [
    ("deputy_secretary", 5, 1),
    ("party_member", 3, 2),
    ("villagers_member", 3, 2),
    ("deputy_chair", 2, 1),
    ("supervision_member", 2, 1),
]
_POSTS_OF = {
    "secretary": (Committee.PARTY, PostTitle.SECRETARY),
    "deputy_secretary": (Committee.PARTY, PostTitle.DEPUTY_SECRETARY),
    "party_member": (Committee.PARTY, PostTitle.MEMBER),
    "chair": (Committee.VILLAGERS, PostTitle.CHAIR),
    "deputy_chair": (Committee.VILLAGERS, PostTitle.DEPUTY_CHAIR),
    "villagers_member": (Committee.VILLAGERS, PostTitle.MEMBER),
    "supervision_chair": (Committee.SUPERVISION, PostTitle.SUPERVISION_CHAIR),
    "supervision_member": (Committee.SUPERVISION, PostTitle.MEMBER),
}


def _committee_roles(rng: random.Random, size: int) -> list[list[str]]:
    """The posts of each of ``size`` people: one list of post kinds per person.

    The smallest committee is a secretary, one party member, a chair, one villagers' member, a supervision
    chair and one supervision member; 一肩挑 and 交叉任职 let fewer people hold it.
    """
    one_shoulder = size < 5 or rng.random() < 0.55
    people = [["secretary", "chair"]] if one_shoulder else [["secretary"], ["chair"]]
    party_member = ["party_member"]
    people += [party_member, ["supervision_chair"], ["supervision_member"]]
    if len(people) < size and rng.random() >= 0.35:
        people.append(["villagers_member"])
    else:
        party_member.append("villagers_member")
    added = {kind: 0 for kind, _, _ in _EXTRA_POSTS}
    while len(people) < size:
        options = [(kind, weight) for kind, weight, most in _EXTRA_POSTS if added[kind] < most]
        kind = rng.choices([k for k, _ in options], weights=[w for _, w in options])[0]
        added[kind] += 1
        people.append([kind])
    # A few more party members also sit on the villagers' committee, within its three members.
    villagers_members = sum("villagers_member" in posts for posts in people)
    for posts in people:
        if posts == ["party_member"] and villagers_members < 3 and rng.random() < 0.25:
            posts.append("villagers_member")
            villagers_members += 1
    return people


def _committee(rng, people: _People, village: PlannedDivision, region: str, surname_weights, size: int):
    surnames, weights = list(surname_weights), list(surname_weights.values())
    # The party branch elects first; the villagers' and supervision committees follow within weeks.
    party_day = datetime.date(2021, 1, 4) + datetime.timedelta(days=rng.randint(0, 75))
    villagers_day = min(party_day + datetime.timedelta(days=rng.randint(10, 40)), datetime.date(2021, 4, 30))
    names = set()
    for roles in _committee_roles(rng, size):
        female_share, first_year, last_year, party_chance = _PROFILES[roles[0]]
        gender = Gender.FEMALE if rng.random() < female_share else Gender.MALE
        birth = people.birth_date(first_year, last_year)
        older = birth.year < 1980
        if gender == Gender.MALE:
            given_names = MALE_NAMES_OLDER if older else MALE_NAMES_YOUNGER
        else:
            given_names = FEMALE_NAMES_OLDER if older else FEMALE_NAMES_YOUNGER
        while True:
            surname = village.surname if village.surname and rng.random() < 0.4 else rng.choices(surnames, weights)[0]
            name = surname + rng.choice(given_names)
            if name not in names:
                names.add(name)
                break
        in_party_committee = any(_POSTS_OF[r][0] == Committee.PARTY for r in roles)
        is_member = in_party_committee or rng.random() < party_chance
        village.cadres.append(
            PlannedCadre(
                name=name,
                gender=gender,
                birth_date=birth,
                education=people.education(birth),
                is_party_member=is_member,
                party_branch=f"{village.name}党支部" if is_member else "",
                phone=people.phone(),
                id_number=people.id_number(region, birth, gender),
                posts=[
                    (*_POSTS_OF[r], party_day if _POSTS_OF[r][0] == Committee.PARTY else villagers_day) for r in roles
                ],
            )
        )


def _village_name(rng, surname_weights, endings) -> tuple[str, str]:
    """A village name and the surname it comes from (most of the village likely bears it)."""
    surnames, weights = list(surname_weights), list(surname_weights.values())
    surname = rng.choices(surnames, weights)[0]
    ending = rng.choices(list(endings), list(endings.values()))[0]
    pattern = rng.choices(["ending", "family", "prefixed", "direction", "two"], weights=[10, 2, 3, 1, 1])[0]
    if pattern == "ending":
        return surname + ending + "村", surname
    if pattern == "family":
        return surname + "家村", surname
    if pattern == "prefixed":
        return rng.choice(PLACE_PREFIXES) + surname + ending + "村", surname
    if pattern == "direction":
        return surname + rng.choice(DIRECTIONS) + "村", surname
    second = rng.choices(surnames, weights)[0]
    return (surname + second + "村", surname) if second != surname else (surname + ending + "村", surname)


def _county(rng, people, plan, *, code, name, kind, townships, surnames, endings, sizes_for) -> None:
    county = PlannedDivision(code, name, Level.COUNTY, kind, parent_code=code[:4] + "0" * 8)
    plan.append(county)
    used_names = {seed_name for seed_name, _ in SEED_VILLAGES.values()} if code.startswith("411103") else set()
    for digits, township_name, township_kind, total, communities in townships:
        township_code = code[:6] + digits
        township = PlannedDivision(township_code + "000", township_name, Level.TOWNSHIP, township_kind, county.code)
        plan.append(township)
        n_villages = total - len(communities)
        # Names are unique within the county, not only the township, so a name finds one village.
        village_names = []
        while len(village_names) < n_villages:
            candidate = _village_name(rng, surnames, endings)
            if candidate[0] not in used_names:
                used_names.add(candidate[0])
                village_names.append(candidate)
        if township_code in SEED_VILLAGES:
            village_names[rng.randrange(n_villages)] = SEED_VILLAGES[township_code]
        units = [(f"{i:03d}", n, None, DivisionKind.COMMUNITY) for i, n in enumerate(communities, start=1)]
        units += [(f"{i:03d}", n, s, DivisionKind.VILLAGE) for i, (n, s) in enumerate(village_names, start=201)]
        sizes = sizes_for(township_code, len(units))
        for (suffix, unit_name, surname, unit_kind), size in zip(units, sizes, strict=True):
            if unit_kind == DivisionKind.VILLAGE:
                population = rng.randint(800, 4000)
            else:
                # An urban community is larger than a village; a town-seat one sits between the two.
                population = rng.randint(3000, 9000) if township_kind == _SUB else rng.randint(2500, 6000)
            village = PlannedDivision(
                township_code + suffix, unit_name, Level.VILLAGE, unit_kind, township.code,
                population=population, households=round(population / rng.uniform(3.2, 3.8)), surname=surname,
            )  # fmt: skip
            _committee(rng, people, village, code[:6], surnames, size)
            plan.append(village)
        villages = [d for d in plan if d.parent_code == township.code]
        township.population = sum(v.population for v in villages)
        township.households = sum(v.households for v in villages)
    townships = [d for d in plan if d.parent_code == county.code]
    county.population = sum(t.population for t in townships)
    county.households = sum(t.households for t in townships)


def _sizes_between(rng, weights: dict[int, int], total: int | None = None):
    """Committee sizes (people) for ``count`` villages; with ``total``, nudged until they add up to it."""
    low, high = min(weights), max(weights)

    def draw(count: int) -> list[int]:
        sizes = rng.choices(list(weights), list(weights.values()), k=count)
        while total is not None and sum(sizes) != total:
            i = rng.randrange(count)
            if sum(sizes) > total and sizes[i] > low:
                sizes[i] -= 1
            elif sum(sizes) < total and sizes[i] < high:
                sizes[i] += 1
        return sizes

    return draw


def build_plan() -> list[PlannedDivision]:
    """Every demo division, parents before children, with the committees of the village-level ones."""
    rng = random.Random(SEED)  # noqa: S311 - made-up demo people, nothing secret; it must repeat
    people = _People(rng)
    plan = [
        PlannedDivision("410000000000", "河南省", Level.PROVINCE, DivisionKind.PROVINCE, None),
        PlannedDivision("411100000000", "漯河市", Level.CITY, DivisionKind.CITY, "410000000000"),
    ]
    # 裴城镇: the seed reviewed 134 cadres in its 25 villages.
    peicheng = _sizes_between(rng, {4: 1, 5: 3, 6: 3, 7: 1}, total=134)
    yancheng_default = _sizes_between(rng, {5: 1, 6: 1, 7: 1})
    _county(
        rng, people, plan, code="411103000000", name="郾城区", kind=DivisionKind.DISTRICT,
        townships=YANCHENG_TOWNSHIPS, surnames=HENAN_SURNAMES, endings=HENAN_ENDINGS,
        sizes_for=lambda township, n: peicheng(n) if township == "411103103" else yancheng_default(n),
    )  # fmt: skip
    plan += [
        PlannedDivision("340000000000", "安徽省", Level.PROVINCE, DivisionKind.PROVINCE, None),
        PlannedDivision("340800000000", "安庆市", Level.CITY, DivisionKind.CITY, "340000000000"),
    ]
    # Four-person committees need 一肩挑, so they are kept rare enough for it to stay near 60% overall.
    wangjiang_sizes = _sizes_between(rng, {4: 1, 5: 2, 6: 2})
    _county(
        rng, people, plan, code="340827000000", name="望江县", kind=DivisionKind.COUNTY,
        townships=WANGJIANG_TOWNSHIPS, surnames=ANHUI_SURNAMES, endings=ANHUI_ENDINGS,
        sizes_for=lambda township, n: wangjiang_sizes(n),
    )  # fmt: skip
    # Parents first, so each level can be inserted once its parents have ids.
    order = {level: i for i, level in enumerate([Level.PROVINCE, Level.CITY, Level.COUNTY, Level.TOWNSHIP])}
    return sorted(plan, key=lambda d: (order.get(d.level, len(order)), d.code))


def _create_divisions(plan: list[PlannedDivision]) -> dict[str, int]:
    """Insert the missing divisions level by level; return the ids of those inserted, by code."""
    existing = set(Division.objects.filter(code__in=[d.code for d in plan]).values_list("code", flat=True))
    created: dict[str, int] = {}
    for level in [Level.PROVINCE, Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE]:
        missing = [d for d in plan if d.level == level and d.code not in existing]
        if not missing:
            continue
        parent_codes = {d.parent_code for d in missing if d.parent_code}
        parent_ids = dict(Division.objects.filter(code__in=parent_codes).values_list("code", "id"))
        rows = [
            Division(
                code=d.code, name=d.name, level=d.level, kind=d.kind, parent_id=parent_ids.get(d.parent_code),
                valid_from=VALID_FROM, population=d.population, households=d.households,
            )
            for d in missing
        ]  # fmt: skip
        for row in bulk_create_with_history(rows, Division, default_change_reason=CHANGE_REASON):
            created[row.code] = row.pk
    return created


def _create_committees(plan: list[PlannedDivision], division_ids: dict[str, int]) -> tuple[int, int]:
    """The cadres and posts of the villages inserted in this run; villages already there keep theirs."""
    villages = [d for d in plan if d.level == Level.VILLAGE and d.code in division_ids]
    if not villages:
        return 0, 0
    # ID numbers are unique in the database; numbers entered by hand since an earlier load must not clash.
    regions = {v.code[:6] for v in villages}
    in_regions = functools.reduce(operator.or_, (Q(id_number__startswith=r) for r in sorted(regions)))
    taken = set(Cadre.objects.filter(in_regions).values_list("id_number", flat=True))
    cadres, posts_of = [], []
    for village in villages:
        for planned in village.cadres:
            id_number = planned.id_number
            while id_number in taken:
                sequence = int(id_number[14:17]) + 2
                first17 = id_number[:14] + f"{sequence % 1000:03d}"
                id_number = first17 + id_check_digit(first17)
            taken.add(id_number)
            cadres.append(
                Cadre(
                    division_id=division_ids[village.code], name=planned.name, gender=planned.gender,
                    birth_date=planned.birth_date, education=planned.education,
                    is_party_member=planned.is_party_member, party_branch=planned.party_branch,
                    phone=planned.phone, id_number=id_number, term_start_year=TERM_START_YEAR,
                )
            )  # fmt: skip
            posts_of.append(planned.posts)
    cadres = bulk_create_with_history(cadres, Cadre, default_change_reason=CHANGE_REASON)
    posts = [
        Post(
            cadre_id=cadre.pk,
            division_id=cadre.division_id,
            committee=committee,
            title=title,
            start_date=start,
        )
        for cadre, planned_posts in zip(cadres, posts_of, strict=True)
        for committee, title, start in planned_posts
    ]
    bulk_create_with_history(posts, Post, default_change_reason=CHANGE_REASON)
    return len(cadres), len(posts)


def _demo_users():
    """(username, display name, superuser, [(division code, role), ...]) for each demo account."""
    # Read from the database, not the plan: a database loaded by an older version of this module keeps its
    # own 梁庄村 code and secretary, and the account must point at those.
    secretary = (
        Post.objects.filter(
            division__level=Level.VILLAGE, division__code__startswith="411103103", division__name="梁庄村",
            committee=Committee.PARTY, title=PostTitle.SECRETARY, end_date__isnull=True,
        )
        .values_list("division__code", "cadre__name")
        .first()
    )  # fmt: skip
    liangzhuang_code, secretary_name = secretary or ("", "梁庄村党支部书记")
    return [
        ("admin", "系统管理员", True, []),
        ("yc_county", "郾城区委组织部", False, [("411103000000", Role.COUNTY_OFFICIAL)]),
        ("yc_peicheng", "裴城镇党建办", False, [("411103103000", Role.TOWNSHIP_STAFF)]),
        ("yc_liangzhuang", secretary_name, False,
         [(liangzhuang_code, Role.VILLAGE_SECRETARY), (liangzhuang_code, Role.VILLAGE_RECORDER)]),
        ("yc_grid", "龙江社区网格员", False, [("411103001001", Role.GRID_WORKER)]),
        # 沙北街道's staff dispatch and verify what 龙江社区's grid worker accepts: without them the grid worker's
        # requests stop after 受理.
        ("yc_shabei", "沙北街道党建办", False, [("411103001000", Role.TOWNSHIP_STAFF)]),
        ("wj_petition", "望江县信访局", False, [("340827000000", Role.PETITION_OFFICER)]),
        ("yc_api", "郾城区数据接口", False, [("411103000000", Role.API_CLIENT)]),
    ]  # fmt: skip


def _create_users() -> tuple[int, int]:
    user_model = get_user_model()
    accounts = _demo_users()
    existing = set(user_model.objects.filter(username__in=[a[0] for a in accounts]).values_list("username", flat=True))
    missing = [a for a in accounts if a[0] not in existing]
    if missing:
        # One hash for all: hashing is deliberately slow, and the accounts share the password.
        password = make_password(DEMO_PASSWORD)
        user_model.objects.bulk_create(
            user_model(username=username, first_name=display_name, password=password, is_staff=superuser,
                       is_superuser=superuser)
            for username, display_name, superuser, _ in accounts
            if username not in existing
        )  # fmt: skip
    wanted = [(username, code, role) for username, _, _, scopes in accounts for code, role in scopes]
    user_ids = dict(user_model.objects.filter(username__in={w[0] for w in wanted}).values_list("username", "id"))
    division_ids = dict(Division.objects.filter(code__in={w[1] for w in wanted}).values_list("code", "id"))
    held = set(UserScope.objects.filter(user_id__in=user_ids.values()).values_list("user_id", "division_id", "role"))
    scopes = [
        UserScope(
            user_id=user_ids[username],
            division_id=division_ids[code],
            role=role,
            # The county's administrators also manage its users in the platform's own pages.
            manages_users=username in COUNTY_ADMINS and role == Role.COUNTY_OFFICIAL,
        )
        for username, code, role in wanted
        if code in division_ids and (user_ids[username], division_ids[code], role) not in held
    ]
    if scopes:
        bulk_create_with_history(scopes, UserScope, default_change_reason=CHANGE_REASON)
        forget_cached_scopes({s.user_id for s in scopes})  # a bulk insert sends no signal
    if missing:
        _county_administrators(user_model.objects.filter(username__in=COUNTY_ADMINS))
    return len(missing), len(scopes)


# The county officials who also run the (scoped) Django admin.
COUNTY_ADMINS = ["yc_county"]
COUNTY_ADMIN_PERMISSIONS = [
    "view_division", "change_division", "view_cadre", "change_cadre", "view_post", "view_adjustment",
    "view_userscope", "add_userscope", "change_userscope", "delete_userscope",
]  # fmt: skip


def _county_administrators(users) -> None:
    group, _created = Group.objects.get_or_create(name="县级管理员")
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="villages", codename__in=COUNTY_ADMIN_PERMISSIONS)
    )
    for user in users:
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        user.groups.add(group)


def load(stdout) -> None:
    plan = build_plan()
    with transaction.atomic():
        division_ids = _create_divisions(plan)
        n_cadres, n_posts = _create_committees(plan, division_ids)
        n_users, n_scopes = _create_users()
    n_villages = sum(1 for d in plan if d.level == Level.VILLAGE and d.code in division_ids)
    stdout.write(
        f"  divisions: {len(division_ids)} added ({n_villages} villages and communities), "
        f"{len(plan) - len(division_ids)} already there"
    )
    stdout.write(f"  cadres: {n_cadres} added, holding {n_posts} posts")
    stdout.write(f"  users: {n_users} added, with {n_scopes} scopes")
    work_demo.load(stdout)
