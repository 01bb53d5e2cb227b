"""Demo work records for 郾城区: the seed's figures where it gives them, plausible records everywhere else.

From the seed: 潘西村 (孟庙镇) earns 120,000 yuan from 1,000 mu of transferred land and plans a cold store led by
its party branch, paid back in four years; 齐罗村 (新店镇) builds 22 infrastructure projects (sewer network, village
hall, the 24-solar-terms wall paintings …); a common-prosperity workshop pays its village 300,000 yuan rent and
employs 70; the county runs a rotation training for all village cadres and the monthly "支书上讲台 月月有精彩"
forum. The seed's 西村镇 (a township in Jiangxi) becomes 裴城镇 here: in 2026 it holds 30 house-yard meetings
(屋场会) that mediate 20 disputes, resolve 10 petitions and do 100 good deeds, and runs 1 practice institute and
17 stations with 200 volunteer activities.

Every other village gets a profile (strong, average or weak) that shapes its income and growth, meetings,
satisfaction, volunteering and inspections, so the proposed star ratings come out varied.

Deterministic (one seeded generator, villages read in code order) and idempotent: villages that already hold a
collective income for the demo year are left alone, and the county-wide records are added once. Everything is
inserted in bulk in one transaction.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef
from simple_history.utils import bulk_create_with_history

from villages.choices import Committee, Level, PostTitle
from villages.models import Cadre, Division, Post

from .choices import (
    AttendanceRole,
    AttendanceStatus,
    FundingSource,
    InfrastructureKind,
    InfrastructureStatus,
    InspectionResult,
    MatterOutcome,
    ProjectKind,
    ProjectStatus,
    StationLevel,
    TrainingKind,
    VolunteerFocus,
)
from .models import (
    CollectiveIncome,
    CollectiveProject,
    CollectiveProjectReturn,
    CommonProsperityWorkshop,
    EnvironmentInspection,
    InfrastructureProject,
    MeetingKind,
    MeetingMatter,
    PracticeStation,
    TrainingAttendance,
    TrainingSession,
    VillagerMeeting,
    VolunteerActivity,
    VolunteerTeam,
)

SEED = 20260101
YEAR = 2026
# The demo's records end here, so they stay in the past whenever in late 2026 it is loaded.
LAST_DAY = datetime.date(2026, 11, 20)
COUNTY = "411103000000"
PEICHENG = "411103103"  # stands in for the seed's 西村镇
XINDIAN = "411103104"
LONGCHENG = "411103105"
CHANGE_REASON = "演示数据"
FORUM_SERIES = "支书上讲台 月月有精彩"
ROTATION_SERIES = "全区农村(社区)党员专题轮训"

MEETING_KINDS = [
    ("屋场会", "在村民房前屋后召开的议事会,党员干部与群众拉家常、议实事"),
    ("有事好商量", "群众议事协商会,商量解决群众关心的公共事务"),
    ("书记下午茶", "村党组织书记与群众面对面交流、听取诉求"),
    ("村民说事", "村民定期说事、干部现场办事"),
    ("板凳会", "在村头巷尾搬个板凳就开的小型议事会"),
]

TIERS = {"strong": 25, "average": 45, "weak": 30}
# Per profile: 2025 income range, growth into 2026, meetings, activities, chance an inspection passes, share content.
PROFILE = {
    "strong": {"income": (300_000, 900_000), "growth": (0.05, 0.25), "meetings": (5, 9), "activities": (10, 20),
               "pass": 0.95, "satisfied": (0.82, 0.95), "basic": (0.04, 0.12), "projects": (1, 2), "infra": (2, 5)},
    "average": {"income": (80_000, 300_000), "growth": (-0.05, 0.15), "meetings": (2, 5), "activities": (4, 12),
                "pass": 0.8, "satisfied": (0.6, 0.8), "basic": (0.12, 0.28), "projects": (0, 1), "infra": (1, 3)},
    "weak": {"income": (10_000, 60_000), "growth": (-0.3, 0.05), "meetings": (0, 2), "activities": (0, 4),
             "pass": 0.45, "satisfied": (0.35, 0.6), "basic": (0.2, 0.35), "projects": (0, 0), "infra": (0, 1)},
}  # fmt: skip

GOOD_DEEDS = [
    "村内道路路灯损坏,请求维修", "门前小摊小贩占道经营", "排水沟堵塞,雨后积水", "低保申请材料不会填写",
    "老人医保缴费需要代办", "农田灌溉机井损坏", "村口垃圾清运不及时", "危房改造申请", "残疾人证办理",
    "广场健身器材损坏", "学生上学路口缺少警示标志", "自来水水压不足", "养老保险资格认证代办", "秸秆堆放需清运",
    "门前坑塘需要清淤", "独居老人家中电线老化", "村卫生室药品不全", "农机停放占用道路", "生产路坑洼难行",
    "快递无人代收", "孩子入学证明需开具", "惠农补贴未到账需核实", "路边树木枯枝有安全隐患", "公厕无人保洁",
]  # fmt: skip
DISPUTES = [
    "宅基地边界纠纷", "邻里排水纠纷", "土地流转租金纠纷", "赡养老人纠纷", "承包地界限争议", "树木遮挡采光纠纷",
    "养殖异味引发邻里矛盾", "婚姻家庭矛盾", "共用道路通行纠纷", "农资买卖纠纷",
]  # fmt: skip
PETITIONS = [
    "反映征地补偿款发放问题", "反映低保评定不公", "反映务工欠薪问题", "反映村务公开不及时",
    "反映离婚后子女抚养费问题", "反映宅基地审批问题", "反映危房改造补助问题",
]  # fmt: skip
NOTED = ["建议增设公交站点", "希望开办老年食堂", "建议修建文化广场", "建议村里办技能培训", "希望增加路灯"]
PLACES = ["{name}党群服务中心", "{surname}家院坝", "村头大槐树下", "{name}文化广场", "村委会会议室", "{surname}家堂屋"]
TOPICS = [
    "人居环境整治", "秋收秋种安排", "村规民约修订", "集体经济项目选址", "矛盾纠纷排查", "防汛准备",
    "养老服务", "移风易俗", "道路硬化方案", "土地流转",
]  # fmt: skip

ACTIVITY_TITLES = {
    VolunteerFocus.ENVIRONMENT: ["人居环境整治志愿清洁行动", "村庄垃圾清理", "坑塘沟渠清理", "植树护绿"],
    VolunteerFocus.SCIENCE: ["科技科普进村", "小麦病虫害防治讲座", "防范电信诈骗宣传", "农技服务下田间"],
    VolunteerFocus.LEGAL: ["法律咨询进村", "民法典宣讲", "法律援助服务日"],
    VolunteerFocus.WOMEN: ["巾帼红维权服务", "妇女儿童权益保护宣讲", "家庭矛盾调解帮扶"],
    VolunteerFocus.ELDERLY: ["敬老院慰问", "为独居老人义诊", "助老理发"],
    VolunteerFocus.CULTURE: ["移风易俗宣传", "文明家庭评选", "广场文艺汇演"],
    VolunteerFocus.SAFETY: ["消防安全宣传", "防溺水宣传"],
    VolunteerFocus.HEALTH: ["义诊进村", "健康知识讲座"],
}
ACTIVITY_KINDS = {
    VolunteerFocus.ENVIRONMENT: 45, VolunteerFocus.SCIENCE: 20, VolunteerFocus.LEGAL: 15, VolunteerFocus.WOMEN: 6,
    VolunteerFocus.ELDERLY: 6, VolunteerFocus.CULTURE: 4, VolunteerFocus.SAFETY: 2, VolunteerFocus.HEALTH: 2,
}  # fmt: skip

# 齐罗村's projects (the seed: "污水管网、乡村大礼堂等20余项基础设施项目正在加快建设", and its wall paintings).
QILUO_PROJECTS = [
    ("污水管网建设", InfrastructureKind.SEWER, InfrastructureStatus.BUILDING, 1_860_000),
    ("乡村大礼堂", InfrastructureKind.HALL, InfrastructureStatus.BUILDING, 1_200_000),
    ("二十四节气墙体画", InfrastructureKind.WALL_ART, InfrastructureStatus.COMPLETED, 86_000),
    ("村内主干道硬化", InfrastructureKind.ROAD, InfrastructureStatus.COMPLETED, 980_000),
    ("背街小巷硬化", InfrastructureKind.ROAD, InfrastructureStatus.BUILDING, 420_000),
    ("太阳能路灯安装", InfrastructureKind.LIGHTING, InfrastructureStatus.COMPLETED, 210_000),
    ("安全饮水管网改造", InfrastructureKind.WATER, InfrastructureStatus.BUILDING, 560_000),
    ("户厕改造", InfrastructureKind.TOILET, InfrastructureStatus.BUILDING, 380_000),
    ("文化广场", InfrastructureKind.CULTURE, InfrastructureStatus.BUILDING, 450_000),
    ("党群服务中心提升", InfrastructureKind.OTHER, InfrastructureStatus.COMPLETED, 300_000),
    ("村庄绿化美化", InfrastructureKind.GREENING, InfrastructureStatus.BUILDING, 160_000),
    ("垃圾收集点建设", InfrastructureKind.WASTE, InfrastructureStatus.COMPLETED, 65_000),
    ("健身器材配置", InfrastructureKind.CULTURE, InfrastructureStatus.BUILDING, 48_000),
    ("排水沟渠疏浚", InfrastructureKind.SEWER, InfrastructureStatus.BUILDING, 230_000),
    ("坑塘综合整治", InfrastructureKind.GREENING, InfrastructureStatus.BUILDING, 350_000),
    ("村史馆", InfrastructureKind.CULTURE, InfrastructureStatus.BUILDING, 260_000),
    ("农家书屋提升", InfrastructureKind.CULTURE, InfrastructureStatus.COMPLETED, 40_000),
    ("村口停车场", InfrastructureKind.ROAD, InfrastructureStatus.BUILDING, 180_000),
    ("村内公厕新建", InfrastructureKind.TOILET, InfrastructureStatus.BUILDING, 120_000),
    ("便民桥修建", InfrastructureKind.ROAD, InfrastructureStatus.BUILDING, 520_000),
    ("村卫生室改造", InfrastructureKind.OTHER, InfrastructureStatus.PLANNED, 150_000),
    ("幸福院建设", InfrastructureKind.OTHER, InfrastructureStatus.PLANNED, 680_000),
]
INFRA_TEMPLATES = [
    ("村内道路硬化", InfrastructureKind.ROAD), ("污水管网", InfrastructureKind.SEWER),
    ("路灯安装", InfrastructureKind.LIGHTING), ("饮水管网改造", InfrastructureKind.WATER),
    ("户厕改造", InfrastructureKind.TOILET), ("文化广场", InfrastructureKind.CULTURE),
    ("村庄绿化", InfrastructureKind.GREENING), ("垃圾收集点", InfrastructureKind.WASTE),
    ("党群服务中心改造", InfrastructureKind.OTHER),
]  # fmt: skip
FINDINGS = [
    "房前屋后柴草乱堆乱放", "坑塘水面有漂浮垃圾", "部分户厕未完成改造", "村内垃圾清运不及时", "路边有建筑垃圾堆放",
    "畜禽散养,粪污未及时清理", "沟渠淤塞,污水外溢", "残垣断壁未清理",
]  # fmt: skip
PROJECT_TEMPLATES = [
    ("{name}光伏发电项目", ProjectKind.SOLAR, (300_000, 800_000), (6, 9), FundingSource.FISCAL),
    ("{name}标准化厂房", ProjectKind.WORKSHOP, (500_000, 1_500_000), (6, 10), FundingSource.MIXED),
    ("{name}入股乡村旅游项目", ProjectKind.TOURISM, (200_000, 500_000), (5, 8), FundingSource.COLLECTIVE),
    ("{name}冷链仓储项目", ProjectKind.COLD_STORE, (300_000, 700_000), (4, 6), FundingSource.MIXED),
    ("{name}党支部领办合作社", ProjectKind.COOPERATIVE, (100_000, 400_000), (3, 5), FundingSource.COLLECTIVE),
    ("{name}电商直播服务站", ProjectKind.E_COMMERCE, (80_000, 200_000), (3, 4), FundingSource.PAIRING),
]
FORUM_TOPICS = [
    "党支部领办合作社的路子", "村集体经济怎样增收", "千亩土地流转的经验", "人居环境整治见实效", "屋场会上议实事",
    "网格化治理“一站式”服务", "乡村旅游怎么起步", "共富工坊带动就业", "矛盾纠纷就地化解", "产业项目怎么选",
    "五星支部创建交流",
]  # fmt: skip


@dataclass
class _Village:
    pk: int
    code: str
    name: str
    population: int
    township: str
    township_name: str
    is_community: bool
    tier: str = "average"


def _day(rng, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, (end - start).days))


def _yuan(value: float) -> Decimal:
    return Decimal(round(value / 100.0) * 100)


def _ensure_kinds() -> dict[str, MeetingKind]:
    kinds = {k.name: k for k in MeetingKind.objects.filter(name__in=[name for name, _ in MEETING_KINDS])}
    missing = [
        MeetingKind(name=name, description=description, sort_order=i)
        for i, (name, description) in enumerate(MEETING_KINDS)
        if name not in kinds
    ]
    if missing:
        for kind in bulk_create_with_history(missing, MeetingKind, default_change_reason=CHANGE_REASON):
            kinds[kind.name] = kind
    return kinds


def _villages_to_load() -> list[_Village]:
    """郾城区's current villages and communities without a demo-year income, in code order."""
    has_income = CollectiveIncome.objects.filter(division=OuterRef("pk"), year=YEAR)
    rows = (
        Division.objects.filter(level=Level.VILLAGE, code__startswith=COUNTY[:6])
        .current(LAST_DAY)
        .annotate(loaded=Exists(has_income))
        .order_by("code")
        .values("pk", "code", "name", "population", "parent__code", "parent__name", "kind", "loaded")
    )
    return [
        _Village(
            pk=r["pk"], code=r["code"], name=r["name"], population=r["population"] or 1000,
            township=r["parent__code"][:9], township_name=r["parent__name"], is_community=r["kind"] == "community",
        )
        for r in rows
        if not r["loaded"]
    ]  # fmt: skip


