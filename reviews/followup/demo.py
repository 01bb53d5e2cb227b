"""Demo follow-up records for 郾城区's 2021 look-back review, as the seed gives them: 44 common (共性) and 49
particular (个性) problems under the five checks, 34 common measures adopted by the county, a rectification plan
(一村一策) for every village with a problem, with measures some overdue, some done and some closed; in 裴城镇 the
democratic evaluations of two years, 9 talks and the three-colour record books of its 25 villages with three
months published; across the county 7 secretaries and 53 committee members adjusted on the review's outcome.

``manage.py load_demo`` finds ``load`` through ``ReviewsConfig.demo_loader`` after the reviews demo. Dates are
drawn relative to today, so whenever the demo is loaded some measures are late and the last months are published.
Deterministic (one seeded generator) and idempotent: nothing is added when the campaign already has problems.
Everything is inserted in bulk in one transaction; the adjustments go through the service (they end posts).
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from villages.choices import AdjustmentKind, ApprovingLevel, Committee, PostTitle
from villages.metrics import Period
from villages.models import Cadre, Division, Post

from ..choices import Grade
from ..demo import CAMPAIGN_NAME, COUNTY_CODE
from ..models import Campaign, Check, Review
from . import services
from .choices import Book, MeasureStatus, ProblemKind, TalkKind
from .models import (
    CommonMeasure,
    Evaluation,
    EvaluationMeeting,
    Measure,
    Problem,
    ProblemVillage,
    RecordBookPublication,
    RecordEntry,
    RectificationPlan,
    Talk,
)

SEED = 20211215
CHANGE_REASON = "演示数据"
PEICHENG = "411103103"
LIANGZHUANG_NAME = "梁庄村"
COMMON_COUNT, PARTICULAR_COUNT, COMMON_MEASURES = 44, 49, 34
SECRETARIES_ADJUSTED, MEMBERS_ADJUSTED = 7, 53

# Common problems per check (by check number); 9 + 9 + 9 + 9 + 8 = 44.
COMMON = {
    1: [
        "班子成员年龄结构偏大，后备力量不足",
        "班子成员学历层次偏低",
        "班子分工不明确，职责交叉",
        "个别委员长期外出务工，履职不到位",
        "班子成员参加集中学习不经常",
        "班子内部沟通不畅，议事效率不高",
        "妇女委员配备不到位",
        "监委会成员与村“两委”存在近亲属关系",
        "书记主任“一肩挑”后监督制约机制不健全",
    ],
    2: [
        "“四议两公开”程序执行不规范",
        "村务公开栏更新不及时",
        "财务公开内容不完整",
        "村民代表会议记录不规范",
        "“三会一课”开展不经常",
        "主题党日活动内容形式单一",
        "党员发展程序台账不完整",
        "村级重大事项未经党组织前置研究",
        "村规民约修订未经村民会议表决",
    ],
    3: [
        "村集体经济收入来源单一",
        "集体资产资源台账不清",
        "集体经济项目收益未按规定分配",
        "村级债务化解进展缓慢",
        "合同管理不规范，部分合同期限过长",
        "土地流转收益未纳入集体账",
        "村级财务报账不及时",
        "项目建设未按规定招投标",
        "扶贫资产管护责任不落实",
    ],
    4: [
        "为民服务代办制度落实不到位",
        "网格员走访群众不经常",
        "矛盾纠纷排查化解台账不全",
        "信访问题化解不及时",
        "人居环境整治长效机制不健全",
        "便民服务站点开放时间不固定",
        "特殊群体关爱帮扶不到位",
        "群众满意度测评偏低",
        "志愿服务活动开展不经常",
    ],
    5: [
        "党员教育管理不严格",
        "流动党员管理不到位",
        "软弱涣散整顿成效不明显",
        "村级组织活动场所利用率不高",
        "后备干部培养机制不健全",
        "党风廉政教育不经常",
        "村干部坐班值班制度落实不好",
        "村务监督委员会作用发挥不充分",
    ],
}
PARTICULAR = [
    "村委会账目存在白条入账",
    "道路硬化项目未完成验收",
    "村史馆资料收集不全",
    "机动地发包未公开竞价",
    "群众反映的排水沟堵塞未解决",
    "文化广场照明设施损坏未修",
    "集体林地权属纠纷未化解",
    "低保评议会议记录缺失",
    "村卫生室人员不在岗",
    "垃圾清运不及时",
    "党员活动室被挪作他用",
    "村民代表名单未公示",
    "“一事一议”项目资金结余未公开",
    "老旧坑塘存在安全隐患",
    "养老互助点未正常运转",
]
MEASURES = [
    "建立班子成员分片包组责任制",
    "制定村级后备干部培养计划",
    "规范“四议两公开”工作流程图",
    "统一村务公开栏设置和更新周期",
    "推行村级财务“双代管”",
    "开展集体资产清产核资",
    "建立集体经济项目收益分配制度",
    "制定村级债务化解三年计划",
    "规范村级合同管理办法",
    "推行土地流转收益入账公示",
    "落实为民服务全程代办",
    "实行网格员走访积分制",
    "建立矛盾纠纷月排查制度",
    "推行信访事项包案化解",
    "建立人居环境“红黑榜”",
    "便民服务站实行错时延时服务",
    "建立特殊群体关爱台账",
    "每季度开展群众满意度测评",
    "组建村级志愿服务队",
    "推行党员积分制管理",
    "建立流动党员联系卡",
    "开展软弱涣散村“一村一策”整顿",
    "盘活村级组织活动场所",
    "建立村干部坐班值班公示制度",
    "开展村务监督委员会履职培训",
    "定期召开主题党日并记实",
    "规范党员发展全程纪实",
    "村规民约修订提交村民会议表决",
    "重大事项党组织前置研究清单",
    "开展廉政警示教育",
    "推行村干部履职承诺践诺",
    "建立班子议事规则和决策程序",
    "落实“三会一课”记实制度",
    "建立村级项目招投标备案制度",
]
ACTIONS = [
    "召开专题会议研究整改",
    "建立台账逐项销号",
    "完善制度并上墙公示",
    "组织专项培训",
    "开展入户走访核实",
    "补齐资料归档",
]
BLUE = [
    "参加镇党委中心组学习",
    "带队开展人居环境整治",
    "走访慰问困难群众",
    "主持召开村民代表会议",
    "开展矛盾纠纷排查",
    "组织主题党日活动",
    "值班坐班接待群众",
    "参加网格走访",
]
RED = [
    "带头化解一起邻里纠纷，获群众送锦旗",
    "争取项目资金修建生产路",
    "汛期连续值守保障群众安全",
    "牵头引进合作社带动务工",
]
BLACK = ["无故缺席镇党委组织的集中学习", "村务公开栏逾期未更新", "值班期间脱岗"]
TALK_PLAN = [
    (TalkKind.REMINDER, "回头看问诊发现村务公开不及时", "review"),
    (TalkKind.REMINDER, "群众反映值班坐班制度落实不好", None),
    (TalkKind.REMINDER, "民主评议不称职票较多", "evaluation"),
    (TalkKind.INQUIRY, "回头看发现集体资产台账不清", "review"),
    (TalkKind.INQUIRY, "连续两年民主评议不称职", "evaluation"),
    (TalkKind.TALK, "回头看评定为一般，班子履职不到位", "review"),
    (TalkKind.TALK, "集体经济项目收益未按规定分配", "review"),
    (TalkKind.ADMONITION, "连续两年民主评议不称职，整改承诺未兑现", "evaluation"),
    (TalkKind.ADJUSTMENT, "诫勉后仍未整改到位，建议调整", "review"),
]


def load(stdout) -> None:
    campaign = Campaign.objects.filter(division__code=COUNTY_CODE, name=CAMPAIGN_NAME).select_related("division")
    campaign = campaign.first()
    if campaign is None:
        stdout.write("  no look-back review campaign for 郾城区: load the reviews demo first")
        return
    if Problem.objects.filter(campaign=campaign).exists():
        stdout.write("  follow-up records already there")
        return
    with transaction.atomic():
        counts = _load(campaign)
    stdout.write(
        "  follow-up: {common} common and {particular} particular problems, {measures_common} common measures, "
        "{plans} plans with {measures} measures ({overdue} overdue, {closed} closed), {evaluations} evaluations, "
        "{talks} talks, {adjusted} adjustments, {entries} record-book entries, {published} publications".format(
            **counts
        )
    )


def _load(campaign) -> dict:
    rng = random.Random(SEED)  # noqa: S311 - made-up demo records; they must repeat
    today = timezone.localdate()
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=["yc_county", "yc_peicheng", "yc_liangzhuang"])
    }
    county_user, peicheng_user = users.get("yc_county"), users.get("yc_peicheng")
    villages = list(Division.objects.current().villages().below(campaign.division).order_by("code"))
    reviews = {r.village_id: r for r in Review.objects.filter(campaign=campaign)}
    checks = {c.number: c for c in Check.objects.filter(template_id=campaign.template_id)}
    secretaries = {
        p.division_id: p.cadre.name
        for p in Post.objects.filter(
            division__in=villages, committee=Committee.PARTY, title=PostTitle.SECRETARY, end_date__isnull=True
        ).select_related("cadre")
    }
    created = timezone.make_aware(datetime.datetime.combine(campaign.end_date, datetime.time(10)))

    # Problems: the common ones each touch a handful of villages, the particular ones one village each.
    problems, links = [], []
    for number, titles in COMMON.items():
        for title in titles:
            chosen = rng.sample(villages, rng.randint(3, 9))
            problems.append(
                (
                    Problem(
                        county=campaign.division,
                        campaign=campaign,
                        check_item=checks[number],
                        kind=ProblemKind.COMMON,
                        title=title,
                        created_by=county_user,
                        created_at=created,
                        source="回头看问诊汇总",
                    ),
                    chosen,
                )
            )
    for village in rng.sample(villages, PARTICULAR_COUNT):
        title = rng.choice(PARTICULAR)
        problems.append(
            (
                Problem(
                    county=campaign.division,
                    campaign=campaign,
                    check_item=checks[rng.randint(1, 5)],
                    kind=ProblemKind.PARTICULAR,
                    title=f"{village.name}{title}",
                    review=reviews.get(village.pk),
                    created_by=peicheng_user or county_user,
                    created_at=created,
                ),
                [village],
            )
        )
    saved = bulk_create_with_history([p for p, _v in problems], Problem, default_change_reason=CHANGE_REASON)
    for problem, (_p, chosen) in zip(saved, problems, strict=True):
        links.extend(ProblemVillage(problem=problem, village=v) for v in chosen)
    ProblemVillage.objects.bulk_create(links)
    common = [p for p in saved if p.kind == ProblemKind.COMMON]

    # Common measures: each answers one to three common problems; every common problem has at least one.
    adopted = campaign.end_date + datetime.timedelta(days=20)
    measures_common = bulk_create_with_history(
        [
            CommonMeasure(
                county=campaign.division, campaign=campaign, title=t, adopted_on=adopted, created_by=county_user
            )
            for t in MEASURES
        ],
        CommonMeasure,
        default_change_reason=CHANGE_REASON,
    )
    answer: dict[int, CommonMeasure] = {}
    through = CommonMeasure.problems.through
    pairs = set()
    for i, problem in enumerate(common):
        measure = measures_common[i % COMMON_MEASURES]
        answer[problem.pk] = measure
        pairs.add((measure.pk, problem.pk))
    for measure in measures_common:
        pairs.add((measure.pk, rng.choice(common).pk))
    through.objects.bulk_create([through(commonmeasure_id=m, problem_id=p) for m, p in sorted(pairs)])

    # One plan per village with a problem, one measure per problem of the village.
    by_village: dict[int, list[Problem]] = {}
    for link in links:
        by_village.setdefault(link.village_id, []).append(link.problem)
    plans = bulk_create_with_history(
        [
            RectificationPlan(
                campaign=campaign,
                village_id=vid,
                created_by=peicheng_user or county_user,
                summary="对照回头看反馈问题，逐项明确整改措施、责任人和完成时限。",
            )
            for vid in sorted(by_village)
        ],
        RectificationPlan,
        default_change_reason=CHANGE_REASON,
    )
    measures = []
    for plan in plans:
        for problem in by_village[plan.village_id]:
            deadline = today + datetime.timedelta(days=rng.randint(-300, 150))
            status, completed_on, closed_at = MeasureStatus.IN_PROGRESS, None, None
            roll = rng.random()
            if deadline < today:
                if roll < 0.65:
                    status = MeasureStatus.CLOSED
                elif roll < 0.8:
                    status = MeasureStatus.DONE
            elif roll < 0.3:
                status = MeasureStatus.DONE if roll < 0.12 else MeasureStatus.CLOSED
            if status != MeasureStatus.IN_PROGRESS:
                late = rng.random() < 0.15
                completed_on = min(
                    deadline + datetime.timedelta(days=rng.randint(1, 20) if late else -rng.randint(0, 30)), today
                )
                if status == MeasureStatus.CLOSED:
                    closed_on = min(completed_on + datetime.timedelta(days=rng.randint(1, 10)), today)
                    closed_at = timezone.make_aware(datetime.datetime.combine(closed_on, datetime.time(16)))
            measures.append(
                Measure(
                    plan=plan,
                    problem=problem,
                    common_measure=answer.get(problem.pk),
                    content=f"{rng.choice(ACTIONS)}：{problem.title}",
                    owner=secretaries.get(plan.village_id, "村党支部"),
                    deadline=deadline,
                    status=status,
                    completed_on=completed_on,
                    closed_at=closed_at,
                    completed_by=peicheng_user if completed_on else None,
                    closed_by=peicheng_user if closed_at else None,
                    verification_note="镇党委核查属实，同意销号" if closed_at else "",
                    created_by=peicheng_user,
                    created_at=created,
                )
            )
    bulk_create_with_history(measures, Measure, default_change_reason=CHANGE_REASON)

    peicheng = [v for v in villages if v.code.startswith(PEICHENG)]
    evaluations = _evaluations(rng, peicheng, today, peicheng_user)
    talks = _talks(rng, peicheng, reviews, peicheng_user, today)
    adjusted = _adjustments(rng, villages, reviews, county_user)
    entries, published = _record_books(rng, peicheng, users, today)
    return {
        "common": len(common),
        "particular": len(saved) - len(common),
        "measures_common": len(measures_common),
        "plans": len(plans),
        "measures": len(measures),
        "overdue": sum(1 for m in measures if m.status == MeasureStatus.IN_PROGRESS and m.deadline < today),
        "closed": sum(1 for m in measures if m.status == MeasureStatus.CLOSED),
        "evaluations": evaluations,
        "talks": talks,
        "adjusted": adjusted,
        "entries": entries,
        "published": published,
    }


def _evaluations(rng, villages, today, actor) -> int:
    """Two years of 称职 evaluations in 裴城镇: three cadres fail both years (flagged), two only the last."""
    scale = services.default_scales()["称职评议"]
    cadres = list(Cadre.objects.filter(division__in=villages, active=True).order_by("division__code", "pk"))
    if not cadres:
        return 0
    weak = {c.pk for c in rng.sample(cadres, 5)}
    twice = set(sorted(weak)[:3])
    meetings, rows = [], []
    for year in (today.year - 2, today.year - 1):
        for village in villages:
            expected = rng.randint(45, 90)
            meetings.append(
                EvaluationMeeting(
                    village=village,
                    year=year,
                    date=datetime.date(year, 12, 20),
                    organizer="裴城镇党委",
                    expected=expected,
                    attendance=expected - rng.randint(0, 6),
                    scale=scale,
                    created_by=actor,
                )
            )
    meetings = bulk_create_with_history(meetings, EvaluationMeeting, default_change_reason=CHANGE_REASON)
    by_key = {(m.village_id, m.year): m for m in meetings}
    for year in (today.year - 2, today.year - 1):
        for cadre in cadres:
            meeting = by_key[(cadre.division_id, year)]
            n = meeting.attendance - rng.randint(0, 3)
            fails = cadre.pk in twice or (cadre.pk in weak and year == today.year - 1)
            bad = rng.randint(n // 2, n - 5) if fails else rng.randint(0, 4)
            fair = rng.randint(0, n - bad)
            counts = {"称职": n - bad - fair, "基本称职": fair, "不称职": bad}
            result, failing = services.evaluation_result(scale, counts)
            rows.append(
                Evaluation(
                    meeting=meeting, cadre=cadre, year=year, counts=counts, ballots=n, result=result, failing=failing
                )
            )
    bulk_create_with_history(rows, Evaluation, default_change_reason=CHANGE_REASON)
    services._reflag([c.pk for c in cadres])
    return len(rows)


def _talks(rng, villages, reviews, actor, today) -> int:
    """9 talks in 裴城镇, up the ladder, each with its reason and, where there is one, the finding behind it."""
    flagged = list(
        Evaluation.objects.filter(meeting__village__in=villages, failing=True)
        .select_related("cadre")
        .order_by("cadre_id", "-year")
    )
    weak_reviews = [
        reviews[v.pk] for v in villages if v.pk in reviews and reviews[v.pk].final_grade in (Grade.AVERAGE, Grade.POOR)
    ] or [reviews[v.pk] for v in villages if v.pk in reviews]
    secretaries = {
        p.division_id: p.cadre
        for p in Post.objects.filter(
            division__in=villages,
            committee=Committee.PARTY,
            title=PostTitle.SECRETARY,
            end_date__isnull=True,
        ).select_related("cadre")
    }
    rows = []
    for i, (kind, reason, basis) in enumerate(TALK_PLAN):
        review = evaluation = None
        if basis == "evaluation" and flagged:
            evaluation = flagged[i % len(flagged)]
            cadre = evaluation.cadre
        else:
            review = weak_reviews[i % len(weak_reviews)] if basis == "review" else None
            village_id = review.village_id if review else villages[(i * 7) % len(villages)].pk
            cadre = secretaries.get(village_id) or Cadre.objects.filter(division_id=village_id).first()
        held = timezone.make_aware(
            datetime.datetime.combine(today - datetime.timedelta(days=200 - i * 18), datetime.time(9, 30))
        )
        deadline = held.date() + datetime.timedelta(days=30)
        done = deadline < today
        rows.append(
            Talk(
                village_id=cadre.division_id,
                cadre=cadre,
                kind=kind,
                talker="裴城镇党委书记",
                note_taker="镇组织委员",
                held_at=held,
                place="裴城镇党委会议室",
                reason=reason,
                review=review,
                evaluation=evaluation,
                content="指出存在的问题，听取本人说明，提出整改要求。",
                commitment="诚恳接受组织提醒，限期整改到位。",
                correction="对照问题清单逐项整改，按时报送整改情况。",
                correction_deadline=deadline,
                follow_up="镇党委跟踪督办，实地核查整改情况。" if done else "",
                outcome=("整改到位" if rng.random() < 0.7 else "整改不到位，拟进一步处理") if done else "",
                followed_up_at=held + datetime.timedelta(days=35) if done else None,
                created_by=actor,
            )
        )
    bulk_create_with_history(rows, Talk, default_change_reason=CHANGE_REASON)
    return len(rows)


def _adjustments(rng, villages, reviews, actor) -> int:
    """7 secretaries replaced and 53 committee members removed or redeployed, on the review's outcome, through the
    service (posts end, new posts start). 梁庄村, home of the demo's village account, keeps its committee."""
    if actor is None:
        return 0
    order = {Grade.POOR: 0, Grade.AVERAGE: 1, Grade.FAIRLY_GOOD: 2, Grade.GOOD: 3, "": 4}
    ranked = sorted(
        (v for v in villages if v.name != LIANGZHUANG_NAME and v.pk in reviews),
        key=lambda v: (order.get(reviews[v.pk].final_grade, 4), v.code),
    )
    posts = list(
        Post.objects.filter(division__in=ranked, end_date__isnull=True)
        .select_related("cadre", "division")
        .order_by("division__code", "pk")
    )
    by_village: dict[int, list[Post]] = {}
    for post in posts:
        by_village.setdefault(post.division_id, []).append(post)
    date = reviews[ranked[0].pk].campaign.end_date + datetime.timedelta(days=45)
    done = 0
    for village in ranked:
        if done >= SECRETARIES_ADJUSTED:
            break
        held = by_village.get(village.pk, [])
        secretary = next((p for p in held if p.title == PostTitle.SECRETARY and p.committee == Committee.PARTY), None)
        incoming = next(
            (
                p.cadre
                for p in held
                if secretary and p.cadre_id != secretary.cadre_id and p.committee == Committee.PARTY
            ),
            None,
        )
        if secretary is None or incoming is None:
            continue
        services.cadre_adjust_on_basis(
            actor=actor,
            post=secretary,
            kind=AdjustmentKind.REPLACEMENT,
            date=date,
            incoming=incoming,
            reason="回头看评定班子运行差/一般，书记履职不力，经县委组织部研究予以调整",
            approved_by=ApprovingLevel.COUNTY,
            review=reviews[village.pk],
        )
        done += 1
    members = [p for v in ranked for p in by_village.get(v.pk, []) if p.title == PostTitle.MEMBER]
    adjusted_members = 0
    seen = set()
    for post in members:
        if adjusted_members >= MEMBERS_ADJUSTED:
            break
        if post.cadre_id in seen:
            continue
        seen.add(post.cadre_id)
        kind = AdjustmentKind.REMOVAL if rng.random() < 0.6 else AdjustmentKind.REDEPLOYMENT
        services.cadre_adjust_on_basis(
            actor=actor,
            post=post,
            kind=kind,
            date=date + datetime.timedelta(days=rng.randint(0, 60)),
            reason="回头看岗位履职评定为一般或差" if kind == AdjustmentKind.REMOVAL else "工作需要，调整分工",
            approved_by=ApprovingLevel.TOWNSHIP,
            review=reviews[post.division_id],
        )
        adjusted_members += 1
    return done + adjusted_members


