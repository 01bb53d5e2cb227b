"""The .xlsx exports of the work records, one workbook per topic, one sheet per kind of record.

Like the ledgers, the column headers are a format the counties read, so they are Chinese data, not interface text.
Rows stream from the scoped selectors (``iterator``), so a county's export keeps memory flat. The records hold no
personal ID or phone numbers, so there is nothing to mask.
"""

from villages.excel import xlsx_response

from . import selectors
from .models import TrainingAttendance


def _date(value):
    return value.isoformat() if value else None


def _economy(user, division, year):
    incomes = selectors.income_list(user=user, division=division, year=year)
    projects = selectors.project_list(user=user, division=division, year=year)
    workshops = selectors.workshop_list(user=user, division=division)
    return [
        (
            f"集体收入{year}",
            ["区划代码", "村(社区)", "年度", "土地流转收入", "流转面积(亩)", "租金收入", "分红收入", "服务收入",
             "其他收入", "收入合计", "年末资产"],
            (
                [i.division.code, i.division.name, i.year, i.land_transfer, i.land_transfer_area, i.rent, i.dividends,
                 i.services, i.other, i.total_income, i.assets]
                for i in incomes.iterator(chunk_size=500)
            ),
        ),
        (
            "集体经济项目",
            ["区划代码", "村(社区)", "项目名称", "类型", "状态", "支部领办", "投资(元)", "资金来源", "开始日期",
             "预计回本(年)", "预计回本日期", f"{year}年收益"],
            (
                [p.division.code, p.division.name, p.name, p.get_kind_display(), p.get_status_display(),
                 "是" if p.branch_led else "否", p.investment, p.get_funding_source_display(), _date(p.start_date),
                 p.payback_years, _date(p.payback_date), p.year_return]
                for p in projects.iterator(chunk_size=500)
            ),
        ),
        (
            "共富工坊",
            ["区划代码", "村(社区)", "工坊名称", "合作企业", "开办日期", "停办日期", "就业岗位", "年租金(元)",
             "其他年收入(元)"],
            (
                [w.division.code, w.division.name, w.name, w.partner, _date(w.opened_on), _date(w.closed_on), w.jobs,
                 w.annual_rent, w.annual_income]
                for w in workshops.iterator(chunk_size=500)
            ),
        ),
    ]  # fmt: skip


def _meetings(user, division, year):
    meetings = selectors.meeting_list(user=user, division=division, year=year).prefetch_related(None)
    matters = selectors.matter_list(user=user, division=division, year=year)
    return [
        (
            f"村民议事{year}",
            ["区划代码", "村(社区)", "形式", "日期", "地点", "主持人", "主题", "参会人数", "满意", "基本满意",
             "不满意"],
            (
                [m.division.code, m.division.name, m.kind.name, _date(m.date), m.place, m.host, m.topic, m.attendance,
                 m.satisfied, m.basically_satisfied, m.dissatisfied]
                for m in meetings.iterator(chunk_size=500)
            ),
        ),
        (
            f"议事事项{year}",
            ["区划代码", "村(社区)", "会议日期", "形式", "序号", "事项", "去向", "关联编号", "办结日期"],
            (
                [m.meeting.division.code, m.meeting.division.name, _date(m.meeting.date), m.meeting.kind.name,
                 m.position, m.description, m.get_outcome_display(), m.reference, _date(m.settled_on)]
                for m in matters.iterator(chunk_size=500)
            ),
        ),
    ]  # fmt: skip


def _volunteers(user, division, year):
    stations = selectors.station_list(user=user, division=division)
    teams = selectors.team_list(user=user, division=division)
    activities = selectors.activity_list(user=user, division=division, year=year)
    return [
        (
            "文明实践所站",
            ["区划代码", "所属区划", "名称", "层级", "上级阵地", "地址", "建成日期"],
            (
                [s.division.code, s.division.name, s.name, s.get_level_display(), s.parent.name if s.parent else None,
                 s.address, _date(s.opened_on)]
                for s in stations.iterator(chunk_size=500)
            ),
        ),
        (
            "志愿服务队",
            ["区划代码", "所属区划", "队伍名称", "服务方向", "队员人数", "所属阵地", "负责人", "成立日期"],
            (
                [t.division.code, t.division.name, t.name, t.get_focus_display(), t.members,
                 t.station.name if t.station else None, t.leader, _date(t.founded_on)]
                for t in teams.iterator(chunk_size=500)
            ),
        ),
        (
            f"志愿活动{year}",
            ["区划代码", "所属区划", "日期", "活动名称", "类型", "参与志愿者", "服务群众", "志愿队伍", "实践阵地"],
            (
                [a.division.code, a.division.name, _date(a.date), a.title, a.get_kind_display(), a.participants,
                 a.beneficiaries, a.team.name if a.team else None, a.station.name if a.station else None]
                for a in activities.iterator(chunk_size=500)
            ),
        ),
    ]  # fmt: skip


def _livability(user, division, year):
    projects = selectors.infrastructure_list(user=user, division=division)
    inspections = selectors.inspection_list(user=user, division=division, year=year)
    return [
        (
            "基础设施项目",
            ["区划代码", "村(社区)", "项目名称", "类型", "状态", "开工日期", "完工日期", "投资(元)", "资金来源"],
            (
                [p.division.code, p.division.name, p.name, p.get_kind_display(), p.get_status_display(),
                 _date(p.start_date), _date(p.completed_on), p.investment, p.get_funding_source_display()]
                for p in projects.iterator(chunk_size=500)
            ),
        ),
        (
            f"人居环境检查{year}",
            ["区划代码", "村(社区)", "检查日期", "检查人", "结果", "得分", "发现问题", "整改期限"],
            (
                [i.division.code, i.division.name, _date(i.date), i.inspector, i.get_result_display(), i.score,
                 i.findings, _date(i.rectify_by)]
                for i in inspections.iterator(chunk_size=500)
            ),
        ),
    ]  # fmt: skip


def _training(user, division, year):
    sessions = selectors.training_list(user=user, division=division, year=year)
    attendance = (
        TrainingAttendance.objects.visible_to(user)
        .filter(cadre__division__code__startswith=division.prefix, session__date__year=year)
        .select_related("cadre__division", "session")
        .order_by("session__date", "cadre__division__code", "cadre__name")
    )
    return [
        (
            f"干部培训{year}",
            ["组织单位", "类型", "名称", "系列", "日期", "结束日期", "地点", "学时", "主讲", "本辖区参训人数"],
            (
                [s.division.name, s.get_kind_display(), s.title, s.series, _date(s.date), _date(s.end_date), s.place,
                 s.hours, s.speakers, s.attended_here]
                for s in sessions.iterator(chunk_size=500)
            ),
        ),
        (
            f"参训记录{year}",
            ["培训日期", "培训名称", "区划代码", "村(社区)", "姓名", "身份", "出勤"],
            (
                [_date(a.session.date), a.session.title, a.cadre.division.code, a.cadre.division.name, a.cadre.name,
                 a.get_role_display(), a.get_status_display()]
                for a in attendance.iterator(chunk_size=500)
            ),
        ),
    ]  # fmt: skip


_TOPICS = {
    "economy": ("集体经济", _economy),
    "meetings": ("村民议事", _meetings),
    "volunteers": ("志愿服务", _volunteers),
    "livability": ("人居环境", _livability),
    "training": ("干部培训", _training),
}


def topic_response(topic: str, *, user, division, year: int):
    name, build = _TOPICS[topic]
    return xlsx_response(f"{division.name}-{name}-{year}.xlsx", build(user, division, year))