class _Plan:
    """The rows to insert, built from one generator; foreign keys to rows of this plan are set after insertion."""

    def __init__(self, rng: random.Random, villages: list[_Village], kinds: dict[str, MeetingKind]):
        self.rng = rng
        self.villages = villages
        self.kinds = kinds
        self.incomes: list[CollectiveIncome] = []
        self.projects: list[CollectiveProject] = []
        self.returns: list[tuple[int, CollectiveProjectReturn]] = []  # (index into projects, row)
        self.workshops: list[CommonProsperityWorkshop] = []
        self.meetings: list[VillagerMeeting] = []
        self.matters: list[tuple[int, MeetingMatter]] = []  # (index into meetings, row)
        self.infrastructure: list[InfrastructureProject] = []
        self.inspections: list[EnvironmentInspection] = []

    # ── collective economy ──

    def economy(self, v: _Village) -> None:
        rng, profile = self.rng, PROFILE[v.tier]
        if v.name == "潘西村" and v.township == "411103101":
            self._panxi(v)
            return
        base = rng.uniform(*profile["income"]) * (0.6 if v.is_community else 1.0)
        growth = rng.uniform(*profile["growth"])
        skip_last_year = v.tier == "weak" and rng.random() < 0.15
        for year, amount in ((YEAR - 2, base / (1 + rng.uniform(-0.05, 0.15))), (YEAR - 1, base),
                             (YEAR, base * (1 + growth))):  # fmt: skip
            if year == YEAR - 1 and skip_last_year:
                continue
            self.incomes.append(self._income(v, year, amount))
        for _ in range(rng.randint(*profile["projects"])):
            self._project(v)

    def _income(self, v: _Village, year: int, amount: float) -> CollectiveIncome:
        rng = self.rng
        shares = [rng.uniform(0, 6), rng.uniform(1, 4), rng.uniform(0, 3), rng.uniform(0, 2), rng.uniform(0, 1)]
        if v.is_community:
            shares[0] = 0  # urban communities have no farmland to transfer
        total = sum(shares)
        land, rent, dividends, services, other = (_yuan(amount * s / total) for s in shares)
        return CollectiveIncome(
            division_id=v.pk, year=year, land_transfer=land, rent=rent, dividends=dividends, services=services,
            other=other, land_transfer_area=(Decimal(int(land / rng.randint(600, 1000))) if land else None),
            assets=_yuan(amount * rng.uniform(3, 8)),
        )  # fmt: skip

    def _panxi(self, v: _Village) -> None:
        """The seed: 120,000 yuan from 1,000 mu of transferred land; a branch-led cold store, paid back in 4 years."""
        for year, land, area in ((YEAR - 2, 96_000, 900), (YEAR - 1, 108_000, 1000), (YEAR, 120_000, 1000)):
            self.incomes.append(
                CollectiveIncome(
                    division_id=v.pk,
                    year=year,
                    land_transfer=Decimal(land),
                    land_transfer_area=Decimal(area),
                    assets=Decimal(land * 5),
                    notes="村集体千亩流转土地收益",
                )
            )
        start = datetime.date(YEAR + 1, 3, 1)
        self.projects.append(
            CollectiveProject(
                division_id=v.pk,
                name="潘西村小型冷库",
                kind=ProjectKind.COLD_STORE,
                status=ProjectStatus.PLANNED,
                branch_led=True,
                investment=Decimal(480_000),
                funding_source=FundingSource.MIXED,
                funding_note="财政衔接资金30万元,村集体自筹18万元",
                start_date=start,
                payback_years=Decimal(4),
                payback_date=start.replace(year=start.year + 4),
                description="依托水果玉米种植,由党支部领建小型冷库,预计四年全部回本,打造潘西村自己的农产品品牌。",
            )
        )
        cooperative = CollectiveProject(
            division_id=v.pk, name="潘西村水果玉米种植专业合作社", kind=ProjectKind.COOPERATIVE,
            status=ProjectStatus.OPERATING, branch_led=True, investment=Decimal(200_000),
            funding_source=FundingSource.COLLECTIVE, start_date=datetime.date(YEAR - 1, 3, 15),
            payback_years=Decimal(3), payback_date=datetime.date(YEAR + 2, 3, 15),
            description="党支部领办合作社,统一种植水果玉米。",
        )  # fmt: skip
        self.projects.append(cooperative)
        index = len(self.projects) - 1
        for year, amount in ((YEAR - 1, 52_000), (YEAR, 68_000)):
            self.returns.append((index, CollectiveProjectReturn(year=year, amount=Decimal(amount))))

    def _project(self, v: _Village) -> None:
        rng = self.rng
        name, kind, invest, payback, funding = rng.choice(PROJECT_TEMPLATES)
        start = _day(rng, datetime.date(YEAR - 3, 1, 1), datetime.date(YEAR, 6, 30))
        investment = _yuan(rng.uniform(*invest))
        years = Decimal(rng.randint(*payback))
        status = (
            ProjectStatus.OPERATING
            if start.year < YEAR
            else rng.choice([ProjectStatus.BUILDING] * 2 + [ProjectStatus.OPERATING])
        )
        self.projects.append(
            CollectiveProject(
                division_id=v.pk,
                name=name.format(name=v.name),
                kind=kind,
                status=status,
                branch_led=rng.random() < 0.5,
                investment=investment,
                funding_source=funding,
                start_date=start,
                payback_years=years,
                payback_date=start.replace(year=start.year + int(years)),
            )
        )
        index = len(self.projects) - 1
        if status == ProjectStatus.OPERATING:
            yearly = float(investment) / float(years)
            for year in range(start.year, YEAR + 1):
                self.returns.append(
                    (index, CollectiveProjectReturn(year=year, amount=_yuan(yearly * rng.uniform(0.6, 1.2))))
                )

    def workshop(self, v: _Village, *, seed_figures: bool) -> None:
        rng = self.rng
        if seed_figures:
            self.workshops.append(
                CommonProsperityWorkshop(
                    division_id=v.pk,
                    name=f"{v.name}共富工坊",
                    partner="漯河欣意达汽车用品有限公司",
                    opened_on=datetime.date(YEAR - 2, 5, 1),
                    jobs=70,
                    annual_rent=Decimal(300_000),
                    description="盘活闲置厂房,与企业村企结对,集仓储、生产、直播电商于一体的定向招工式共富工坊;"
                    "就业村民人均年增收7万余元。",
                )
            )
            return
        partner = rng.choice(
            ["漯河市鑫源食品有限公司", "郾城区巧手编织厂", "漯河市恒达服饰有限公司", "郾城区丰收农产品加工厂"]
        )
        self.workshops.append(
            CommonProsperityWorkshop(
                division_id=v.pk,
                name=f"{v.name}{rng.choice(['来料加工', '服装', '编织', '农产品分拣'])}共富工坊",
                partner=partner,
                opened_on=_day(rng, datetime.date(YEAR - 3, 1, 1), datetime.date(YEAR, 5, 1)),
                jobs=rng.randint(12, 45),
                annual_rent=_yuan(rng.uniform(20_000, 120_000)),
                annual_income=_yuan(rng.uniform(0, 30_000)),
            )
        )

    # ── meetings ──

    def meeting(self, v: _Village, *, kind: MeetingKind, date: datetime.date, matters: list[tuple[str, str, int]]):
        """``matters``: (description, outcome, days until settled or -1 if still open)."""
        rng, profile = self.rng, PROFILE[v.tier]
        attendance = min(rng.randint(25, 110), v.population)
        rated = int(attendance * rng.uniform(0.5, 0.9))
        satisfied = int(rated * rng.uniform(*profile["satisfied"]))
        basic = min(int(rated * rng.uniform(*profile["basic"])), rated - satisfied)
        surname = v.name[0]
        self.meetings.append(
            VillagerMeeting(
                division_id=v.pk,
                kind=kind,
                date=date,
                place=rng.choice(PLACES).format(name=v.name, surname=surname),
                host=f"{v.name}党支部书记",
                topic=rng.choice(TOPICS),
                attendance=attendance,
                satisfied=satisfied,
                basically_satisfied=basic,
                dissatisfied=rated - satisfied - basic,
            )
        )
        index = len(self.meetings) - 1
        prefixes = {MatterOutcome.GRID_REQUEST: "WG", MatterOutcome.PETITION: "XF", MatterOutcome.DISPUTE: "TJ"}
        for position, (description, outcome, days) in enumerate(matters, start=1):
            settled = None
            if outcome == MatterOutcome.RESOLVED:
                settled = date
            elif days >= 0 and date + datetime.timedelta(days=days) <= LAST_DAY:
                settled = date + datetime.timedelta(days=days)
            reference = f"{prefixes[outcome]}{date:%Y%m%d}{rng.randint(100, 999)}" if outcome in prefixes else ""
            self.matters.append(
                (
                    index,
                    MeetingMatter(
                        position=position,
                        description=description,
                        outcome=outcome,
                        reference=reference,
                        settled_on=settled,
                    ),
                )
            )

    def random_matters(self, count: int) -> list[tuple[str, str, int]]:
        rng = self.rng
        matters = []
        for _ in range(count):
            roll = rng.random()
            if roll < 0.45:
                matters.append((rng.choice(GOOD_DEEDS), MatterOutcome.RESOLVED, 0))
            elif roll < 0.75:
                matters.append((rng.choice(GOOD_DEEDS), MatterOutcome.GRID_REQUEST, rng.randint(1, 12)))
            elif roll < 0.87:
                matters.append((rng.choice(DISPUTES), MatterOutcome.DISPUTE, rng.randint(3, 30)))
            elif roll < 0.94:
                matters.append((rng.choice(PETITIONS), MatterOutcome.PETITION, rng.randint(10, 55)))
            else:
                matters.append((rng.choice(NOTED), MatterOutcome.NOTED, -1))
        return matters

    # ── livability ──

    def livability(self, v: _Village) -> None:
        rng, profile = self.rng, PROFILE[v.tier]
        if v.name == "齐罗村" and v.township == XINDIAN:
            for name, kind, status, investment in QILUO_PROJECTS:
                start = _day(rng, datetime.date(YEAR - 1, 9, 1), datetime.date(YEAR, 6, 30))
                completed = None
                if status == InfrastructureStatus.COMPLETED:
                    completed = min(start + datetime.timedelta(days=rng.randint(30, 150)), LAST_DAY)
                elif status == InfrastructureStatus.PLANNED:
                    start = None
                self._infra(v, name, kind, status, start, completed, investment)
        else:
            for name, kind in rng.sample(INFRA_TEMPLATES, rng.randint(*profile["infra"])):
                start = _day(rng, datetime.date(YEAR - 2, 3, 1), datetime.date(YEAR, 8, 31))
                if start.year < YEAR or rng.random() < 0.3:
                    status = InfrastructureStatus.COMPLETED
                    completed = min(start + datetime.timedelta(days=rng.randint(30, 200)), LAST_DAY)
                else:
                    status, completed = InfrastructureStatus.BUILDING, None
                self._infra(v, name, kind, status, start, completed, _yuan(rng.uniform(50_000, 900_000)))
        township = self.township_name(v)
        for month in sorted(rng.sample([3, 5, 6, 8, 9, 10, 11], rng.randint(2, 4))):
            date = _day(rng, datetime.date(YEAR, month, 1), datetime.date(YEAR, month, 20))
            passed = rng.random() < profile["pass"]
            findings = "" if passed else ";".join(rng.sample(FINDINGS, rng.randint(1, 3)))
            if passed and rng.random() < 0.2:
                findings = rng.choice(FINDINGS) + "(已现场整改)"
            self.inspections.append(
                EnvironmentInspection(
                    division_id=v.pk,
                    date=date,
                    inspector=rng.choice([f"{township}人居环境整治办公室", "郾城区人居环境整治督查组"]),
                    result=InspectionResult.PASSED if passed else InspectionResult.FAILED,
                    score=Decimal(rng.randint(80, 98) if passed else rng.randint(52, 78)),
                    findings=findings,
                    rectify_by=None if passed else date + datetime.timedelta(days=15),
                )
            )

    def _infra(self, v, name, kind, status, start, completed, investment) -> None:
        self.infrastructure.append(
            InfrastructureProject(
                division_id=v.pk,
                name=name,
                kind=kind,
                status=status,
                start_date=start,
                completed_on=completed,
                investment=Decimal(investment),
                funding_source=self.rng.choice(list(FundingSource.values)),
            )
        )

    def township_name(self, v: _Village) -> str:
        return v.township_name


