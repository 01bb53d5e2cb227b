"""Every write to the villages app: one function per action, one transaction each, raising ValidationError."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import CADRE_EDITOR_ROLES, AdjustmentKind, ApprovingLevel, Level, Role
from .history import audited_save
from .models import Adjustment, ApiToken, Cadre, Division, Post, WatchRules
from .scopes import require_role
from .sessions import forget_cached_sessions, session_keys_of
from .validators import normalize_id_number

CADRE_FIELDS = (
    "name", "gender", "birth_date", "education", "is_party_member", "party_branch", "phone", "id_number",
    "term_start_year",
)  # fmt: skip
DIVISION_FIELDS = ("name", "kind", "valid_from", "valid_to", "population", "households")


_save = audited_save  # validated; a save that changes nothing writes no history (villages.history)


@transaction.atomic
def division_create(
    *,
    actor,
    code: str,
    name: str,
    level: str,
    kind: str,
    parent: Division | None,
    valid_from: datetime.date | None = None,
    population=None,
    households=None,
) -> Division:
    if parent is None:
        if not getattr(actor, "is_superuser", False):
            raise ValidationError({"parent": _("Only a system administrator can add a top-level division.")})
    else:
        require_role(actor, parent.code, {Role.COUNTY_OFFICIAL})
    division = Division(
        code=code,
        name=name,
        level=level,
        kind=kind,
        parent=parent,
        valid_from=valid_from,
        population=population,
        households=households,
    )
    return _save(division, actor=actor)


@transaction.atomic
def division_update(*, actor, division: Division, **changes) -> Division:
    require_role(actor, division.code, {Role.COUNTY_OFFICIAL})
    unknown = set(changes) - set(DIVISION_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    for field, value in changes.items():
        setattr(division, field, value)
    return _save(division, actor=actor)


@transaction.atomic
def cadre_create(*, actor, division: Division, **fields) -> Cadre:
    require_role(actor, division.code, CADRE_EDITOR_ROLES)
    if division.level != Level.VILLAGE:
        raise ValidationError({"division": _("Cadres belong to a village or community.")})
    fields["id_number"] = normalize_id_number(fields.get("id_number", ""))
    cadre = Cadre(division=division, **{k: v for k, v in fields.items() if k in CADRE_FIELDS})
    return _save(cadre, actor=actor)


@transaction.atomic
def cadre_update(*, actor, cadre: Cadre, **changes) -> Cadre:
    require_role(actor, cadre.division.code, CADRE_EDITOR_ROLES)
    cadre = Cadre.objects.select_for_update().get(pk=cadre.pk)
    if "id_number" in changes:
        changes["id_number"] = normalize_id_number(changes["id_number"])
    for field, value in changes.items():
        if field not in CADRE_FIELDS:
            raise ValidationError(_("The field %(f)s cannot be changed here.") % {"f": field})
        setattr(cadre, field, value)
    return _save(cadre, actor=actor)


@transaction.atomic
def post_add(*, actor, cadre: Cadre, committee: str, title: str, start_date: datetime.date) -> Post:
    require_role(actor, cadre.division.code, CADRE_EDITOR_ROLES)
    post = Post(cadre=cadre, division_id=cadre.division_id, committee=committee, title=title, start_date=start_date)
    return _save(post, actor=actor)


@transaction.atomic
def post_end(*, actor, post: Post, end_date: datetime.date) -> Post:
    require_role(actor, post.division.code, CADRE_EDITOR_ROLES)
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.end_date is not None:
        raise ValidationError(_("This post has already ended."))
    post.end_date = end_date
    return _save(post, actor=actor, update_fields=["end_date"])


@transaction.atomic
def cadre_adjust(
    *,
    actor,
    post: Post,
    kind: str,
    date: datetime.date,
    reason: str,
    incoming: Cadre | None = None,
    approved_by: str = ApprovingLevel.TOWNSHIP,
) -> Adjustment:
    """Replace, remove or redeploy the holder of a post. The old post is ended, never overwritten."""
    require_role(actor, post.division.code, CADRE_EDITOR_ROLES)
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = _("Give the reason for the adjustment.")
    if kind == AdjustmentKind.REPLACEMENT and incoming is None:
        errors["incoming"] = _("A replacement needs the incoming cadre.")
    if incoming is not None and incoming.division_id != post.division_id:
        errors["incoming"] = _("The incoming cadre must belong to the same village.")
    if incoming is not None and incoming.pk == post.cadre_id:
        errors["incoming"] = _("The incoming cadre cannot be the outgoing one.")
    if post.end_date is not None:
        errors["post"] = _("This post has already ended.")
    elif date < post.start_date:
        errors["date"] = _("The adjustment cannot come before the post started.")
    if errors:
        raise ValidationError(errors)
    post_end(actor=actor, post=post, end_date=date)
    new_post = None
    if incoming is not None:
        new_post = post_add(actor=actor, cadre=incoming, committee=post.committee, title=post.title, start_date=date)
    outgoing = post.cadre
    if kind == AdjustmentKind.REMOVAL and not Post.objects.filter(cadre=outgoing, end_date__isnull=True).exists():
        outgoing.active = False
        _save(outgoing, actor=actor, update_fields=["active"])
    adjustment = Adjustment(
        division_id=post.division_id,
        kind=kind,
        post=post,
        outgoing=outgoing,
        incoming=incoming,
        new_post=new_post,
        date=date,
        reason=reason.strip(),
        approved_by=approved_by,
        created_by=actor,
    )
    adjustment.full_clean()
    adjustment.save()
    return adjustment


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user, ttl: datetime.timedelta | None = None) -> tuple[ApiToken, str]:
    """A new token for the user; the raw key is returned once and never stored."""
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        digest=_digest(raw),
        prefix=raw[:8],
        expires_at=timezone.now() + (ttl or settings.SHANZHI_TOKEN_TTL),
    )
    return token, raw


def api_token_lookup(raw: str) -> ApiToken | None:
    """The token with its user and the user's version (villages.sessions), in one query: a token request reads its
    row every time, so revoking or deleting it, or saving its user (deactivated, a new password), takes effect on
    the very next request on every node."""
    return ApiToken.objects.select_related("user", "user__auth_state").filter(digest=_digest(raw)).first()


def api_token_touch(token: ApiToken, now: datetime.datetime) -> None:
    """Record when the token was last used (the caller decides how often)."""
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


@transaction.atomic
def api_tokens_revoke_all(*, user) -> int:
    """Revoke every live token of the user (a new password, signing out everywhere); how many were revoked."""
    return ApiToken.objects.filter(user_id=user.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def user_sign_out_everywhere(*, user) -> int:
    """End every session of the user (their rows are deleted) and revoke every API token, on every node: the
    user's version moves, so a copy of a session still in some node's cache is refused on its next use
    (villages.sessions). How many sessions were ended."""
    keys = session_keys_of(user)
    Session.objects.filter(session_key__in=keys).delete()  # each row moves the version (sessions.session_deleted)
    forget_cached_sessions(keys)
    api_tokens_revoke_all(user=user)
    return len(keys)


WATCH_RULE_FIELDS = (
    "min_cases", "quantile", "min_denominator", "rate_floor", "trend_baseline", "trend_rise", "min_sources",
)  # fmt: skip


@transaction.atomic
def watch_rules_set(*, actor, county: Division, **values) -> WatchRules:
    """A county's watch list thresholds (the county official's), created on first use; history kept."""
    require_role(actor, county.code, {Role.COUNTY_OFFICIAL})
    if county.level != Level.COUNTY:
        raise ValidationError(_("Watch list thresholds are set per county."))
    unknown = set(values) - set(WATCH_RULE_FIELDS)
    if unknown:
        raise ValueError(f"not a threshold: {sorted(unknown)}")
    rules = WatchRules.objects.select_for_update().filter(county=county).first() or WatchRules(county=county)
    rules.county = county  # loaded, so the save moves this county's data version (villages.stats.note_change)
    for name, value in values.items():
        setattr(rules, name, value)
    rules.updated_by = actor if getattr(actor, "pk", None) else None
    rules.updated_at = timezone.now()
    return _save(rules, actor=actor)
