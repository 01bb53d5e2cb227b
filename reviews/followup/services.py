"""Every write of the follow-up records: one function per action, one transaction each, raising ValidationError
field by field. Views and the API call these; neither holds a rule.

Measures move 整改中 (in progress) → 已完成 (done, reported with evidence by the village or the township) →
已销号 (closed, after the township verifies it); a verifier may also send a done measure back to in progress
with a reason. Record-book entries and publications are only ever added.
"""

import datetime
import hashlib
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from villages.history import audited_save
from villages.models import Adjustment, Cadre, Division, Post
from villages.scopes import require_role
from villages.services import cadre_adjust

from ..models import Campaign, Check, Review
from .choices import (
    COUNTY_ONLY,
    MEASURE_REPORTERS,
    MEASURE_VERIFIERS,
    RECORD_BOOK_PUBLISHERS,
    RECORD_BOOK_WRITERS,
    TOWNSHIP_OR_COUNTY,
    AdjustmentBasisKind,
    Book,
    MeasureStatus,
    ProblemKind,
)
from .models import (
    AdjustmentBasis,
    CommonMeasure,
    Evaluation,
    EvaluationMeeting,
    EvaluationScale,
    Evidence,
    Measure,
    Problem,
    ProblemVillage,
    RecordBookPublication,
    RecordEntry,
    RectificationPlan,
    Talk,
)

_save = audited_save  # validated; a save that changes nothing writes no history (villages.history)


def _text(value) -> str:
    return (value or "").strip()


# Democratic evaluation

# The two scales the counties use (also added by migration 0003): name, options from best to worst, failing option.
DEFAULT_SCALES = [
    ("称职评议", ["称职", "基本称职", "不称职"], "不称职"),
    ("满意度测评", ["满意", "基本满意", "不满意"], "不满意"),
]


def default_scales() -> dict[str, EvaluationScale]:
    """The default scales by name, created if missing (a flushed test database has lost the migration's rows)."""
    return {
        name: EvaluationScale.objects.get_or_create(name=name, defaults={"options": options, "failing": failing})[0]
        for name, options, failing in DEFAULT_SCALES
    }


def fail_share() -> Fraction:
    return Fraction(str(settings.SHANZHI_EVALUATION_FAIL_SHARE))


def evaluation_result(scale: EvaluationScale, counts: dict[str, int]) -> tuple[str, bool]:
    """The result of one cadre's votes: the failing option (不称职) when its votes exceed the configured share of
    the votes cast (default one third); otherwise the option with the most votes, a tie going to the worse."""
    ballots = sum(counts.values())
    failing_votes = counts.get(scale.failing, 0)
    if ballots and Fraction(failing_votes, ballots) > fail_share():
        return scale.failing, True
    others = [o for o in scale.options if o != scale.failing]
    best = max(reversed(others), key=lambda o: counts.get(o, 0))
    return best, False


def _reflag(cadre_ids) -> None:
    """Recompute the county's flag for every evaluation of these cadres: an evaluation is flagged when it and the
    ones of the years just before it fail, as many years in a row as the rule says (default 2)."""
    needed = settings.SHANZHI_EVALUATION_FLAG_YEARS
    rows = list(Evaluation.objects.filter(cadre_id__in=cadre_ids).order_by("cadre_id", "year"))
    failing_years: dict[int, set[int]] = {}
    for e in rows:
        if e.failing:
            failing_years.setdefault(e.cadre_id, set()).add(e.year)
    changed = []
    for e in rows:
        years = failing_years.get(e.cadre_id, set())
        flagged = all(e.year - i in years for i in range(needed))
        if flagged != e.flagged:
            e.flagged = flagged
            changed.append(e)
    for e in changed:
        e.save(update_fields=["flagged"])


