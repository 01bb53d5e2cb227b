"""Demo data for the grids app: 郾城区's villages and communities divided into grids, with households, the
party members who link them, service requests in every state and visits.

``manage.py load_demo`` finds ``load`` through ``GridsConfig.demo_loader``, after the villages demo. Each
village's plan is drawn from a generator seeded with the village's code, so a village gets the same grids
whichever others exist; villages that already have grids are skipped, so a second run adds nothing. Dates
are laid out backwards from the moment of loading, so the demo always has requests that are due soon,
overdue, and closed.

沙北街道 reproduces the seed's subdistrict: 66 comprehensive and 34 dedicated grids. 龙江社区, where the demo
grid worker yc_grid works, has grids of a realistic 200–300 households and yc_grid is assigned to three of
them; elsewhere each grid holds a sample of 16–30 households, to keep the demo quick to load. The grids are
rectangles with slightly moved corners, laid out without overlapping around each village's place in
its township's block (longitude 113.90–114.20, latitude 33.50–33.70).
"""

import datetime
import itertools
import math
import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from villages.choices import Committee, DivisionKind, Level, PostTitle
from villages.demo import (
    FEMALE_NAMES_OLDER,
    FEMALE_NAMES_YOUNGER,
    HENAN_SURNAMES,
    MALE_NAMES_OLDER,
    MALE_NAMES_YOUNGER,
    PHONE_PREFIXES,
)
from villages.models import Division, Post

from .catalogue import load_defaults
from .choices import (
    OPEN_STATUSES,
    AssignmentRole,
    Channel,
    DedicatedType,
    GridKind,
    Rating,
    RequestStatus,
    StepAction,
    SupervisionLevel,
    VisitKind,
)
from .households import insert_households, insert_rows
from .models import (
    BuildingPartyGroup,
    CareTag,
    Grid,
    GridAssignment,
    GridPartyBranch,
    PartyMember,
    RequestStep,
    ServiceCategory,
    ServiceItem,
    ServiceRequest,
    ServiceSubcategory,
    Supervision,
    Visit,
)

SEED = 20240501
COUNTY = "411103"
SHABEI = "411103001"
LONGJIANG = "411103001001"
GRID_WORKER = "yc_grid"
CHANGE_REASON = "演示数据"
# The seed's subdistrict: 66 comprehensive and 34 dedicated grids.
SHABEI_COMPREHENSIVE, SHABEI_DEDICATED = 66, 34
# Where the county's townships lie: four blocks a row, three rows, filling longitude 113.90–114.20 and
# latitude 33.50–33.70. At this latitude a degree of longitude is 0.83 of a degree of latitude on the ground,
# so the blocks are close to square.
WEST, SOUTH, BLOCK_W, BLOCK_H, BLOCK_COLS = 113.90, 33.50, 0.075, 0.2 / 3, 4

