"""The household roll (住户台账): its export's columns and rows, and the plain multi-row INSERTs the household import
(grids.imports) and the demo write with.

An import may hold 100,000 rows: it builds no model instance per row (``insert_rows``), so memory stays flat and
100,000 rows take seconds; each household gets its history row ("created by the import, by whom, when") as if saved
one by one.
"""

from django.db import connection
from django.utils import timezone

from villages.validators import mask_phone

from .models import Household

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
