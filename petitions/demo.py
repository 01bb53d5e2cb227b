"""Demo data for petitions and disputes: the seed's 望江县 this year, and 郾城区 with cases in every state.

``manage.py load_demo`` calls ``load`` after the villages demo (``PetitionsConfig.demo_loader``). Every case is
moved through its course in memory by ``_Course``, which applies the same rules as the services (the county's
deadline rules, dates in order, no date to come), and the rows are then inserted in bulk. Numbers are planned
from one seeded generator, so a second run plans the same numbers and inserts none of those already there.

望江县 (the seed): this year 987 disputes screened and 938 resolved; 635 first-time petitions over the four
channels, all concluded, plus a few repeat petitions. 郾城区: a spread of cases and disputes in every state,
some of them overdue.
"""

import datetime
import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from villages.choices import Level
from villages.demo import ANHUI_SURNAMES, FEMALE_NAMES_OLDER, HENAN_SURNAMES, MALE_NAMES_OLDER, PHONE_PREFIXES
from villages.models import Division
from villages.validators import id_check_digit

from .choices import (
    TAKEN_ON,
    Channel,
    Decision,
    Delivery,
    DisputeCategory,
    DisputeSource,
    DisputeStatus,
    Intake,
    Kind,
    MediationKind,
    MediationMethod,
    ReviewResult,
    RiskLevel,
    Satisfaction,
    Status,
    StepAction,
)
from .models import (
    CaseCounter,
    DeadlineRules,
    Dispute,
    DisputeParty,
    Mediation,
    Petition,
    Petitioner,
    PetitionStep,
)

SEED = 20260601
CHANGE_REASON = "演示数据"
WANGJIANG, YANCHENG = "340827000000", "411103000000"
# The seed's figures for 望江县 this year.
WJ_DISPUTES, WJ_RESOLVED, WJ_FIRST_TIME = 987, 938, 635
WJ_REPEATS = 10
WJ_ESCALATED_TO_PETITIONS = 6

SUBJECTS = {
    Kind.DEMAND: [
        "要求解决宅基地确权问题", "反映拖欠农民工工资", "要求落实土地征收补偿款", "反映低保资格认定不公",
        "要求维修村组道路", "反映饮用水水质问题", "要求解决危房改造补助", "反映承包地被他人占用",
        "要求补发优抚金", "反映养殖场异味扰民", "要求解决农田灌溉用水", "反映安置房质量问题",
    ],
    Kind.SUGGESTION: [
        "建议增设村级公交站点", "建议修建村民文化广场", "建议加强河道垃圾清理", "建议完善农村医保报销流程",
        "建议增设村道路灯", "建议开设老年食堂",
    ],
    Kind.ACCUSATION: [
        "举报村干部优亲厚友", "举报村集体资金使用不透明", "举报非法占用耕地建房", "举报违规发放补贴",
        "举报非法采砂", "举报工程项目转包",
    ],
    Kind.LITIGATION: [
        "对民事判决执行不满", "反映案件久拖不决", "对劳动争议仲裁结果有异议", "反映交通事故赔偿执行难",
    ],
}  # fmt: skip
DECISION_TEXTS = {
    Decision.SUPPORT: "经调查核实，信访人反映情况属实，诉求合理，予以支持，已责成有关单位限期落实到位。",
    Decision.EXPLAIN: "经调查核实，信访人所提问题已有明确政策规定，现将有关政策和办理情况向信访人解释说明。",
    Decision.NOT_SUPPORT: "经调查核实，信访人诉求缺乏事实和政策依据，依照有关规定不予支持。",
}
REFUSAL = "所反映事项应当通过诉讼途径解决，已书面告知信访人依法向人民法院提出。"
EXTENSION_REASONS = ["涉及多个部门，需进一步会商核实", "需委托第三方机构鉴定", "需调取历史档案资料核实"]
LEADERS = ["县委副书记", "县政府副县长", "县人大常委会副主任", "县政协副主席"]
RETURN_NOTES = [
    "信访人对处理结果表示认可",
    "信访人表示问题已解决",
    "信访人对办理过程表示满意",
    "信访人仍有意见，已做解释",
]
DISPUTE_SUMMARIES = {
    DisputeCategory.NEIGHBOURS: "相邻两户因排水沟走向发生争执，双方情绪较大",
    DisputeCategory.FAMILY: "兄妹因赡养老人费用分担产生矛盾",
    DisputeCategory.LAND: "两户因承包地边界不清发生纠纷",
    DisputeCategory.LABOUR: "务工人员与包工头因工资结算发生纠纷",
    DisputeCategory.HOUSING: "兄弟因宅基地分割产生争议",
    DisputeCategory.COMPENSATION: "因家禽毁损庄稼引发赔偿纠纷",
    DisputeCategory.CONTRACT: "村民间借款到期未还引发纠纷",
    DisputeCategory.OTHER: "因广场舞噪音引发邻里矛盾",
}
AGREEMENT = "经调解，双方自愿达成调解协议并签字确认，约定事项已履行。"
ELDERS = ["退休教师", "老党员", "退役军人", "老干部", "劳动模范"]