@transaction.atomic
def evaluation_record(
    *,
    actor,
    village: Division,
    year: int,
    date: datetime.date,
    organizer: str,
    expected: int,
    attendance: int,
    scale: EvaluationScale,
    results: dict[int, dict[str, int]],
) -> EvaluationMeeting:
    """Record a village's evaluation meeting and each cadre's votes (``results``: cadre id → option → count)."""
    require_role(actor, village.code, TOWNSHIP_OR_COUNTY)
    errors: dict[str, list] = {}
    if date and date.year != year:
        errors.setdefault("date", []).append(_("The meeting must fall in the year evaluated."))
    if not results:
        errors.setdefault("results", []).append(_("Enter the votes for at least one cadre."))
    cadres = {c.pk: c for c in Cadre.objects.filter(pk__in=list(results), division=village)}
    for cadre_id, counts in results.items():
        if cadre_id not in cadres:
            errors.setdefault("results", []).append(_("A cadre evaluated is not of this village."))
            continue
        unknown = set(counts) - set(scale.options)
        if unknown:
            errors.setdefault("results", []).append(
                _("“%(option)s” is not an option of the scale.") % {"option": sorted(unknown)[0]}
            )
        if any(not isinstance(n, int) or n < 0 for n in counts.values()):
            errors.setdefault("results", []).append(_("Vote counts are whole numbers, 0 or more."))
        elif sum(counts.values()) > attendance:
            errors.setdefault("results", []).append(
                _("%(name)s has more votes than people present.") % {"name": cadres[cadre_id].name}
            )
    if Evaluation.objects.filter(cadre_id__in=list(cadres), year=year).exists():
        errors.setdefault("year", []).append(_("A cadre here was already evaluated this year."))
    if errors:
        raise ValidationError(errors)
    meeting = _save(
        EvaluationMeeting(
            village=village,
            year=year,
            date=date,
            organizer=_text(organizer),
            expected=expected,
            attendance=attendance,
            scale=scale,
            created_by=actor,
        ),
        actor=actor,
    )
    for cadre_id, counts in results.items():
        counts = {o: int(counts.get(o, 0)) for o in scale.options}
        result, failing = evaluation_result(scale, counts)
        _save(
            Evaluation(
                meeting=meeting,
                cadre=cadres[cadre_id],
                year=year,
                counts=counts,
                ballots=sum(counts.values()),
                result=result,
                failing=failing,
            ),
            actor=actor,
        )
    _reflag(list(cadres))
    return meeting


# Talks


@transaction.atomic
def talk_record(
    *,
    actor,
    cadre: Cadre,
    kind: str,
    talker: str,
    note_taker: str,
    held_at: datetime.datetime,
    place: str,
    reason: str,
    content: str,
    commitment: str = "",
    correction: str = "",
    correction_deadline: datetime.date | None = None,
    review: Review | None = None,
    evaluation: Evaluation | None = None,
    petition=None,
) -> Talk:
    village = cadre.division
    require_role(actor, village.code, TOWNSHIP_OR_COUNTY)
    errors = {}
    if review is not None and review.village_id != village.pk:
        errors["review"] = _("The review is of another village.")
    if evaluation is not None and evaluation.cadre_id != cadre.pk:
        errors["evaluation"] = _("The evaluation is of another cadre.")
    if petition is not None and not petition.division.code.startswith(village.code[:9]):
        errors["petition"] = _("The petition concerns another place.")
    if sum(x is not None for x in (review, evaluation, petition)) > 1:
        errors["review"] = _("Link a review finding, an evaluation or a petition, not several.")
    if _text(correction) and correction_deadline is None:
        errors["correction_deadline"] = _("A demanded correction needs its deadline.")
    if correction_deadline and held_at and correction_deadline < timezone.localtime(held_at).date():
        errors["correction_deadline"] = _("The deadline cannot come before the talk.")
    if held_at and held_at > timezone.now() + datetime.timedelta(days=1):
        errors["held_at"] = _("A talk is recorded after it was held.")
    if errors:
        raise ValidationError(errors)
    return _save(
        Talk(
            village=village,
            cadre=cadre,
            kind=kind,
            talker=_text(talker),
            note_taker=_text(note_taker),
            held_at=held_at,
            place=_text(place),
            reason=_text(reason),
            content=_text(content),
            commitment=_text(commitment),
            correction=_text(correction),
            correction_deadline=correction_deadline,
            review=review,
            evaluation=evaluation,
            petition=petition,
            created_by=actor,
        ),
        actor=actor,
    )