def _record_books(rng, villages, users, today) -> tuple[int, int]:
    """Four months of entries for every cadre in office in 裴城镇; the three oldest months published."""
    township = users.get("yc_peicheng")
    recorder = users.get("yc_liangzhuang")
    if township is None:
        return 0, 0
    months = []
    period = Period.parse(f"{today.year}-{today.month:02d}")
    for _i in range(4):
        period = period.previous
        months.append(period)
    months.reverse()
    cadres = list(
        Cadre.objects.filter(division__in=villages, active=True)
        .select_related("division")
        .order_by("division__code", "pk")
    )
    entries = []
    for cadre in cadres:
        writer = recorder if recorder and cadre.division.name == LIANGZHUANG_NAME else township
        for month in months:
            days = (month.end - month.start).days
            for _n in range(rng.randint(1, 2)):
                entries.append(
                    RecordEntry(
                        village=cadre.division,
                        cadre=cadre,
                        book=Book.BLUE,
                        content=rng.choice(BLUE),
                        date=month.start + datetime.timedelta(days=rng.randrange(days)),
                        written_by=writer,
                    )
                )
            roll = rng.random()
            if roll < 0.15:
                entries.append(
                    RecordEntry(
                        village=cadre.division,
                        cadre=cadre,
                        book=Book.RED,
                        content=rng.choice(RED),
                        date=month.start + datetime.timedelta(days=rng.randrange(days)),
                        written_by=writer,
                    )
                )
            elif roll > 0.95:
                entries.append(
                    RecordEntry(
                        village=cadre.division,
                        cadre=cadre,
                        book=Book.BLACK,
                        content=rng.choice(BLACK),
                        written_by=writer,
                        date=month.start + datetime.timedelta(days=rng.randrange(days)),
                    )
                )
    saved = RecordEntry.objects.bulk_create(entries)
    # A correction or two: a new entry referring to the one it corrects, never an edit.
    corrections = [
        RecordEntry(
            village=e.village,
            cadre=e.cadre,
            book=e.book,
            date=months[-1].start,
            corrects=e,
            written_by=e.written_by,
            content=f"更正：{e.content}（原记录有误，以本条为准）",
        )
        for e in rng.sample(saved, min(3, len(saved)))
    ]
    RecordEntry.objects.bulk_create(corrections)
    publications = []
    for village in villages:
        for month in months[:3]:
            publications.append(
                RecordBookPublication(
                    village=village,
                    period=month.key,
                    entries=services.publication_entries(village=village, period=month.key),
                    published_by=township,
                    published_at=timezone.make_aware(datetime.datetime.combine(month.end, datetime.time(9))),
                )
            )
    RecordBookPublication.objects.bulk_create(publications)
    return len(saved) + len(corrections), len(publications)