NUMERALS = "一二三四五六七八九十"
DEDICATED_NAMES = {
    DedicatedType.SCHOOL: ["实验小学", "第二小学", "初级中学", "中心幼儿园", "高级中学"],
    DedicatedType.HOSPITAL: ["社区卫生服务站", "卫生院", "中医院", "人民医院分院"],
    DedicatedType.ENTERPRISE: ["食品有限公司", "纺织有限公司", "机械制造有限公司", "物流园", "面业有限公司"],
    DedicatedType.MARKET: ["农贸市场", "商贸城", "建材市场", "综合市场"],
    DedicatedType.OFFICE: ["机关大院", "政务服务中心", "综治中心", "供电所"],
}
NOTES = {
    StepAction.ACCEPT: ["已受理，马上联系", "已电话回复群众", ""],
    StepAction.DISPATCH: ["请网格员跟进办理", "转相关部门办理", ""],
    StepAction.HANDLE: ["已上门办理完毕", "已协调相关部门解决", "材料已代为提交", "已现场处理"],
    StepAction.VERIFY: ["经核查已办结", "回访核实情况属实", ""],
    StepAction.CLOSE: ["办结", ""],
}
SEND_BACK_REASONS = ["处置不到位，请重新处置", "材料不全，退回补充", "群众反映问题未解决"]
SUPERVISION_REASONS = {
    SupervisionLevel.ORDINARY: "已超期，请尽快办理",
    SupervisionLevel.YELLOW: "超期未办结，黄牌督办",
    SupervisionLevel.RED: "严重超期，红牌督办",
}
VISIT_NOTES = ["了解家庭近况", "宣传惠民政策", "询问身体情况", "收集意见建议", "", ""]
RATING_WEIGHTS = {Rating.SATISFIED: 80, Rating.BASICALLY: 15, Rating.DISSATISFIED: 5}
# Most requests of the last months are done; about a third are still on their way.
STATUS_WEIGHTS = {
    RequestStatus.REPORTED: 7,
    RequestStatus.ACCEPTED: 7,
    RequestStatus.DISPATCHED: 9,
    RequestStatus.HANDLED: 6,
    RequestStatus.VERIFIED: 5,
    RequestStatus.CLOSED: 24,
    RequestStatus.RATED: 42,
}
CHAIN = [
    RequestStatus.REPORTED,
    RequestStatus.ACCEPTED,
    RequestStatus.DISPATCHED,
    RequestStatus.HANDLED,
    RequestStatus.VERIFIED,
    RequestStatus.CLOSED,
    RequestStatus.RATED,
]
ACTION_INTO = {
    RequestStatus.ACCEPTED: StepAction.ACCEPT,
    RequestStatus.DISPATCHED: StepAction.DISPATCH,
    RequestStatus.HANDLED: StepAction.HANDLE,
    RequestStatus.VERIFIED: StepAction.VERIFY,
    RequestStatus.CLOSED: StepAction.CLOSE,
    RequestStatus.RATED: StepAction.RATE,
}


@dataclass
class PlannedRequest:
    household: int  # index into the grid's households
    item: int  # index into the catalogue
    status: str
    overdue: bool
    supervision: list[str]
    channel: str
    description: str
    send_back: bool
    fraction: float  # where in its time limit an open request stands, or how late a closed one closed
    age_days: float  # how long ago a closed request was reported


@dataclass
class PlannedGrid:
    code: str
    name: str
    kind: str
    dedicated_type: str
    boundary: dict
    households: list[tuple] = field(default_factory=list)  # (address, head, members, phone, tags, member index)
    members: list[tuple] = field(default_factory=list)  # (name, phone, group index, central)
    groups: list[tuple] = field(default_factory=list)  # (name, building)
    branch: str = ""
    people: list[tuple] = field(default_factory=list)  # (role, person name)
    worker_assigned: bool = False
    requests: list[PlannedRequest] = field(default_factory=list)
    visits: list[tuple] = field(default_factory=list)  # (household index, days ago, by member, kind, note)


class _Names:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.surnames = list(HENAN_SURNAMES)
        self.weights = list(HENAN_SURNAMES.values())

    def person(self, surname: str | None = None) -> str:
        rng = self.rng
        if surname is None or rng.random() > 0.35:
            surname = rng.choices(self.surnames, self.weights)[0]
        female = rng.random() < 0.4
        older = rng.random() < 0.6
        pool = (
            (FEMALE_NAMES_OLDER if older else FEMALE_NAMES_YOUNGER)
            if female
            else (MALE_NAMES_OLDER if older else MALE_NAMES_YOUNGER)
        )
        return surname + rng.choice(pool)

    def phone(self) -> str:
        return self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randint(0, 99_999_999):08d}"


def _quad(rng, west, south, east, north) -> dict:
    """A rectangle whose corners move inward a little: a plausible, convex and so valid grid boundary."""
    w, h = east - west, north - south

    def inset(fraction_w, fraction_h):
        return rng.uniform(0.01, 0.07) * fraction_w * w, rng.uniform(0.01, 0.07) * fraction_h * h

    dx1, dy1 = inset(1, 1)
    dx2, dy2 = inset(1, 1)
    dx3, dy3 = inset(1, 1)
    dx4, dy4 = inset(1, 1)
    ring = [
        [west + dx1, south + dy1],
        [east - dx2, south + dy2],
        [east - dx3, north - dy3],
        [west + dx4, north - dy4],
    ]
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def _cells(n: int, west, south, east, north, margin=0.02):
    """``n`` non-overlapping cells filling a box row by row, each shrunk by a margin."""
    cols = max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / cols))
    w, h = (east - west) / cols, (north - south) / rows
    for i in range(n):
        c, r = i % cols, i // cols
        x0, y0 = west + c * w, north - (r + 1) * h
        yield x0 + margin * w, y0 + margin * h, x0 + (1 - margin) * w, y0 + (1 - margin) * h