@transaction.atomic
def talk_follow_up(*, actor, talk: Talk, follow_up: str, outcome: str) -> Talk:
    require_role(actor, talk.village.code, TOWNSHIP_OR_COUNTY)
    talk = Talk.objects.select_for_update().get(pk=talk.pk)
    if not _text(follow_up):
        raise ValidationError({"follow_up": _("Say how the talk was followed up.")})
    talk.follow_up, talk.outcome, talk.followed_up_at = _text(follow_up), _text(outcome), timezone.now()
    return _save(talk, actor=actor, update_fields=["follow_up", "outcome", "followed_up_at"])


# Problems and common measures


def _villages_of(campaign: Campaign, villages) -> list[Division]:
    villages = list(villages)
    prefix = campaign.division.prefix
    if any(not v.code.startswith(prefix) or not v.is_village for v in villages):
        raise ValidationError({"villages": _("Every village must be a village of the campaign's county.")})
    return villages


@transaction.atomic
def problem_create(
    *,
    actor,
    campaign: Campaign,
    check: Check,
    kind: str,
    title: str,
    villages,
    description: str = "",
    review: Review | None = None,
    source: str = "",
) -> Problem:
    """File a problem under a check: particular to one village (个性) or common to several (共性). A particular
    problem is filed by whoever works for its village (township or county); a common one by the county, or by a
    township for villages of its own."""
    villages = _villages_of(campaign, villages)
    errors = {}
    if kind == ProblemKind.PARTICULAR and len(villages) != 1:
        errors["villages"] = _("A particular problem belongs to exactly one village.")
    elif kind == ProblemKind.COMMON and len(villages) < 1:
        errors["villages"] = _("Name the villages that share the problem.")
    if check.template_id != campaign.template_id:
        errors["check"] = _("The check belongs to another scorecard.")
    if review is not None and (review.campaign_id != campaign.pk or review.village not in villages):
        errors["review"] = _("The review is of another campaign or village.")
    if errors:
        raise ValidationError(errors)
    for village in villages:
        require_role(actor, village.code, TOWNSHIP_OR_COUNTY)
    problem = _save(
        Problem(
            county=campaign.division,
            campaign=campaign,
            check_item=check,
            kind=kind,
            title=_text(title),
            description=_text(description),
            review=review,
            source=_text(source),
            created_by=actor,
        ),
        actor=actor,
    )
    ProblemVillage.objects.bulk_create([ProblemVillage(problem=problem, village=v) for v in villages])
    return problem


@transaction.atomic
def common_measure_create(
    *, actor, campaign: Campaign, title: str, adopted_on: datetime.date, problems=(), description: str = ""
) -> CommonMeasure:
    from ..models import require_county_role

    require_county_role(actor, campaign.division.code, COUNTY_ONLY)
    problems = list(problems)
    if any(p.campaign_id != campaign.pk for p in problems):
        raise ValidationError({"problems": _("Every problem must come from the same campaign.")})
    measure = _save(
        CommonMeasure(
            county=campaign.division,
            campaign=campaign,
            title=_text(title),
            description=_text(description),
            adopted_on=adopted_on,
            created_by=actor,
        ),
        actor=actor,
    )
    measure.problems.set(problems)
    return measure


# Plans and measures