def _peicheng_meetings(plan: _Plan, villages: list[_Village]) -> None:
    """30 house-yard meetings in 2026: 100 good deeds, 20 disputes mediated, 10 petitions resolved, and 9 matters
    still open."""
    rng = plan.rng
    matters = (
        [(rng.choice(GOOD_DEEDS), MatterOutcome.RESOLVED, 0) for _ in range(58)]
        + [(rng.choice(GOOD_DEEDS), MatterOutcome.GRID_REQUEST, rng.randint(1, 12)) for _ in range(42)]
        + [(rng.choice(DISPUTES), MatterOutcome.DISPUTE, rng.randint(3, 30)) for _ in range(20)]
        + [(rng.choice(PETITIONS), MatterOutcome.PETITION, rng.randint(10, 35)) for _ in range(10)]
        + [(rng.choice(GOOD_DEEDS), MatterOutcome.GRID_REQUEST, -1) for _ in range(5)]
        + [(rng.choice(NOTED), MatterOutcome.NOTED, -1) for _ in range(4)]
    )
    rng.shuffle(matters)
    # Every village holds at least one; the stronger ones hold the rest.
    hosts = list(villages) + rng.choices(villages, [{"strong": 4, "average": 2, "weak": 1}[v.tier] for v in villages],
                                          k=30 - len(villages))  # fmt: skip
    # Dates end by early October, so every settled matter is settled within the demo's year.
    dates = sorted(_day(rng, datetime.date(YEAR, 1, 8), datetime.date(YEAR, 10, 10)) for _ in range(30))
    counts = [4] * 11 + [5] * 19  # 139 matters over 30 meetings
    rng.shuffle(counts)
    start = 0
    for village, date, count in zip(hosts, dates, counts, strict=True):
        plan.meeting(village, kind=plan.kinds["屋场会"], date=date, matters=matters[start : start + count])
        start += count