def _street(village: Division) -> str:
    name = village.name.removesuffix("社区")
    return name if name.endswith("路") else name + "路"


def _short(village: Division) -> str:
    return village.name.removesuffix("社区").removesuffix("村").removesuffix("路")


def _grid_counts(village: Division, township_code: str, rng: random.Random) -> tuple[int, int]:
    if village.code == LONGJIANG:
        return 6, 3
    if village.kind == DivisionKind.COMMUNITY:
        return rng.randint(4, 6), rng.randint(1, 3) if township_code[:9] == SHABEI else rng.randint(0, 2)
    return rng.randint(2, 4), 1 if rng.random() < 0.2 else 0


def _shabei_counts(villages: list[Division]) -> dict[str, tuple[int, int]]:
    """The seed's 66 + 34 grids spread over 沙北街道: communities take more, 龙江社区 keeps its 6 + 3."""
    rng = random.Random(f"{SEED}-{SHABEI}")  # noqa: S311 - demo layout, it must repeat
    counts = {v.code: [3 if v.kind == DivisionKind.COMMUNITY else 2, 1] for v in villages}
    counts[LONGJIANG] = [6, 3]
    movable = [v.code for v in villages if v.code != LONGJIANG]
    community = [v.code for v in villages if v.code != LONGJIANG and v.kind == DivisionKind.COMMUNITY]
    while sum(c[0] for c in counts.values()) < SHABEI_COMPREHENSIVE:
        counts[rng.choice(movable)][0] += 1
    while sum(c[1] for c in counts.values()) < SHABEI_DEDICATED:
        counts[rng.choice(community or movable)][1] += 1
    return {code: (c[0], c[1]) for code, c in counts.items()}


def _plan_village(village: Division, box, counts, items: int, tags: int) -> list[PlannedGrid]:
    rng = random.Random(f"{SEED}-{village.code}")  # noqa: S311 - made-up demo data, it must repeat
    names = _Names(rng)
    community = village.kind == DivisionKind.COMMUNITY
    n_comp, n_ded = counts
    kinds = [(GridKind.COMPREHENSIVE, "")] * n_comp
    types = list(DedicatedType.values)
    for _ in range(n_ded):
        kinds.append((GridKind.DEDICATED, rng.choice(types)))
    surname = rng.choices(names.surnames, names.weights)[0]
    grids: list[PlannedGrid] = []
    used_names: set[str] = set()
    for number, ((kind, dedicated), cell) in enumerate(zip(kinds, _cells(len(kinds), *box), strict=True), start=1):
        if kind == GridKind.COMPREHENSIVE:
            name = f"第{_numeral(number)}网格"
        else:
            options = [n for n in DEDICATED_NAMES[dedicated] if f"{_short(village)}{n}网格" not in used_names]
            name = f"{_short(village)}{rng.choice(options or DEDICATED_NAMES[dedicated])}网格"
            if name in used_names:
                name = f"{name[:-2]}{number}号网格"
        used_names.add(name)
        grid = PlannedGrid(
            code=f"{village.code}{number:03d}",
            name=name,
            kind=kind,
            dedicated_type=dedicated,
            boundary=_quad(rng, *cell),
        )
        _plan_people(rng, names, grid, village, community, surname)
        _plan_households(rng, names, grid, village, community, surname, tags)
        _plan_requests(rng, grid, items)
        _plan_visits(rng, grid)
        grids.append(grid)
    if village.code == LONGJIANG:
        for grid in [g for g in grids if g.kind == GridKind.COMPREHENSIVE][:3]:
            grid.worker_assigned = True
    return grids