# ------------------------------------------------------------------------------------------------- people


class _Folk:
    """Petitioners and parties: plausible names, valid ID numbers of the county, mobile numbers; all unique."""

    def __init__(self, rng: random.Random, region: str, surnames: dict):
        self.rng, self.region = rng, region
        self.surnames, self.weights = list(surnames), list(surnames.values())
        self.ids: set[str] = set()

    def person(self, address="") -> dict:
        rng = self.rng
        male = rng.random() < 0.62
        name = rng.choices(self.surnames, self.weights)[0] + rng.choice(
            MALE_NAMES_OLDER if male else FEMALE_NAMES_OLDER
        )
        while True:
            birth = datetime.date(rng.randint(1950, 1995), rng.randint(1, 12), rng.randint(1, 28))
            parity = rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
            first17 = f"{self.region}{birth:%Y%m%d}{rng.randint(0, 99):02d}{parity}"
            number = first17 + id_check_digit(first17)
            if number not in self.ids:
                self.ids.add(number)
                break
        phone = rng.choice(PHONE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"
        return {"name": name, "id_number": number, "phone": phone, "address": address}


# --------------------------------------------------------------------------------------------------- cases


@dataclass
class _Course:
    """One case, moved through its steps in memory by the rules of the services."""

    number: str
    fields: dict
    rules: DeadlineRules
    people: list[dict]
    steps: list[tuple] = field(default_factory=list)
    previous_number: str | None = None

    def __getattr__(self, name):
        try:
            return self.__dict__["fields"][name]
        except KeyError:
            raise AttributeError(name) from None

    def _step(self, action, on, actor=None, from_code=None, to_code=None, note=""):
        self.steps.append((action, on, actor, from_code, to_code, note))

    def register(self, actor):
        f = self.fields
        f["acceptance_due"] = self.rules.due(f["received_on"], self.rules.acceptance_days)
        f["due_on"] = f["acceptance_due"]
        f["status"] = Status.REGISTERED
        self._step(StepAction.REGISTER, f["received_on"], actor, None, f["registry_code"], f["channel_label"])

    def take_on(self, on, unit_code, intake, officer_code, actor):
        f = self.fields
        f.update(intake=intake, decided_on=on, accepted_on=on, unit_code=unit_code, first_unit_code=unit_code)
        f["handling_due"] = self.rules.due(on, self.rules.handling_days)
        f["due_on"], f["status"] = f["handling_due"], Status.HANDLING
        action = {Intake.ACCEPTED: StepAction.ACCEPT, Intake.ASSIGNED: StepAction.ASSIGN}.get(
            intake, StepAction.FORWARD
        )
        self._step(action, on, actor, officer_code, unit_code)

    def refuse(self, on, officer_code, actor):
        self.fields.update(intake=Intake.REFUSED, decided_on=on, refusal_reason=REFUSAL, status=Status.REFUSED,
                           due_on=None)  # fmt: skip
        self._step(StepAction.REFUSE, on, actor, officer_code, None, REFUSAL)

    def extend(self, on, days, head, reason):
        f = self.fields
        f.update(extension_days=days, extension_approved_by=head, extension_reason=reason, extension_notified_on=on)
        f["handling_due"] = f["handling_due"] + datetime.timedelta(days=days)
        f["due_on"] = f["handling_due"]
        self._step(StepAction.EXTEND, on, None, f["unit_code"], None, f"{days}天，{head}批准：{reason}")

    def conclude(self, on, decision):
        self.fields.update(concluded_on=on, decision=decision, decision_text=DECISION_TEXTS[decision],
                           status=Status.CONCLUDED, due_on=None)  # fmt: skip
        self._step(StepAction.CONCLUDE, on, None, self.fields["unit_code"], None, str(Decision(decision).label))

    def deliver(self, on, method):
        self.fields.update(delivered_on=on, delivery_method=method, status=Status.DELIVERED,
                           appeal_until=self.rules.due(on, self.rules.review_request_days))  # fmt: skip
        self._step(StepAction.DELIVER, on, None, self.fields["unit_code"])

    def rate(self, on, satisfaction, actor):
        self.fields.update(satisfaction=satisfaction, rated_on=on)
        self._step(StepAction.RATE, on, actor, None, self.fields["first_unit_code"])

    def visit(self, on, note):
        self.fields.update(return_visited_on=on, return_visit_note=note)
        self._step(StepAction.RETURN_VISIT, on, None, self.fields["unit_code"], None, note)

    def review(self, on, actor, rereview=False):
        due = self.rules.due(on, self.rules.review_answer_days)
        prefix = "rereview" if rereview else "review"
        self.fields.update({f"{prefix}_requested_on": on, f"{prefix}_due": due, "due_on": due, "appeal_until": None,
                            "status": Status.REREVIEW if rereview else Status.REVIEW})  # fmt: skip
        action = StepAction.REREVIEW_REQUEST if rereview else StepAction.REVIEW_REQUEST
        self._step(action, on, actor, self.fields["unit_code"])

    def answer(self, on, body, actor, result=ReviewResult.UPHELD, rereview=False):
        prefix = "rereview" if rereview else "review"
        self.fields.update({f"{prefix}_answered_on": on, f"{prefix}_result": result, f"{prefix}_by": body,
                            f"{prefix}_text": "经复查（复核），原处理意见认定事实清楚，适用政策正确，予以维持。",
                            "due_on": None})  # fmt: skip
        if rereview:
            self.fields.update(status=Status.TERMINATED, appeal_until=None)
        else:
            self.fields.update(status=Status.REVIEWED, appeal_until=self.rules.due(on, self.rules.review_request_days))
        action = StepAction.REREVIEW_ANSWER if rereview else StepAction.REVIEW_ANSWER
        self._step(action, on, actor, None, None, f"{body}：{ReviewResult(result).label}")

    def supervise(self, on, actor, from_code):
        self.fields["supervised_on"] = on
        self.fields["supervision_count"] = self.fields.get("supervision_count", 0) + 1
        self._step(StepAction.SUPERVISE, on, actor, from_code, self.fields.get("unit_code") or
                   self.fields["registry_code"], "请于3日内报告办理进展")  # fmt: skip


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


class _Planner:
    """Draws the cases of one county: places, people, subjects, and each case's course up to today."""

    def __init__(self, rng, *, county: str, today: datetime.date, surnames: dict):
        self.rng, self.county, self.today = rng, county, today
        self.folk = _Folk(rng, county[:6], surnames)
        self.rules = DeadlineRules.for_code(county)
        divisions = list(
            Division.objects.filter(code__startswith=county[:6], level__in=[Level.TOWNSHIP, Level.VILLAGE])
            .order_by("code")
            .values("code", "name", "level")
        )
        self.townships = {d["code"]: d["name"] for d in divisions if d["level"] == Level.TOWNSHIP}
        self.villages = [d for d in divisions if d["level"] == Level.VILLAGE]
        self.cases: list[_Course] = []
        self.disputes: list[dict] = []

    def township_of(self, code: str) -> str:
        return code[:9] + "000"

    def place(self, weights_by_township: dict | None = None) -> dict:
        if weights_by_township:
            codes = list(weights_by_township)
            township = self.rng.choices(codes, [weights_by_township[c] for c in codes])[0]
            options = [v for v in self.villages if v["code"].startswith(township[:9])]
            return self.rng.choice(options)
        return self.rng.choice(self.villages)

    def new_case(self, number: str, received: datetime.date, *, place=None, group=False, actor=None, **flags):
        rng = self.rng
        place = place or self.place()
        kind = rng.choices(list(SUBJECTS), weights=[60, 15, 15, 10])[0]
        channel = rng.choices(list(Channel), weights=[20, 35, 35, 10])[0]
        subject = f"{rng.choice(SUBJECTS[kind])}（{place['name']}）"
        people = [self.folk.person(address=f"{self.townships[self.township_of(place['code'])]}{place['name']}")]
        fields = {
            "registry_code": self.county,
            "division_code": place["code"],
            "place_name": place["name"],
            "channel": channel,
            "channel_label": str(Channel(channel).label),
            "kind": kind,
            "subject": subject,
            "content": f"信访人反映：{subject}，多次向村（社区）反映未得到解决，请求有关部门依法依规处理。",
            "received_on": received,
            "grid_reference": f"{place['name']}第{rng.randint(1, 6)}网格" if rng.random() < 0.5 else "",
        }
        if group:
            fields.update(is_group=True, group_size=rng.randint(5, 40))
            people += [self.folk.person() for _ in range(rng.randint(1, 4))]
        fields.update(flags)
        case = _Course(number=number, fields=fields, rules=self.rules, people=people)
        case.register(actor)
        self.cases.append(case)
        return case

    def clip(self, day: datetime.date, latest: datetime.date | None = None) -> datetime.date:
        return min(day, latest or self.today)


def _satisfaction(rng, decision) -> str:
    weights = {Decision.SUPPORT: [88, 10, 2], Decision.EXPLAIN: [78, 17, 5], Decision.NOT_SUPPORT: [55, 25, 20]}
    return rng.choices(list(Satisfaction), weights=weights[decision])[0]


def _plan_wangjiang(rng, today: datetime.date) -> _Planner:
    """635 first-time petitions, all concluded, a few repeats; 987 disputes, 938 resolved; all this year."""
    p = _Planner(rng, county=WANGJIANG, today=today, surnames=ANHUI_SURNAMES)
    year_start = datetime.date(today.year, 1, 1)
    # Room for a case to run its course before today; a young year compresses every duration alike.
    room = max((today - year_start).days - 1, 1)
    scale = min(1.0, room / 300)

    def span(low, high):
        return max(0, round(rng.randint(low, high) * scale))

    numbers = (f"XF{WANGJIANG[:6]}{today.year}{i:05d}" for i in range(1, 10_000))
    review_budget, rereview_budget = 16, 5
    for i in range(WJ_FIRST_TIME):
        received = year_start + _days(rng.randint(0, max(0, room - round(80 * scale))))
        flags = {}
        if rng.random() < 0.02:
            flags["is_level_skipping"] = True
        if rng.random() < 0.03:
            flags.update(is_leader_owned=True, leader_name=f"{rng.choice(LEADERS)}{rng.choice(list(ANHUI_SURNAMES))}"
                         f"{rng.choice(MALE_NAMES_OLDER)}")  # fmt: skip
        case = p.new_case(next(numbers), received, group=i % 33 == 7, actor="officer", **flags)
        late_intake = rng.random() < 0.012
        decided = p.clip(received + _days(rng.randint(16, 19) if late_intake else span(1, 14)), today - _days(3))
        decided = max(decided, received)
        unit = p.township_of(case.division_code)
        intake = rng.choices([Intake.ASSIGNED, Intake.ACCEPTED, Intake.FORWARDED], weights=[85, 10, 5])[0]
        case.take_on(decided, p.county if intake == Intake.ACCEPTED else unit, intake, p.county, "officer")
        extended = rng.random() < 0.05
        late = not extended and rng.random() < 0.015
        if extended:
            days = rng.choice([15, 20, 30])
            case.extend(p.clip(decided + _days(span(40, 55)), today - _days(2)), days,
                        f"{p.townships.get(unit, '县信访局')}主要负责人", rng.choice(EXTENSION_REASONS))  # fmt: skip
            handling = span(61, 60 + days)
        elif late:
            handling = span(62, 75)
        else:
            handling = span(7, 58)
        concluded = max(p.clip(decided + _days(handling), today - _days(2)), case.steps[-1][1])
        decision = rng.choices(list(Decision), weights=[45, 40, 15])[0]
        case.conclude(concluded, decision)
        delivered = p.clip(concluded + _days(rng.randint(0, 3)), today - _days(1))
        case.deliver(delivered, rng.choice(list(Delivery)))
        satisfaction = _satisfaction(rng, decision)
        if rng.random() < 0.97:
            case.rate(p.clip(delivered + _days(rng.randint(0, 10))), satisfaction, "officer")
        visit_on = delivered + _days(rng.randint(3, 20))
        if visit_on <= today and rng.random() < 0.9:
            case.visit(visit_on, rng.choice(RETURN_NOTES))
        if (
            review_budget
            and case.fields.get("satisfaction") != Satisfaction.SATISFIED
            and delivered + _days(40) < today
        ):
            review_budget -= 1
            asked = delivered + _days(rng.randint(5, 28))
            case.review(asked, "officer")
            answered = asked + _days(rng.randint(10, 29))
            if answered <= today:
                case.answer(answered, "望江县信访局", "officer")
                if rereview_budget and answered + _days(60) < today:
                    rereview_budget -= 1
                    again = answered + _days(rng.randint(5, 25))
                    case.review(again, "officer", rereview=True)
                    case.answer(again + _days(rng.randint(10, 28)), "安庆市信访局", "officer", rereview=True)

    # Repeat petitions: the same petitioner on the same matter, after a decision that did not settle it.
    originals = [c for c in p.cases if c.status == Status.DELIVERED and c.delivered_on + _days(45) < today]
    for original in rng.sample(originals, min(WJ_REPEATS, len(originals))):
        received = original.delivered_on + _days(rng.randint(10, 30))
        place = {"code": original.division_code, "name": original.place_name}
        case = p.new_case(next(numbers), received, place=place, actor="officer", is_repeat=True)
        case.fields.update(subject=original.subject, kind=original.kind, content=original.content)
        case.people = [dict(original.people[0])]
        case.previous_number = original.number
        unit = p.township_of(case.division_code)
        decided = p.clip(received + _days(rng.randint(1, 10)))
        case.take_on(decided, unit, Intake.ASSIGNED, p.county, "officer")
        concluded = p.clip(decided + _days(rng.randint(5, 30)), today - _days(1))
        case.conclude(max(concluded, decided), Decision.EXPLAIN)
        case.deliver(p.clip(case.concluded_on + _days(rng.randint(0, 3))), Delivery.IN_PERSON)

    _plan_disputes(p, rng, count=WJ_DISPUTES, resolved=WJ_RESOLVED, start=year_start, today=today, scale=scale)
    return p


def _plan_disputes(p: _Planner, rng, *, count, resolved, start, today, scale=1.0, escalate_to_cases=True):
    """``count`` disputes screened from ``start`` to yesterday, ``resolved`` of them settled by mediation."""
    numbers = (f"JF{p.county[:6]}{today.year}{i:05d}" for i in range(1, 10_000))
    room = max((today - start).days - 1, 1)
    unresolved = count - resolved
    escalated = min(WJ_ESCALATED_TO_PETITIONS, unresolved) if escalate_to_cases else 0
    to_grid = min(4, unresolved - escalated)
    waiting = (unresolved - escalated - to_grid) // 2
    kinds = ["escalated_petition"] * escalated + ["escalated_grid"] * to_grid + ["screened"] * waiting
    kinds += ["mediating"] * (unresolved - len(kinds)) + ["resolved"] * resolved
    rng.shuffle(kinds)
    cases = [c for c in p.cases if c.fields.get("intake") in TAKEN_ON and not c.fields.get("is_repeat")]
    linked = rng.sample(cases, escalated) if escalated else []
    for outcome in kinds:
        category = rng.choices(list(DisputeCategory), weights=[20, 15, 18, 10, 14, 8, 10, 5])[0]
        if outcome == "escalated_petition":
            case = linked.pop()
            place = {"code": case.division_code}
            screened = max(start, case.received_on - _days(rng.randint(3, 20)))
        else:
            place = p.place()
            latest = room - (2 if outcome in {"resolved", "mediating"} else 0)
            recent = outcome == "screened"
            screened = start + _days(rng.randint(max(0, room - 30) if recent else 0, max(0, latest)))
        township = p.townships[p.township_of(place["code"])]
        source = rng.choices(list(DisputeSource), weights=[55, 35, 10])[0]
        dispute = {
            "number": next(numbers),
            "division_code": place["code"],
            "source": source,
            "grid_reference": f"第{rng.randint(1, 6)}网格" if source == DisputeSource.GRID else "",
            "screened_on": screened,
            "category": category,
            "risk_level": rng.choices(list(RiskLevel), weights=[70, 25, 5])[0],
            "summary": DISPUTE_SUMMARIES[category],
            "status": DisputeStatus.SCREENED,
            "parties": [p.folk.person() for _ in range(2)],
            "mediations": [],
        }
        if rng.random() < 0.5:
            for party in dispute["parties"]:
                party["id_number"] = ""
        if outcome in {"resolved", "mediating", "escalated_petition", "escalated_grid"} and screened < today:
            started = p.clip(screened + _days(round(rng.randint(0, 6) * scale)), today - _days(1))
            ended = p.clip(started + _days(round(rng.randint(0, 12) * scale)))
            kind = rng.choices(list(MediationKind), weights=[70, 15, 15])[0]
            mediator = {
                MediationKind.PEOPLES: f"村人民调解委员会 {p.folk.person()['name']}",
                MediationKind.ADMINISTRATIVE: f"{township}司法所 {p.folk.person()['name']}",
                MediationKind.FIVE_ELDERS: f"五老调解员 {p.folk.person()['name']}（{rng.choice(ELDERS)}）",
            }[kind]
            settled = outcome == "resolved"
            follow = ended + _days(rng.randint(7, 30))
            dispute["mediations"].append(
                {
                    "kind": kind, "mediator": mediator, "method": rng.choice(list(MediationMethod)),
                    "sessions": rng.randint(1, 3), "started_on": started, "ended_on": ended,
                    "agreement": AGREEMENT if settled else "", "resolved": settled,
                    "follow_up": "回访双方，协议履行良好" if settled and follow <= today else "",
                    "followed_up_on": follow if settled and follow <= today else None,
                }
            )  # fmt: skip
            dispute["status"] = DisputeStatus.RESOLVED if settled else DisputeStatus.MEDIATING
            dispute["resolved_on"] = ended if settled else None
        if outcome == "escalated_petition":
            dispute.update(status=DisputeStatus.ESCALATED, petition_number=case.number, escalated_on=case.received_on)
        elif outcome == "escalated_grid":
            on = p.clip(screened + _days(rng.randint(1, 10)))
            reference = f"网格事项 WG{on:%Y%m%d}{rng.randint(1, 99):02d}"
            dispute.update(status=DisputeStatus.ESCALATED, grid_request_ref=reference, escalated_on=on)
        p.disputes.append(dispute)


def _plan_yancheng(rng, today: datetime.date) -> _Planner:
    """Cases in every state over the last five months, weighted to 裴城镇 and 商桥镇; some overdue."""
    p = _Planner(rng, county=YANCHENG, today=today, surnames=HENAN_SURNAMES)
    weights = dict.fromkeys(p.townships, 1)
    weights.update({"411103103000": 5, "411103102000": 3})
    numbers = (f"XF{YANCHENG[:6]}{today.year}{i:05d}" for i in range(1, 10_000))
    # (final state, how many, days before today it was received: low, high)
    plan = [
        ("registered", 5, 1, 10), ("registered_overdue", 4, 18, 30), ("refused", 4, 20, 120),
        ("handling", 14, 10, 50), ("handling_overdue", 6, 75, 90), ("extended", 3, 62, 75),
        ("concluded", 5, 20, 60), ("delivered", 10, 25, 70), ("rated", 25, 40, 150), ("review", 3, 50, 100),
        ("review_overdue", 1, 100, 120), ("reviewed", 3, 90, 130), ("rereview", 2, 120, 140),
        ("terminated", 2, 140, 150), ("repeat", 4, 5, 20),
    ]  # fmt: skip
    for state, count, low, high in plan:
        for i in range(count):
            received = today - _days(rng.randint(low, high))
            if state == "repeat":
                finished = [c for c in p.cases if c.status == Status.DELIVERED]
                original = finished[i % len(finished)]
                place = {"code": original.division_code, "name": original.place_name}
                received = min(max(received, original.delivered_on + _days(1)), today)
                case = p.new_case(next(numbers), received, place=place, is_repeat=True)
                case.fields.update(subject=original.subject, kind=original.kind, content=original.content)
                case.people = [dict(original.people[0])]
                case.previous_number = original.number
                case.take_on(p.clip(received + _days(rng.randint(1, 5))), p.township_of(place["code"]),
                             Intake.ASSIGNED, p.county, None)  # fmt: skip
                continue
            flags = {"is_level_skipping": True} if rng.random() < 0.05 else {}
            case = p.new_case(next(numbers), received, place=p.place(weights), group=rng.random() < 0.05, **flags)
            if state == "registered":
                continue
            if state == "registered_overdue":
                if i % 2 == 0:
                    case.supervise(case.acceptance_due + _days(2), "county", p.county)
                continue
            decided = received + _days(rng.randint(2, 12))
            if state == "refused":
                case.refuse(decided, p.county, None)
                continue
            unit = p.township_of(case.division_code)
            case.take_on(decided, unit, Intake.ASSIGNED, p.county, None)
            if state == "handling":
                continue
            if state in {"handling_overdue", "extended"}:
                if state == "extended":
                    case.extend(
                        decided + _days(50), 20, f"{p.townships[unit]}主要负责人", rng.choice(EXTENSION_REASONS)
                    )
                if case.handling_due < today and i % 2 == 0:
                    case.supervise(case.handling_due + _days(rng.randint(1, 3)), "county", p.county)
                continue
            concluded = p.clip(decided + _days(rng.randint(10, 40)), today - _days(1))
            decision = rng.choices(list(Decision), weights=[45, 40, 15])[0]
            case.conclude(concluded, decision)
            if state == "concluded":
                continue
            delivered = p.clip(concluded + _days(rng.randint(0, 3)))
            case.deliver(delivered, rng.choice(list(Delivery)))
            if state == "delivered":
                continue
            if state == "rated":
                case.rate(p.clip(delivered + _days(rng.randint(0, 7))), _satisfaction(rng, decision), None)
                if delivered + _days(10) <= today:
                    case.visit(delivered + _days(rng.randint(3, 10)), rng.choice(RETURN_NOTES))
                continue
            case.rate(p.clip(delivered + _days(1)), Satisfaction.DISSATISFIED, None)
            if state == "review_overdue":
                case.review(delivered + _days(rng.randint(5, 9)), None)
                continue
            asked = p.clip(delivered + _days(rng.randint(5, 20)))
            case.review(asked, None)
            if state == "review":
                continue
            answered = p.clip(asked + _days(rng.randint(10, 25)))
            case.answer(answered, "郾城区信访局", None)
            if state == "reviewed":
                continue
            again = p.clip(answered + _days(rng.randint(3, 15)))
            case.review(again, None, rereview=True)
            if state == "terminated":
                case.answer(p.clip(again + _days(rng.randint(5, 15))), "漯河市信访局", None, rereview=True)
    _plan_disputes(p, rng, count=120, resolved=84, start=today - _days(150), today=today, escalate_to_cases=False)
    return p


# ---------------------------------------------------------------------------------------------- insertion


PETITION_FIELDS = {f.name for f in Petition._meta.concrete_fields} - {"id"}


def _insert(planner: _Planner, actors: dict) -> tuple[int, int]:
    """Insert the planned cases and disputes whose numbers are not taken yet; return how many of each."""
    codes = {c.division_code for c in planner.cases} | {c.registry_code for c in planner.cases}
    codes |= {c.fields.get("unit_code") for c in planner.cases} | {d["division_code"] for d in planner.disputes}
    codes |= {s[3] for c in planner.cases for s in c.steps} | {s[4] for c in planner.cases for s in c.steps}
    ids = dict(Division.objects.filter(code__in=[c for c in codes if c]).values_list("code", "id"))
    taken = set(Petition.objects.filter(number__in=[c.number for c in planner.cases]).values_list("number", flat=True))
    new_cases = [c for c in planner.cases if c.number not in taken]
    now = timezone.now()

    def petition_row(case: _Course) -> Petition:
        f = case.fields
        row = Petition(**{k: v for k, v in f.items() if k in PETITION_FIELDS})
        row.number = case.number
        row.division_id, row.registry_unit_id = ids[f["division_code"]], ids[f["registry_code"]]
        row.responsible_unit_id = ids.get(f.get("unit_code"))
        row.first_unit_id = ids.get(f.get("first_unit_code"))
        row.created_by_id = actors.get("officer") if planner.county == WANGJIANG else None
        row.created_at = now
        return row

    # Earlier cases first, so a repeat can point at the row of its earlier case.
    firsts = [c for c in new_cases if c.previous_number is None]
    repeats = [c for c in new_cases if c.previous_number is not None]
    inserted = bulk_create_with_history(
        [petition_row(c) for c in firsts], Petition, default_change_reason=CHANGE_REASON
    )
    number_ids = {p.number: p.pk for p in inserted}
    previous = {c.previous_number for c in repeats} - set(number_ids)
    number_ids |= dict(Petition.objects.filter(number__in=previous).values_list("number", "id"))
    repeat_rows = []
    for case in repeats:
        row = petition_row(case)
        row.previous_id = number_ids[case.previous_number]
        repeat_rows.append(row)
    inserted += bulk_create_with_history(repeat_rows, Petition, default_change_reason=CHANGE_REASON)
    by_number = {p.number: p.pk for p in inserted}
    people, steps = [], []
    for case in firsts + repeats:
        pk = by_number[case.number]
        people += [Petitioner(petition_id=pk, position=i, **person) for i, person in enumerate(case.people, start=1)]
        steps += [
            PetitionStep(petition_id=pk, action=action, on=on, at=now, actor_id=actors.get(actor),
                         from_unit_id=ids.get(from_code), to_unit_id=ids.get(to_code), note=note)
            for action, on, actor, from_code, to_code, note in case.steps
        ]  # fmt: skip
    bulk_create_with_history(people, Petitioner, default_change_reason=CHANGE_REASON)
    PetitionStep.objects.bulk_create(steps, batch_size=2000)

    taken = set(
        Dispute.objects.filter(number__in=[d["number"] for d in planner.disputes]).values_list("number", flat=True)
    )
    new_disputes = [d for d in planner.disputes if d["number"] not in taken]
    linked = {d["petition_number"] for d in new_disputes if d.get("petition_number")}
    petition_ids = dict(Petition.objects.filter(number__in=linked).values_list("number", "id"))
    rows = [
        Dispute(
            number=d["number"], division_id=ids[d["division_code"]], source=d["source"],
            grid_reference=d["grid_reference"], screened_on=d["screened_on"], category=d["category"],
            risk_level=d["risk_level"], summary=d["summary"], status=d["status"], resolved_on=d.get("resolved_on"),
            petition_id=petition_ids.get(d.get("petition_number")), grid_request_ref=d.get("grid_request_ref", ""),
            escalated_on=d.get("escalated_on"), created_at=now,
        )
        for d in new_disputes
    ]  # fmt: skip
    rows = bulk_create_with_history(rows, Dispute, default_change_reason=CHANGE_REASON)
    parties = [
        DisputeParty(dispute_id=row.pk, position=i, **{k: v for k, v in party.items() if k != "address"})
        for row, d in zip(rows, new_disputes, strict=True)
        for i, party in enumerate(d["parties"], start=1)
    ]
    bulk_create_with_history(parties, DisputeParty, default_change_reason=CHANGE_REASON)
    mediations = [
        Mediation(dispute_id=row.pk, created_at=now, **m)
        for row, d in zip(rows, new_disputes, strict=True)
        for m in d["mediations"]
    ]
    bulk_create_with_history(mediations, Mediation, default_change_reason=CHANGE_REASON)
    return len(inserted), len(rows)


def _advance_counters(county_code: str) -> None:
    """Numbers registered by hand after the demo must follow the demo's own."""
    county = Division.objects.get(code=county_code)
    for kind, prefix, model in (("petition", "XF", Petition), ("dispute", "JF", Dispute)):
        for year, in_year in _years(model, prefix, county_code):
            counter, _created = CaseCounter.objects.get_or_create(division=county, year=year, kind=kind)
            if counter.last < in_year:
                counter.last = in_year
                counter.save(update_fields=["last"])


def _years(model, prefix: str, county_code: str):
    start = f"{prefix}{county_code[:6]}"
    latest = model.objects.filter(number__startswith=start).aggregate(n=Max("number"))["n"]
    if latest:
        yield int(latest[len(start) : len(start) + 4]), int(latest[len(start) + 4 :])


def load(stdout) -> None:
    today = timezone.localdate()
    if Division.objects.filter(code__in=[WANGJIANG, YANCHENG]).count() != 2:
        stdout.write("  petitions: the two demo counties are missing; load the villages demo first")
        return
    users = dict(
        get_user_model().objects.filter(username__in=["wj_petition", "yc_county"]).values_list("username", "id")
    )
    with transaction.atomic():
        for code in (WANGJIANG, YANCHENG):
            DeadlineRules.objects.get_or_create(division=Division.objects.get(code=code))
        rng = random.Random(SEED)  # noqa: S311 - made-up demo cases, nothing secret; it must repeat
        wangjiang = _plan_wangjiang(rng, today)
        n_wj = _insert(wangjiang, {"officer": users.get("wj_petition")})
        yancheng = _plan_yancheng(rng, today)
        n_yc = _insert(yancheng, {"county": users.get("yc_county")})
        for code in (WANGJIANG, YANCHENG):
            _advance_counters(code)
    stdout.write(f"  望江县: {n_wj[0]} petitions and {n_wj[1]} disputes added")
    stdout.write(f"  郾城区: {n_yc[0]} petitions and {n_yc[1]} disputes added")