def _volunteering(rng, villages: list[_Village], townships: dict[str, tuple[int, str]], county_pk: int) -> dict:
    """Stations, teams and 2026 activities. Returns the rows per model, foreign keys left to ``_insert``."""
    center = PracticeStation(division_id=county_pk, name="郾城区新时代文明实践中心", level=StationLevel.CENTER)
    institutes = {
        code: PracticeStation(division_id=pk, name=f"{name}新时代文明实践所", level=StationLevel.INSTITUTE)
        for code, (pk, name) in townships.items()
    }
    stations: dict[str, PracticeStation] = {}  # village code → station
    by_township: dict[str, list[_Village]] = {}
    for v in villages:
        by_township.setdefault(v.township, []).append(v)
    for code, members in by_township.items():
        if code == PEICHENG:
            chosen = sorted(rng.sample(members, min(17, len(members))), key=lambda v: v.code)
        else:
            chance = {"strong": 0.95, "average": 0.7, "weak": 0.35}
            chosen = [v for v in members if rng.random() < chance[v.tier]]
        for v in chosen:
            stations[v.code] = PracticeStation(
                division_id=v.pk, name=f"{v.name}新时代文明实践站", level=StationLevel.STATION,
                opened_on=_day(rng, datetime.date(2020, 3, 1), datetime.date(YEAR - 1, 12, 31)),
            )  # fmt: skip
    teams: list[tuple[str, VolunteerTeam]] = []  # (owner code: township prefix or village code, team)
    for code, (pk, name) in townships.items():
        if code == PEICHENG:
            # The seed's 西村巾帼红 (20-odd women) among teams that add up to some 1,000 volunteers.
            spec = [
                ("巾帼红志愿服务队", VolunteerFocus.WOMEN, 23),
                ("法律服务志愿队", VolunteerFocus.LEGAL, 16),
                ("人居环境整治志愿队", VolunteerFocus.ENVIRONMENT, 120),
                ("科技科普志愿队", VolunteerFocus.SCIENCE, 35),
                ("敬老助老志愿队", VolunteerFocus.ELDERLY, 40),
            ]
        else:
            spec = [("人居环境整治志愿队", VolunteerFocus.ENVIRONMENT, rng.randint(30, 80))]
            if rng.random() < 0.6:
                spec.append(("法律服务志愿队", VolunteerFocus.LEGAL, rng.randint(8, 20)))
        for team_name, focus, members in spec:
            teams.append((code, VolunteerTeam(division_id=pk, name=f"{name}{team_name}", focus=focus, members=members)))
    for v in villages:
        if v.code in stations and (v.township == PEICHENG or rng.random() < 0.6):
            teams.append(
                (v.code, VolunteerTeam(division_id=v.pk, name=f"{v.name}志愿服务队", members=rng.randint(25, 60),
                                       focus=rng.choice([VolunteerFocus.ENVIRONMENT, VolunteerFocus.CULTURE])))
            )  # fmt: skip
    activities: list[tuple[VolunteerActivity, int | None, str | None]] = []  # (row, team index, station key)
    kinds, weights = list(ACTIVITY_KINDS), list(ACTIVITY_KINDS.values())

    def activity(division_pk, owner_code, station_key, kind=None):
        kind = kind or rng.choices(kinds, weights)[0]
        team_index = next((i for i, (owner, t) in enumerate(teams) if owner == owner_code and t.focus == kind), None)
        row = VolunteerActivity(
            division_id=division_pk, date=_day(rng, datetime.date(YEAR, 1, 5), LAST_DAY),
            title=rng.choice(ACTIVITY_TITLES[kind]), kind=kind, participants=rng.randint(6, 45),
            beneficiaries=rng.randint(20, 300),
        )  # fmt: skip
        activities.append((row, team_index, station_key))

    for code, members in by_township.items():
        pk = townships[code][0]
        if code == PEICHENG:
            # 200 in all; the practice institute and stations host 40 of them.
            station_villages = [v for v in members if v.code in stations]
            for i in range(200):
                if i < 40:
                    v = station_villages[i % len(station_villages)] if i % 5 else None
                    if v is None:
                        activity(pk, code, code)
                    else:
                        activity(v.pk, v.code, v.code)
                elif i < 90:
                    activity(pk, code, None)
                else:
                    v = rng.choice(members)
                    activity(v.pk, v.code, None)
            continue
        for _ in range(rng.randint(2, 6)):
            activity(pk, code, code if rng.random() < 0.5 else None)
        for v in members:
            for _ in range(rng.randint(*PROFILE[v.tier]["activities"])):
                activity(v.pk, v.code, v.code if v.code in stations and rng.random() < 0.4 else None)
    return {"center": center, "institutes": institutes, "stations": stations, "teams": teams, "activities": activities}