@transaction.atomic
def plan_create(*, actor, campaign: Campaign, village: Division, summary: str = "") -> RectificationPlan:
    require_role(actor, village.code, TOWNSHIP_OR_COUNTY)
    if not village.code.startswith(campaign.division.prefix):
        raise ValidationError({"village": _("The village is not in the campaign's county.")})
    if RectificationPlan.objects.filter(campaign=campaign, village=village).exists():
        raise ValidationError({"village": _("This village already has its plan for the campaign.")})
    return _save(
        RectificationPlan(campaign=campaign, village=village, summary=_text(summary), created_by=actor), actor=actor
    )


@transaction.atomic
def measure_add(
    *,
    actor,
    plan: RectificationPlan,
    content: str,
    owner: str,
    deadline: datetime.date,
    problem: Problem | None = None,
    common_measure: CommonMeasure | None = None,
) -> Measure:
    require_role(actor, plan.village.code, TOWNSHIP_OR_COUNTY)
    errors = {}
    if problem is not None and not problem.links.filter(village=plan.village).exists():
        errors["problem"] = _("The problem is not one of this village's.")
    if common_measure is not None and common_measure.campaign_id != plan.campaign_id:
        errors["common_measure"] = _("The common measure belongs to another campaign.")
    if errors:
        raise ValidationError(errors)
    return _save(
        Measure(
            plan=plan,
            problem=problem,
            common_measure=common_measure,
            content=_text(content),
            owner=_text(owner),
            deadline=deadline,
            created_by=actor,
        ),
        actor=actor,
    )


def _locked(measure: Measure) -> Measure:
    return Measure.objects.select_for_update().select_related("plan__village").get(pk=measure.pk)


@transaction.atomic
def measure_report_done(*, actor, measure: Measure, completed_on: datetime.date | None = None) -> Measure:
    """The village (or the township for it) reports the measure carried out; evidence must be uploaded first."""
    require_role(actor, measure.plan.village.code, MEASURE_REPORTERS)
    measure = _locked(measure)
    completed_on = completed_on or timezone.localdate()
    if measure.status != MeasureStatus.IN_PROGRESS:
        raise ValidationError({"status": _("Only a measure in progress can be reported done.")})
    if not measure.evidence.exists():
        raise ValidationError({"evidence": _("Upload the evidence before reporting the measure done.")})
    if completed_on > timezone.localdate():
        raise ValidationError({"completed_on": _("A measure cannot be done in the future.")})
    measure.status, measure.completed_on, measure.completed_by = MeasureStatus.DONE, completed_on, actor
    return _save(measure, actor=actor, update_fields=["status", "completed_on", "completed_by"])


@transaction.atomic
def measure_close(*, actor, measure: Measure, note: str = "") -> Measure:
    """The township verifies a done measure and closes it (销号)."""
    require_role(actor, measure.plan.village.code, MEASURE_VERIFIERS)
    measure = _locked(measure)
    if measure.status != MeasureStatus.DONE:
        raise ValidationError({"status": _("Only a measure reported done can be verified and closed.")})
    measure.status, measure.closed_at, measure.closed_by = MeasureStatus.CLOSED, timezone.now(), actor
    measure.verification_note = _text(note)
    return _save(measure, actor=actor, update_fields=["status", "closed_at", "closed_by", "verification_note"])


@transaction.atomic
def measure_send_back(*, actor, measure: Measure, reason: str) -> Measure:
    """Verification finds a done measure not done after all: back to in progress, with the reason."""
    require_role(actor, measure.plan.village.code, MEASURE_VERIFIERS)
    measure = _locked(measure)
    if measure.status != MeasureStatus.DONE:
        raise ValidationError({"status": _("Only a measure reported done can be sent back.")})
    if not _text(reason):
        raise ValidationError({"reason": _("Say why the measure is sent back.")})
    measure.status, measure.completed_on, measure.completed_by = MeasureStatus.IN_PROGRESS, None, None
    measure.verification_note = _text(reason)
    return _save(
        measure,
        actor=actor,
        update_fields=["status", "completed_on", "completed_by", "verification_note"],
        reason=_text(reason),
    )


