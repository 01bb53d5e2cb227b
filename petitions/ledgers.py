"""The petition and dispute ledgers (台账) as .xlsx rows. The headers are the counties' agreed column names, so they
are Chinese data here, not interface text. Personal data is masked unless the reader's role needs it."""

from villages.scopes import sees_personal_data
from villages.validators import mask_id_number, mask_phone

PETITION_COLUMNS = [
    "编号", "登记日期", "来源渠道", "类别", "信访人", "身份证号", "联系电话", "人数", "信访事项", "所涉地区", "网格",
    "重复信访", "越级", "集体访", "领导包案", "责任单位", "状态", "受理期限", "受理情况", "受理日期", "办理期限",
    "延期天数", "办结日期", "处理意见", "送达日期", "满意度", "回访日期", "复查", "复核", "督办次数",
]  # fmt: skip
DISPUTE_COLUMNS = [
    "编号", "排查日期", "所在地区", "排查主体", "网格", "类型", "风险等级", "当事人", "身份证号", "联系电话",
    "纠纷概要", "状态", "调处次数", "化解日期", "转信访件", "转网格事项",
]  # fmt: skip


# The ledger's own words for the coded values, fixed by the file format whatever the interface language.
CHANNEL = {"letter": "来信", "visit": "来访", "online": "网上信访", "phone": "电话"}
KIND = {"suggestion": "建议意见", "accusation": "检举控告", "demand": "申诉求决", "litigation": "涉法涉诉"}
STATUS = {
    "registered": "待受理", "handling": "办理中", "refused": "不予受理", "concluded": "已办结待送达",
    "delivered": "已送达", "review": "复查中", "reviewed": "已复查", "rereview": "复核中", "terminated": "已终结",
}  # fmt: skip
INTAKE = {"accepted": "受理", "assigned": "交办", "forwarded": "转送", "refused": "不予受理"}
DECISION = {"support": "支持", "explain": "解释说明", "not_support": "不予支持"}
SATISFACTION = {"satisfied": "满意", "basic": "基本满意", "dissatisfied": "不满意"}
REVIEW_RESULT = {"upheld": "维持", "changed": "变更", "revoked": "撤销"}
SOURCE = {"grid": "网格", "village": "村(社区)", "township": "乡镇(街道)"}
CATEGORY = {
    "neighbours": "邻里纠纷", "family": "婚姻家庭纠纷", "land": "土地山林水利纠纷", "labour": "劳动争议",
    "housing": "房屋宅基地纠纷", "compensation": "损害赔偿纠纷", "contract": "合同债务纠纷", "other": "其他纠纷",
}  # fmt: skip
RISK = {"low": "低", "medium": "中", "high": "高"}
DISPUTE_STATUS = {"screened": "待调处", "mediating": "调处中", "resolved": "已化解", "escalated": "已移交"}


def _yes(value: bool) -> str:
    return "是" if value else ""


def _people(people, full: bool):
    names = "、".join(p.name for p in people)
    ids = "、".join((p.id_number if full else mask_id_number(p.id_number)) for p in people if p.id_number)
    phones = "、".join((p.phone if full else mask_phone(p.phone)) for p in people if p.phone)
    return names, ids, phones


def _review(requested, result) -> str:
    return f"{requested:%Y-%m-%d} {REVIEW_RESULT.get(result, '待答复')}" if requested else ""


def petition_rows(petitions, *, user, shown: list | None = None):
    """One row a case. Expects ``with_list_data()`` (division, unit and petitioners loaded).

    The people whose full numbers went into the file are added to ``shown``, for the access log.
    """
    for p in petitions:
        full = sees_personal_data(user, p.division.code)
        people = list(p.petitioners.all())
        if full and shown is not None:
            shown.extend(people)
        names, ids, phones = _people(people, full)
        review = _review(p.review_requested_on, p.review_result)
        rereview = _review(p.rereview_requested_on, p.rereview_result)
        yield [
            p.number, p.received_on, CHANNEL[p.channel], KIND[p.kind], names, ids, phones,
            p.group_size or len(people), p.subject, p.division.name, p.grid_reference,
            _yes(p.is_repeat), _yes(p.is_level_skipping), _yes(p.is_group),
            p.leader_name if p.is_leader_owned else "",
            p.responsible_unit.name if p.responsible_unit_id else "", STATUS[p.status], p.acceptance_due,
            INTAKE.get(p.intake, ""), p.decided_on, p.handling_due, p.extension_days or "",
            p.concluded_on, DECISION.get(p.decision, ""), p.delivered_on, SATISFACTION.get(p.satisfaction, ""),
            p.return_visited_on, review, rereview,
            p.supervision_count or "",
        ]  # fmt: skip


def dispute_rows(disputes, *, user, shown: list | None = None):
    """One row a dispute. Expects ``with_list_data()`` and the ``mediation_count`` annotation."""
    for d in disputes:
        full = sees_personal_data(user, d.division.code)
        parties = list(d.parties.all())
        if full and shown is not None:
            shown.extend(parties)
        names, ids, phones = _people(parties, full)
        yield [
            d.number, d.screened_on, d.division.name, SOURCE[d.source], d.grid_reference, CATEGORY[d.category],
            RISK[d.risk_level], names, ids, phones, d.summary, DISPUTE_STATUS[d.status], d.mediation_count,
            d.resolved_on, d.petition.number if d.petition_id else "", d.grid_request_ref,
        ]  # fmt: skip