def _training(rng, county_pk: int, townships: dict[str, tuple[int, str]], villages: list[_Village]):
    """The county's rotation training (three batches), the monthly forum and one course per township."""
    codes = {v.code for v in villages}
    cadres = list(
        Cadre.objects.filter(active=True, division__code__startswith=COUNTY[:6])
        .order_by("division__code", "pk")
        .values_list("pk", "division__code")
    )
    cadres = [(pk, code) for pk, code in cadres if code in codes]
    secretaries = dict(
        Post.objects.filter(
            division__code__startswith=COUNTY[:6], committee=Committee.PARTY, title=PostTitle.SECRETARY,
            end_date__isnull=True,
        ).values_list("division__code", "cadre_id")
    )  # fmt: skip
    secretaries = {code: pk for code, pk in secretaries.items() if code in codes}
    tiers = {v.code: v.tier for v in villages}
    names = {v.code: v.name for v in villages}
    sessions: list[tuple[TrainingSession, list[TrainingAttendance]]] = []
    township_codes = sorted(townships)
    statuses = [AttendanceStatus.PRESENT, AttendanceStatus.LEAVE, AttendanceStatus.ABSENT]

    def status():
        return rng.choices(statuses, [92, 6, 2])[0]

    for batch, (month, label) in enumerate(((3, "第一期"), (4, "第二期"), (5, "第三期"))):
        start = datetime.date(YEAR, month, 16)
        session = TrainingSession(
            division_id=county_pk, kind=TrainingKind.ROTATION, title=f"{YEAR}年{ROTATION_SERIES}({label})",
            series=ROTATION_SERIES, date=start, end_date=start + datetime.timedelta(days=2), place="郾城区委党校",
            hours=Decimal(20), speakers="区委组织部、区委党校",
        )  # fmt: skip
        group = set(township_codes[batch::3])
        rows = [TrainingAttendance(cadre_id=pk, status=status()) for pk, code in cadres if code[:9] in group]
        sessions.append((session, rows))
    speakers_pool = [code for code in sorted(secretaries) if tiers.get(code) == "strong"] or sorted(secretaries)
    for month, topic in enumerate(FORUM_TOPICS, start=1):
        session = TrainingSession(
            division_id=county_pk, kind=TrainingKind.FORUM, title=f"第{month}期:{topic}", series=FORUM_SERIES,
            date=datetime.date(YEAR, month, 9 + month), place="郾城区党群服务中心", hours=Decimal(3),
        )  # fmt: skip
        speaker_codes = rng.sample(speakers_pool, min(2, len(speakers_pool)))
        session.speakers = "、".join(f"{names[c]}党支部书记" for c in speaker_codes)
        others = rng.sample(sorted(set(secretaries) - set(speaker_codes)), min(25, len(secretaries) - 2))
        rows = [TrainingAttendance(cadre_id=secretaries[c], role=AttendanceRole.SPEAKER) for c in speaker_codes]
        rows += [TrainingAttendance(cadre_id=secretaries[c], status=status()) for c in others]
        sessions.append((session, rows))
    for code in township_codes:
        pk, name = townships[code]
        date = _day(rng, datetime.date(YEAR, 6, 1), datetime.date(YEAR, 10, 31))
        session = TrainingSession(
            division_id=pk, kind=TrainingKind.COURSE, title=f"{name}村干部业务能力培训", date=date,
            place=f"{name}党群服务中心", hours=Decimal(6),
        )  # fmt: skip
        rows = [
            TrainingAttendance(cadre_id=secretaries[c], status=status()) for c in sorted(secretaries) if c[:9] == code
        ]
        sessions.append((session, rows))
    return sessions