def _numeral(n: int) -> str:
    if n <= 10:
        return NUMERALS[n - 1]
    if n < 20:
        return "十" + NUMERALS[n - 11]
    return NUMERALS[n // 10 - 1] + "十" + (NUMERALS[n % 10 - 1] if n % 10 else "")


def _plan_people(rng, names, grid, village, community, surname):
    grid.people = [
        (AssignmentRole.FULL_TIME, names.person(surname)),
        (AssignmentRole.TOWNSHIP_CADRE, names.person()),
        (AssignmentRole.POLICE_BEAT, names.person()),
    ]
    if rng.random() < 0.4:
        grid.people.append((AssignmentRole.PART_TIME, names.person(surname)))
    if community and grid.kind == GridKind.COMPREHENSIVE:
        grid.people += [(AssignmentRole.BUILDING_HEAD, names.person()) for _ in range(rng.randint(1, 3))]


def _plan_households(rng, names, grid, village, community, surname, tags):
    if grid.kind == GridKind.DEDICATED:
        count = rng.randint(3, 8)  # staff dormitories, the caretaker's family, shops with residents
    elif village.code == LONGJIANG:
        count = rng.randint(200, 300)
    else:
        count = rng.randint(16, 30)
    street = _street(village)
    if community and grid.kind == GridKind.COMPREHENSIVE:
        grid.branch = f"{grid.name}党支部"
        buildings = max(1, math.ceil(count / 36))
        grid.groups = [(f"{b}号楼党小组", f"{b}号楼") for b in range(1, min(buildings, 4) + 1)]
    # 党员联户: one party member links 10–15 households, so every household has its member.
    n_members = max(1, math.ceil(count / rng.randint(10, 15)))
    grid.members = [
        (names.person(surname), names.phone(), rng.randrange(len(grid.groups)) if grid.groups else None, i == 0)
        for i in range(n_members)
    ]
    base = rng.randint(1, 60)
    for i in range(count):
        if community:
            address = (
                f"{street}{base + i // 36}号院{i % 36 // 12 + 1}号楼{i % 12 // 4 + 1}单元{i % 4 + 1}0{i % 3 + 1}室"
            )
        else:
            address = f"{village.name}{i // 25 + 1}组{i % 25 + 1}号"
        care = []
        if tags and rng.random() < 0.18:
            care = rng.sample(range(tags), k=1 if rng.random() < 0.8 else 2)
        grid.households.append(
            (
                address,
                names.person(surname),
                rng.choices([1, 2, 3, 4, 5, 6], [8, 25, 28, 22, 12, 5])[0],
                names.phone() if rng.random() < 0.85 else "",
                care,
                i * n_members // count,
            )
        )


def _plan_requests(rng, grid, items):
    households = len(grid.households)
    count = rng.choices([0, 1, 2, 3, 4], [20, 30, 25, 15, 10])[0]
    if grid.code.startswith(LONGJIANG):
        count = 9
    statuses = list(STATUS_WEIGHTS)
    for k in range(count):
        if grid.code.startswith(LONGJIANG) and k < len(CHAIN):
            status = CHAIN[k]  # every state on the demo grid worker's page
        else:
            status = rng.choices(statuses, list(STATUS_WEIGHTS.values()))[0]
        is_open = status in OPEN_STATUSES
        # On the demo grid worker's list a few are overdue, not most of it.
        overdue = k in (1, 2) if grid.code.startswith(LONGJIANG) else rng.random() < (0.3 if is_open else 0.12)
        supervision = []
        if grid.code.startswith(LONGJIANG) and k == 2:
            supervision = [SupervisionLevel.ORDINARY, SupervisionLevel.YELLOW]
        elif is_open and overdue and rng.random() < 0.45:
            levels = list(SupervisionLevel.values)
            top = rng.choices(range(3), [5, 3, 2])[0]
            supervision = levels[: top + 1]
        grid.requests.append(
            PlannedRequest(
                household=rng.randrange(households) if households and rng.random() < 0.9 else -1,
                item=rng.randrange(items),
                status=status,
                overdue=overdue,
                supervision=supervision,
                channel=rng.choices(list(Channel.values), [5, 3, 2])[0],
                description="",
                send_back=rng.random() < 0.12 and CHAIN.index(status) >= CHAIN.index(RequestStatus.HANDLED),
                fraction=rng.uniform(0.1, 0.8) if not overdue else rng.uniform(1.2, 3.0),
                age_days=rng.uniform(3, 75),
            )
        )


def _plan_visits(rng, grid):
    # Coverage differs from grid to grid, so the map has something to show.
    share = rng.uniform(0.15, 0.95)
    for i in range(len(grid.households)):
        if rng.random() < share:
            grid.visits.append(
                (i, rng.randint(0, 29), rng.random() < 0.6, rng.choice(list(VisitKind.values)), rng.choice(VISIT_NOTES))
            )
        if rng.random() < 0.1:
            grid.visits.append((i, rng.randint(30, 120), True, VisitKind.ROUTINE, ""))


def _township_boxes(townships: list[Division]) -> dict[str, tuple]:
    boxes = {}
    for i, township in enumerate(townships):
        col, row = i % BLOCK_COLS, i // BLOCK_COLS
        west, south = WEST + col * BLOCK_W, SOUTH + row * BLOCK_H
        boxes[township.code] = (west, south, west + BLOCK_W, south + BLOCK_H)
    return boxes


def build_plan(villages: list[Division], townships: list[Division], items: int, tags: int) -> dict:
    """{village code: [PlannedGrid]} for the given villages; positions come from every village of the county."""
    boxes = _township_boxes(townships)
    by_township: dict[str, list[Division]] = {}
    for v in villages:
        by_township.setdefault(v.code[:9], []).append(v)
    plan = {}
    for township in townships:
        members = sorted(by_township.get(township.code[:9], []), key=lambda v: v.code)
        shabei = _shabei_counts(members) if township.code[:9] == SHABEI else {}
        for village, box in zip(members, _cells(len(members), *boxes[township.code], margin=0.04), strict=True):
            rng = random.Random(f"{SEED}-{village.code}-counts")  # noqa: S311 - demo layout
            counts = shabei.get(village.code) or _grid_counts(village, township.code, rng)
            plan[village.code] = (village, box, counts)
    return plan


def _now_floor():
    # Whole minutes, so the steps shown read cleanly.
    return timezone.now().replace(second=0, microsecond=0)


@transaction.atomic
def load(stdout) -> None:
    n_items, n_tags = load_defaults(ServiceCategory, ServiceSubcategory, ServiceItem, CareTag)
    if n_items or n_tags:
        stdout.write(f"  service list: {n_items} items and {n_tags} care tags added")
    townships = list(Division.objects.filter(level=Level.TOWNSHIP, code__startswith=COUNTY).order_by("code"))
    villages = list(Division.objects.filter(level=Level.VILLAGE, code__startswith=COUNTY).order_by("code"))
    if not villages:
        stdout.write("  grids: no villages of 郾城区 to divide")
        return
    done = set(Grid.objects.filter(village__code__startswith=COUNTY).values_list("village_id", flat=True))
    items = list(ServiceItem.objects.filter(active=True).order_by("pk"))
    tags = list(CareTag.objects.filter(active=True).order_by("order", "pk"))
    layout = build_plan(villages, townships, len(items), len(tags))
    todo = [layout[v.code] for v in villages if v.pk not in done and v.code in layout]
    if not todo:
        stdout.write("  grids: already there")
        return
    planned = [(village, _plan_village(village, box, counts, len(items), len(tags))) for village, box, counts in todo]
    totals = _insert(planned, items, tags, {t.code: t for t in townships})
    stdout.write(
        "  grids: {grids} grids in {villages} villages, {households} households, {members} party members, "
        "{requests} service requests, {visits} visits".format(villages=len(planned), **totals)
    )


def _insert(planned, items, tags, townships) -> dict:
    now = _now_floor()
    today = timezone.localdate()
    worker = get_user_model().objects.filter(username=GRID_WORKER).first()
    secretaries = dict(
        Post.objects.filter(
            division__in=[v for v, _ in planned],
            committee=Committee.PARTY,
            title=PostTitle.SECRETARY,
            end_date__isnull=True,
        ).values_list("division_id", "cadre__name")
    )
    all_grids = [(village, g) for village, grids in planned for g in grids]
    grid_rows = bulk_create_with_history(
        [
            Grid(
                village=village,
                code=g.code,
                name=g.name,
                kind=g.kind,
                dedicated_type=g.dedicated_type,
                boundary=g.boundary,
            )
            for village, g in all_grids
        ],
        Grid,
        default_change_reason=CHANGE_REASON,
    )
    grid_ids = [row.pk for row in grid_rows]

    # The party chain of the communities: grid branch → building groups → members.
    branch_of = [(i, g) for i, (_v, g) in enumerate(all_grids) if g.branch]
    branches = bulk_create_with_history(
        [GridPartyBranch(grid_id=grid_ids[i], name=g.branch) for i, g in branch_of],
        GridPartyBranch,
        default_change_reason=CHANGE_REASON,
    )
    branch_ids = {i: b.pk for (i, _g), b in zip(branch_of, branches, strict=True)}
    group_keys = [(i, k) for i, g in branch_of for k in range(len(g.groups))]
    groups = bulk_create_with_history(
        [
            BuildingPartyGroup(
                branch_id=branch_ids[i], name=all_grids[i][1].groups[k][0], building=all_grids[i][1].groups[k][1]
            )
            for i, k in group_keys
        ],
        BuildingPartyGroup,
        default_change_reason=CHANGE_REASON,
    )
    group_ids = {key: group.pk for key, group in zip(group_keys, groups, strict=True)}

    member_keys = [(i, m) for i, (_v, g) in enumerate(all_grids) for m in range(len(g.members))]
    members = bulk_create_with_history(
        [
            PartyMember(
                village=all_grids[i][0],
                grid_id=grid_ids[i],
                party_group_id=group_ids.get((i, all_grids[i][1].members[m][2])),
                name=all_grids[i][1].members[m][0],
                phone=all_grids[i][1].members[m][1],
                branch=all_grids[i][1].branch or f"{all_grids[i][0].name}党支部",
                is_central_household=all_grids[i][1].members[m][3],
            )
            for i, m in member_keys
        ],
        PartyMember,
        default_change_reason=CHANGE_REASON,
    )
    member_ids = {key: member.pk for key, member in zip(member_keys, members, strict=True)}
    # Each branch's secretary and each group's leader are among its members.
    for (i, _g), branch in zip(branch_of, branches, strict=True):
        branch.secretary_id = member_ids[(i, 0)]
    GridPartyBranch.objects.bulk_update(branches, ["secretary"])
    for (i, k), group in zip(group_keys, groups, strict=True):
        leader = next((m for m in range(len(all_grids[i][1].members)) if all_grids[i][1].members[m][2] == k), 0)
        group.leader_id = member_ids[(i, leader)]
    BuildingPartyGroup.objects.bulk_update(groups, ["leader"])

    household_keys = [(i, h) for i, (_v, g) in enumerate(all_grids) for h in range(len(g.households))]
    # Households the way the import inserts them: no model instance per row, each with its history row.
    ids = insert_households(
        [
            (grid_ids[i], address, head, members, phone, member_ids[(i, member)], tuple(tags[t].pk for t in care))
            for i, h in household_keys
            for address, head, members, phone, care, member in [all_grids[i][1].households[h]]
        ],
        reason=CHANGE_REASON,
    )
    household_ids = dict(zip(household_keys, ids, strict=True))

    assignments = []
    for i, (village, g) in enumerate(all_grids):
        start = datetime.date(2021, 5, 1) + datetime.timedelta(days=i % 90)
        head = secretaries.get(village.pk) or g.people[0][1]
        assignments.append(
            GridAssignment(grid_id=grid_ids[i], role=AssignmentRole.GRID_HEAD, person_name=head, start_date=start)
        )
        for role, person in g.people:
            assignments.append(GridAssignment(grid_id=grid_ids[i], role=role, person_name=person, start_date=start))
        if g.worker_assigned and worker is not None:
            assignments.append(
                GridAssignment(
                    grid_id=grid_ids[i],
                    role=AssignmentRole.FULL_TIME,
                    user=worker,
                    start_date=datetime.date(2023, 3, 1),
                )
            )
    bulk_create_with_history(assignments, GridAssignment, default_change_reason=CHANGE_REASON)

    n_requests = _insert_requests(all_grids, grid_ids, household_ids, items, townships, worker, now)
    visits = []
    worker_id = worker.pk if worker is not None else None
    for i, (_village, g) in enumerate(all_grids):
        # Outside the demo grid worker's grids, the linked party members make the visits.
        by_worker = g.worker_assigned and worker is not None
        for h, days_ago, by_member, kind, note in g.visits:
            member = member_ids[(i, g.households[h][5])] if by_member or not by_worker else None
            visits.append(
                (
                    household_ids[(i, h)],
                    today - datetime.timedelta(days=days_ago),
                    kind,
                    worker_id if by_worker and not by_member else None,
                    member,
                    note,
                    worker_id if by_worker else None,
                    now - datetime.timedelta(days=days_ago),
                )
            )
    columns = ["household_id", "visited_on", "kind", "visitor_user_id", "visitor_member_id", "note", "created_by_id"]
    insert_rows(Visit, [*columns, "created_at"], visits)
    return {
        "grids": len(grid_ids),
        "households": len(household_ids),
        "members": len(member_ids),
        "requests": n_requests,
        "visits": len(visits),
    }


def _insert_requests(all_grids, grid_ids, household_ids, items, townships, worker, now):
    """Requests with their steps laid out in time: open ones still within or past their limit, closed ones
    on time or late, a few sent back once, overdue ones pressed by the township or the county."""
    rows, chains, pressed = [], [], []
    for i, (village, g) in enumerate(all_grids):
        township = townships.get(village.code[:9] + "000")
        township_name = township.name if township else village.name
        grid_label = f"{village.name}{g.name}"
        by_worker = g.worker_assigned and worker is not None
        for planned in g.requests:
            item = items[planned.item]
            limit = item.time_limit_delta
            household = all_grids[i][1].households[planned.household] if planned.household >= 0 else None
            requester = household[1] if household else all_grids[i][1].people[0][1]
            if planned.status in OPEN_STATUSES:
                reported = now - limit * planned.fraction
                end = now - datetime.timedelta(minutes=20)
                closed = None
            else:
                reported = now - datetime.timedelta(days=planned.age_days)
                late = 1.1 + planned.fraction / 3 if planned.overdue else 0.25 + planned.fraction / 2
                closed = min(reported + limit * late, now - datetime.timedelta(hours=2))
                end = closed + datetime.timedelta(hours=6) if planned.status == RequestStatus.RATED else closed
                end = min(end, now - datetime.timedelta(hours=1))
            reported = reported.replace(second=0, microsecond=0)
            rating = ""
            if planned.status == RequestStatus.RATED:
                rating = random.Random(f"{SEED}-{g.code}-{planned.item}-rate").choices(  # noqa: S311 - demo data
                    list(RATING_WEIGHTS), list(RATING_WEIGHTS.values())
                )[0]
            steps = _steps(planned, requester, grid_label, township_name, (reported, closed, end), worker, by_worker)
            current = steps[-1][5] if steps else grid_label
            rows.append(
                ServiceRequest(
                    grid_id=grid_ids[i],
                    household_id=household_ids[(i, planned.household)] if planned.household >= 0 else None,
                    item=item,
                    channel=planned.channel,
                    requester_name=requester,
                    requester_phone=household[3] if household else "",
                    description=f"{item.subcategory.name}：{item.name}，请帮忙办理。",
                    status=planned.status,
                    reported_at=reported,
                    due_at=reported + limit,
                    closed_at=closed,
                    current_unit=current[:120],
                    handler=worker if by_worker and CHAIN.index(planned.status) >= 2 else None,
                    rating=rating,
                    rating_comment="办得及时，很满意" if rating == Rating.SATISFIED else "",
                    supervision_level=planned.supervision[-1] if planned.supervision else "",
                    created_by=worker if by_worker else None,
                )
            )
            chains.append(steps)
            pressed.append((planned.supervision, reported + limit, township_name))
    created = bulk_create_with_history(rows, ServiceRequest, default_change_reason=CHANGE_REASON)
    step_rows, supervision_rows = [], []
    for request, steps, (levels, due, township_name) in zip(created, chains, pressed, strict=True):
        for action, from_status, to_status, at, from_unit, to_unit, note, actor in steps:
            actor_id = actor.pk if actor is not None else None
            step_rows.append(
                (request.pk, action, from_status, to_status, actor_id, at, from_unit[:120], to_unit[:120], note)
            )
        for k, level in enumerate(levels):
            at = min(due + (now - due) * (k + 1) / (len(levels) + 1), now)
            unit = "郾城区委组织部" if level == SupervisionLevel.RED else township_name
            reason = SUPERVISION_REASONS[level]
            supervision_rows.append(Supervision(request_id=request.pk, level=level, reason=reason, unit=unit, at=at))
    columns = ["request_id", "action", "from_status", "to_status", "actor_id", "at", "from_unit", "to_unit", "note"]
    insert_rows(RequestStep, columns, step_rows)
    Supervision.objects.bulk_create(supervision_rows)
    return len(created)


def _steps(planned, requester, grid_label, township, times, worker, by_worker):
    """(action, from, to, at, from unit, to unit, note, actor) for each step up to the planned status.

    The steps are spread evenly from the report to the close (or to now, for an open request); the rating
    comes last, after the close.
    """
    reported, closed, end = times
    target = CHAIN.index(planned.status)
    path = [RequestStatus.REPORTED, *CHAIN[1 : target + 1]]
    moves = [(StepAction.REPORT, "", RequestStatus.REPORTED)]
    for before, after in itertools.pairwise(path):
        moves.append((ACTION_INTO[after], before, after))
        if planned.send_back and after == RequestStatus.HANDLED:
            moves.append((StepAction.SEND_BACK, RequestStatus.HANDLED, RequestStatus.DISPATCHED))
            moves.append((StepAction.HANDLE, RequestStatus.DISPATCHED, RequestStatus.HANDLED))
    spread = [m for m in moves if m[0] != StepAction.RATE]
    span = max((closed or end) - reported, datetime.timedelta(minutes=len(spread)))
    rng = random.Random(f"{grid_label}-{reported.isoformat()}")  # noqa: S311 - demo notes
    steps = []
    holder = requester
    for k, (action, before, after) in enumerate(moves):
        at = end if action == StepAction.RATE else reported + span * k / max(len(spread) - 1, 1)
        worker_step = action in (StepAction.ACCEPT, StepAction.HANDLE, StepAction.CLOSE, StepAction.RATE)
        actor = worker if by_worker and worker_step else None
        if action == StepAction.REPORT:
            from_unit, to_unit, note = requester, grid_label, Channel(planned.channel).label
        elif action == StepAction.ACCEPT:
            from_unit, to_unit, note = holder, grid_label, rng.choice(NOTES[action])
        elif action == StepAction.DISPATCH:
            from_unit, to_unit, note = township, grid_label, rng.choice(NOTES[action])
        elif action == StepAction.HANDLE:
            from_unit, to_unit, note = holder, township, rng.choice(NOTES[action])
        elif action == StepAction.VERIFY:
            from_unit, to_unit, note = township, grid_label, rng.choice(NOTES[action])
        elif action == StepAction.CLOSE:
            from_unit, to_unit, note = holder, requester, rng.choice(NOTES[action])
        elif action == StepAction.RATE:
            from_unit, to_unit, note = requester, grid_label, ""
        else:
            from_unit, to_unit, note = township, grid_label, rng.choice(SEND_BACK_REASONS)
        steps.append((action, before, after, at, from_unit, to_unit, str(note), actor))
        holder = to_unit
    return steps
