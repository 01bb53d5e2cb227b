"""The household roll (住户台账) as .xlsx: one column layout for import and export.

An import may hold 100,000 rows. It reads the file once, streaming (``villages.excel.read_rows``), and keeps
only a small tuple per good row; a bad row stops the keeping but not the checking, so every bad row is
listed and nothing is saved. A clean file is then inserted in batches of a few thousand rows inside the one
transaction, with multi-row INSERTs that build no model instances, so memory stays flat, 100,000 rows take
seconds, and a failure leaves nothing half-imported. Each household gets its history row ("created by the
import, by whom, when") as if saved one by one.
"""

from itertools import islice

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from villages.excel import RowErrors, read_rows
from villages.models import Division
from villages.stats import data_changed
from villages.validators import mask_phone, validate_phone

from .choices import HOUSEHOLD_EDITOR_ROLES
from .models import CareTag, Grid, Household, PartyMember
from .scopes import has_grid_role

# The headers are a file format agreed with the counties, so they are Chinese data here, not interface text.
HOUSEHOLD_COLUMNS = {
    "网格编码": "grid",
    "地址": "address",
    "户主姓名": "head_name",
    "家庭人口": "members_count",
    "联系电话": "phone",
    "关爱标签": "care_tags",
    "联户党员": "linked_member",
}
HOUSEHOLD_REQUIRED = ["网格编码", "地址", "户主姓名", "家庭人口"]
BATCH_SIZE = 2000
_TAG_SEPARATORS = ("、", ",", "，", ";", "；")
_MAX_MEMBERS = 99


def _split_tags(value) -> list[str]:
    text = str(value or "")
    for separator in _TAG_SEPARATORS[1:]:
        text = text.replace(separator, _TAG_SEPARATORS[0])
    return [t.strip() for t in text.split(_TAG_SEPARATORS[0]) if t.strip()]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


@transaction.atomic
def households_import(*, actor, division: Division, file, batch_size: int = BATCH_SIZE) -> int:
    """Add the file's households to grids at or under ``division`` that the actor may edit. Returns the count."""
    under = Grid.objects.visible_to(actor).filter(village__code__startswith=division.prefix)
    grids = {g.code: g for g in under.select_related("village")}
    editable = {code: g for code, g in grids.items() if has_grid_role(actor, g, HOUSEHOLD_EDITOR_ROLES)}
    tags = dict(CareTag.objects.filter(active=True).values_list("name", "pk"))
    members: dict[tuple[int, str], list[int]] = {}
    for pk, village_id, name in PartyMember.objects.filter(village__code__startswith=division.prefix).values_list(
        "pk", "village_id", "name"
    ):
        members.setdefault((village_id, name), []).append(pk)

    errors: list[tuple[int, str]] = []
    rows: list[tuple] = []
    for number, row in read_rows(file, HOUSEHOLD_COLUMNS, HOUSEHOLD_REQUIRED):
        problems = []
        code = _text(row.get("grid"))
        grid = editable.get(code)
        if grid is None:
            if code in grids:
                problems.append(_("You may not edit the households of grid %(code)s.") % {"code": code})
            else:
                problems.append(
                    _("No grid under %(name)s has the code “%(code)s”.") % {"name": division.name, "code": code}
                )
        address = _text(row.get("address"))
        if not address:
            problems.append(_("The address is missing."))
        elif len(address) > 200:
            problems.append(_("The address is longer than 200 characters."))
        head_name = _text(row.get("head_name"))
        if not head_name:
            problems.append(_("The head of household is missing."))
        elif len(head_name) > 50:
            problems.append(_("The head of household's name is longer than 50 characters."))
        members_count = row.get("members_count")
        try:
            members_count = int(_text(members_count))
            if not 1 <= members_count <= _MAX_MEMBERS:
                raise ValueError
        except ValueError:
            problems.append(
                _("The number of members “%(v)s” is not a whole number from 1 to %(max)d.")
                % {"v": _text(row.get("members_count")), "max": _MAX_MEMBERS}
            )
        phone = _text(row.get("phone"))
        if phone:
            try:
                validate_phone(phone)
            except ValidationError as exc:
                problems.extend(str(m) for m in exc.messages)
        tag_ids = []
        for tag in _split_tags(row.get("care_tags")):
            if tag in tags:
                tag_ids.append(tags[tag])
            else:
                problems.append(_("The care tag “%(tag)s” is not in the county's list.") % {"tag": tag})
        member_id = None
        member_name = _text(row.get("linked_member"))
        if member_name and grid is not None:
            found = members.get((grid.village_id, member_name), [])
            if len(found) == 1:
                member_id = found[0]
            elif not found:
                problems.append(
                    _("No party member of %(village)s is named %(name)s.")
                    % {"village": grid.village.name, "name": member_name}
                )
            else:
                problems.append(
                    _("%(village)s has several party members named %(name)s; link the household on its page instead.")
                    % {"village": grid.village.name, "name": member_name}
                )
        if problems:
            errors.append((number, "; ".join(problems)))
        elif not errors:
            # Only good rows before the first bad one are kept: after that the file is refused anyway.
            rows.append((grid.pk, address, head_name, members_count, phone, member_id, tuple(tag_ids)))
    if errors:
        raise RowErrors(errors)
    if not rows:
        raise ValidationError(_("The file holds no rows."))
    pending = iter(rows)
    while chunk := list(islice(pending, batch_size)):
        insert_households(chunk, actor=actor, reason="导入")
    data_changed(division.code)
    return len(rows)