def _bulk(rows, model):
    return bulk_create_with_history(rows, model, batch_size=1000, default_change_reason=CHANGE_REASON) if rows else []


def _insert(plan: _Plan, volunteering: dict | None, sessions) -> dict[str, int]:
    counts = {}
    counts["incomes"] = len(_bulk(plan.incomes, CollectiveIncome))
    projects = _bulk(plan.projects, CollectiveProject)
    for index, row in plan.returns:
        row.project_id = projects[index].pk
    counts["projects"] = len(projects)
    counts["project returns"] = len(_bulk([row for _i, row in plan.returns], CollectiveProjectReturn))
    counts["workshops"] = len(_bulk(plan.workshops, CommonProsperityWorkshop))
    meetings = _bulk(plan.meetings, VillagerMeeting)
    for index, row in plan.matters:
        row.meeting_id = meetings[index].pk
    counts["meetings"] = len(meetings)
    counts["matters"] = len(_bulk([row for _i, row in plan.matters], MeetingMatter))
    counts["infrastructure projects"] = len(_bulk(plan.infrastructure, InfrastructureProject))
    counts["inspections"] = len(_bulk(plan.inspections, EnvironmentInspection))
    if volunteering:
        (center,) = _bulk([volunteering["center"]], PracticeStation)
        institutes = volunteering["institutes"]
        for institute in institutes.values():
            institute.parent_id = center.pk
        _bulk(list(institutes.values()), PracticeStation)
        stations = volunteering["stations"]
        for village_code, station in stations.items():
            station.parent_id = institutes[village_code[:9]].pk
        _bulk(list(stations.values()), PracticeStation)
        # Stations by key: a township prefix names its institute, a village code its station.
        by_key = {**institutes, **stations}
        for owner, team in volunteering["teams"]:
            station = by_key.get(owner)
            team.station_id = station.pk if station else None
        teams = _bulk([team for _o, team in volunteering["teams"]], VolunteerTeam)
        for row, team_index, station_key in volunteering["activities"]:
            row.team_id = teams[team_index].pk if team_index is not None else None
            row.station_id = by_key[station_key].pk if station_key in by_key else None
        counts["practice stations"] = 1 + len(institutes) + len(stations)
        counts["volunteer teams"] = len(teams)
        counts["volunteer activities"] = len(
            _bulk([row for row, _t, _s in volunteering["activities"]], VolunteerActivity)
        )
    if sessions:
        created = _bulk([session for session, _rows in sessions], TrainingSession)
        attendance = []
        for session, (_planned, rows) in zip(created, sessions, strict=True):
            for row in rows:
                row.session_id = session.pk
                attendance.append(row)
        counts["training sessions"] = len(created)
        counts["training attendance"] = len(_bulk(attendance, TrainingAttendance))
    return counts