# Evidence: what a file really is, read from its first bytes; the extension must agree.
EVIDENCE_TYPES = {
    "pdf": (b"%PDF-", "application/pdf", {"pdf"}),
    "jpg": (b"\xff\xd8\xff", "image/jpeg", {"jpg", "jpeg"}),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png", {"png"}),
}


def sniff_evidence(file) -> tuple[str, str]:
    """(extension, content type) of an allowed evidence file, or a ValidationError naming what is wrong."""
    size = getattr(file, "size", None) or 0
    limit = settings.SHANZHI_EVIDENCE_MAX_BYTES
    if size <= 0:
        raise ValidationError({"file": _("The file is empty.")}, code="empty")
    if size > limit:
        raise ValidationError(
            {
                "file": _("The file is too large (%(size)s KB); the limit is %(limit)s KB.")
                % {"size": f"{size // 1024:,}", "limit": f"{limit // 1024:,}"}
            },
            code="too_large",
        )
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    name = (getattr(file, "name", "") or "").lower()
    given = name.rsplit(".", 1)[-1] if "." in name else ""
    for extension, (magic, content_type, extensions) in EVIDENCE_TYPES.items():
        if head.startswith(magic):
            if given not in extensions:
                break
            return extension, content_type
    raise ValidationError(
        {"file": _("Upload a PDF, JPEG or PNG file; this file's content is not one of them.")}, code="type"
    )


@transaction.atomic
def evidence_upload(*, actor, measure: Measure, file, description: str = "") -> Evidence:
    require_role(actor, measure.plan.village.code, MEASURE_REPORTERS)
    if measure.status == MeasureStatus.CLOSED:
        raise ValidationError({"file": _("The measure is closed; its evidence can no longer change.")})
    extension, content_type = sniff_evidence(file)
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    evidence = Evidence(
        measure=measure,
        original_name=(getattr(file, "name", "") or "")[-200:],
        content_type=content_type,
        extension=extension,
        size=file.size,
        sha256=digest.hexdigest(),
        description=_text(description),
        uploaded_by=actor,
    )
    evidence.file.save(f"evidence.{extension}", file, save=False)
    try:
        evidence.full_clean()
        evidence.save()
    except Exception:
        evidence.file.delete(save=False)  # the row was refused: leave no file behind
        raise
    return evidence


# Record books


@transaction.atomic
def record_entry_add(
    *, actor, cadre: Cadre, book: str, date: datetime.date, content: str, corrects: RecordEntry | None = None
) -> RecordEntry:
    """Add an entry to a cadre's red, black or blue book; a correction refers to the entry it corrects."""
    village = cadre.division
    require_role(actor, village.code, RECORD_BOOK_WRITERS)
    errors = {}
    if book not in Book.values:
        errors["book"] = _("Choose the red, black or blue book.")
    if date and date > timezone.localdate():
        errors["date"] = _("An entry records what has happened: the date cannot be in the future.")
    if corrects is not None and corrects.cadre_id != cadre.pk:
        errors["corrects"] = _("A correction refers to an entry of the same cadre.")
    if errors:
        raise ValidationError(errors)
    entry = RecordEntry(
        village=village,
        cadre=cadre,
        book=book,
        date=date,
        content=_text(content),
        corrects=corrects,
        written_by=actor,
    )
    entry.full_clean()
    entry.save()
    return entry


def _month_bounds(period: str) -> tuple[datetime.date, datetime.date]:
    from villages.metrics import Period

    try:
        parsed = Period.parse(period)
    except ValueError:
        raise ValidationError({"period": _("A month looks like 2026-11.")}) from None
    if parsed.is_year:
        raise ValidationError({"period": _("A month looks like 2026-11.")})
    return parsed.start, parsed.end