def insert_households(rows: list[tuple], *, actor=None, reason: str = "") -> list[int]:
    """Insert households given as (grid id, address, head, members, phone, member id, care tag ids), each
    with its history row ("created", by whom, when, why) and its care tags. Returns the new ids, in order."""
    now = timezone.now()
    user = actor.pk if actor is not None else None
    ids = insert_rows(Household, _COLUMNS, [row[:6] for row in rows], returning=True)
    insert_rows(
        _HISTORY,
        [*_HISTORY_COLUMNS, "history_date", "history_change_reason", "history_type", "history_user_id"],
        [(pk, *row[:6], now, reason or None, "+", user) for pk, row in zip(ids, rows, strict=True)],
    )
    links = [(pk, tag_id) for pk, row in zip(ids, rows, strict=True) for tag_id in row[6]]
    insert_rows(_THROUGH, ["household_id", "caretag_id"], links)
    return ids


# The columns the import writes, in the order of the tuples it keeps. The history table repeats them after
# the household's own id, then says when, why, how and by whom.
_COLUMNS = ["grid_id", "address", "head_name", "members_count", "phone", "linked_member_id"]
_HISTORY = Household.history.model
_HISTORY_COLUMNS = ["id", *_COLUMNS]
_THROUGH = Household.care_tags.through


def insert_rows(model, columns: list[str], rows: list[tuple], *, returning: bool = False) -> list[int]:
    """Multi-row INSERTs of plain values, a few hundred rows a statement; the new ids when ``returning``.

    Building a model instance per row (as ``bulk_create`` does) costs more than reading the row from the
    spreadsheet; a roll of 100,000 households is inserted this way in seconds. The values were checked row
    by row before, and the table's constraints still hold every row.
    """
    if not rows:
        return []
    ops = connection.ops
    fields = {f.column: f for f in model._meta.concrete_fields}
    unknown = set(columns) - set(fields)
    if unknown:
        raise ValueError(f"{model._meta.db_table} has no columns {sorted(unknown)}")
    table = ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(c) for c in columns)
    # Dates and times need the backend's form (SQLite stores text); everything else is str, int or None.
    adapters = {"DateTimeField": ops.adapt_datetimefield_value, "DateField": ops.adapt_datefield_value}
    kinds = [fields[c].get_internal_type() for c in columns]
    adapt = {i: adapters[kind] for i, kind in enumerate(kinds) if kind in adapters}
    per_statement = max(1, min(500, (connection.features.max_query_params or 10_000) // len(columns)))
    returning_sql = f" RETURNING {ops.quote_name(model._meta.pk.column)}" if returning else ""
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [adapt[i](v) if i in adapt else v for row in chunk for i, v in enumerate(row)]
            values = ", ".join([placeholders] * len(chunk))
            # Table and column names come from the models; every value is a parameter.
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {values}{returning_sql}", params)  # noqa: S608
            if returning:
                ids.extend(row[0] for row in cursor.fetchall())
    return ids


def household_ledger_rows(households, *, full_personal_data: bool):
    """Rows in the import's column order, read in chunks so a large roll streams."""
    for h in households.iterator(chunk_size=2000):
        yield [
            h.grid.code,
            h.address,
            h.head_name,
            h.members_count,
            h.phone if full_personal_data else mask_phone(h.phone),
            "、".join(t.name for t in h.care_tags.all()),
            h.linked_member.name if h.linked_member_id else "",
        ]