def load(stdout) -> None:
    county = Division.objects.filter(code=COUNTY).values_list("pk", flat=True).first()
    if county is None:
        stdout.write("  work records: skipped, 郾城区 is not loaded")
        return
    villages = _villages_to_load()
    if not villages:
        stdout.write("  work records: already there")
        return
    with transaction.atomic():
        kinds = _ensure_kinds()
        rng = random.Random(SEED)  # noqa: S311 - made-up demo records, nothing secret; it must repeat
        for v in villages:
            v.tier = rng.choices(list(TIERS), list(TIERS.values()))[0]
            if v.name == "潘西村":
                v.tier = "average"
            elif v.name == "齐罗村":
                v.tier = "strong"
            elif v.name == "梁庄村":
                v.tier = "weak"  # the seed's village where cadres shirked their duties
        plan = _Plan(rng, villages, kinds)
        for v in villages:
            plan.economy(v)
            plan.livability(v)
        longcheng = [v for v in villages if v.township == LONGCHENG and not v.is_community]
        workshop_village = max(longcheng, key=lambda v: (v.tier == "strong", v.population), default=None)
        for v in villages:
            if v is workshop_village:
                plan.workshop(v, seed_figures=True)
            elif v.tier == "strong" and rng.random() < 0.2:
                plan.workshop(v, seed_figures=False)
        kind_names = [name for name, _ in MEETING_KINDS]
        peicheng = [v for v in villages if v.township == PEICHENG]
        if len(peicheng) >= 25:
            _peicheng_meetings(plan, peicheng)
        for v in villages:
            if v in peicheng and len(peicheng) >= 25:
                continue
            for _ in range(rng.randint(*PROFILE[v.tier]["meetings"])):
                date = _day(rng, datetime.date(YEAR, 1, 5), datetime.date(YEAR, 11, 15))
                kind = plan.kinds[rng.choices(kind_names, [5, 3, 2, 2, 1])[0]]
                plan.meeting(v, kind=kind, date=date, matters=plan.random_matters(rng.randint(1, 4)))
        # County-wide records (stations, teams, training) come once, with the first load of the county's villages.
        first_load = not TrainingSession.objects.filter(division_id=county, series=FORUM_SERIES).exists()
        volunteering = sessions = None
        if first_load:
            townships = {
                code[:9]: (pk, name)
                for code, pk, name in Division.objects.filter(level=Level.TOWNSHIP, code__startswith=COUNTY[:6])
                .order_by("code")
                .values_list("code", "pk", "name")
            }
            volunteering = _volunteering(rng, villages, townships, county)
            sessions = _training(rng, county, townships, villages)
        counts = _insert(plan, volunteering, sessions)
    stdout.write(f"  work records for {len(villages)} villages: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