def publication_entries(*, village: Division, period: str) -> list[dict]:
    """The month's entries as they will be frozen into a publication."""
    start, end = _month_bounds(period)
    rows = (
        RecordEntry.objects.filter(village=village, date__gte=start, date__lt=end)
        .select_related("cadre", "written_by")
        .order_by("cadre__name", "book", "date", "pk")
    )
    return [
        {
            "id": e.pk,
            "cadre": e.cadre.name,
            "cadre_id": e.cadre_id,
            "book": e.book,
            "date": e.date.isoformat(),
            "content": e.content,
            "corrects": e.corrects_id,
            "written_by": e.written_by.get_full_name() or e.written_by.username,
        }
        for e in rows
    ]


@transaction.atomic
def record_books_publish(*, actor, village: Division, period: str) -> RecordBookPublication:
    """Publish one month of a village's books: the entries are copied, so the publication never changes."""
    require_role(actor, village.code, RECORD_BOOK_PUBLISHERS)
    _start, end = _month_bounds(period)
    if end > timezone.localdate():
        raise ValidationError({"period": _("A month is published once it is over.")})
    if RecordBookPublication.objects.filter(village=village, period=period).exists():
        raise ValidationError({"period": _("This month is already published; it stays as published.")})
    publication = RecordBookPublication(
        village=village,
        period=period,
        entries=publication_entries(village=village, period=period),
        published_by=actor,
    )
    publication.full_clean()
    publication.save()
    return publication


def record_books_publish_due(*, today: datetime.date | None = None) -> int:
    """The monthly schedule: publish last month's books of every village that wrote in them and has not published
    that month yet. Idempotent (a village's month is published once); each village in its own transaction."""
    today = today or timezone.localdate()
    last = (today.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    start, end = _month_bounds(last)
    villages = (
        Division.objects.filter(record_entries__date__gte=start, record_entries__date__lt=end)
        .exclude(record_publications__period=last)
        .distinct()
        .order_by("code")
    )
    published = 0
    for village in villages:
        with transaction.atomic():
            if RecordBookPublication.objects.select_for_update().filter(village=village, period=last).exists():
                continue
            entries = publication_entries(village=village, period=last)
            RecordBookPublication(village=village, period=last, entries=entries, published_by=None).save()
            published += 1
    return published


# Adjustments with their basis


@transaction.atomic
def cadre_adjust_on_basis(
    *,
    actor,
    post: Post,
    kind: str,
    date: datetime.date,
    reason: str,
    approved_by: str,
    incoming: Cadre | None = None,
    review: Review | None = None,
    evaluation: Evaluation | None = None,
    talk: Talk | None = None,
) -> Adjustment:
    """``villages.services.cadre_adjust`` with what it acts on: a review outcome, an evaluation or a talk."""
    sources = [
        (AdjustmentBasisKind.REVIEW, review),
        (AdjustmentBasisKind.EVALUATION, evaluation),
        (AdjustmentBasisKind.TALK, talk),
    ]
    given = [(k, s) for k, s in sources if s is not None]
    if len(given) != 1:
        raise ValidationError({"basis": _("Name one review, evaluation or talk the adjustment acts on.")})
    basis_kind, source = given[0]
    if basis_kind == AdjustmentBasisKind.REVIEW and source.village_id != post.division_id:
        raise ValidationError({"basis": _("The review is of another village.")})
    if basis_kind != AdjustmentBasisKind.REVIEW and source.cadre_id != post.cadre_id:
        raise ValidationError({"basis": _("The evaluation or talk is of another cadre.")})
    adjustment = cadre_adjust(
        actor=actor, post=post, kind=kind, date=date, reason=reason, incoming=incoming, approved_by=approved_by
    )
    basis = AdjustmentBasis(adjustment=adjustment, kind=basis_kind, **{basis_kind: source})
    basis.full_clean()
    basis.save()
    return adjustment
