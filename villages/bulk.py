"""Writing many rows fast: PostgreSQL ``COPY … FROM STDIN`` of plain values, no model instance per row needed
and no per-value preparation (other databases get plain multi-row INSERTs).

Used where a set of rows is replaced at once (the tallies' snapshots and star proposals, through
``replace_rows``: only the rows that changed are written) and by the benchmark's data generator; and where a few
rows of many change at once (``upsert_changed``: a scorecard's item scores). The values must already be what the
columns hold; the table's constraints still check them.
"""

import datetime
import io
import json
import operator
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, models
from django.db.models.functions import Cast

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime.date):  # datetimes too (aware: isoformat keeps the offset)
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    return str(value).translate(_ESCAPES)


def _plain(value):
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class Copier:
    """Write rows of one model with ``COPY``: the columns given, and every other non-null column filled with
    its field's default (evaluated once). Rows are tuples in the order of ``columns``."""

    CHUNK = 50_000

    def __init__(self, model, columns: list[str]):
        self.model = model
        fields = {f.column: f for f in model._meta.concrete_fields}
        unknown = set(columns) - set(fields)
        if unknown:
            raise ValueError(f"{model._meta.db_table} has no columns {sorted(unknown)}")
        self.columns = list(columns)
        extra = []
        for column, f in fields.items():
            if column in columns or f.null or f.primary_key:
                continue
            default = f.get_default()  # "" for text fields without a default
            if default is None:
                raise ValueError(f"{model._meta.db_table}.{column} needs a value")
            extra.append((column, default))
        self.tail = "".join("\t" + _text(v) for _, v in extra)
        self.all_columns = self.columns + [c for c, _ in extra]
        self.tail_values = tuple(_plain(v) for _, v in extra)
        self.postgres = connection.vendor == "postgresql"
        self.buffer = io.StringIO()
        self.rows: list[tuple] = []  # other databases (SQLite, tiny scale only): plain INSERTs
        self.pending = 0
        self.written = 0

    def add(self, row) -> None:
        if self.postgres:
            self.buffer.write("\t".join(map(_text, row)) + self.tail + "\n")
        else:
            self.rows.append(tuple(map(_plain, row)) + self.tail_values)
        self.pending += 1
        if self.pending >= self.CHUNK:
            self.flush()

    def extend(self, rows) -> None:
        for row in rows:
            self.add(row)

    def flush(self) -> None:
        if not self.pending:
            return
        self.buffer.seek(0)
        names = ", ".join(connection.ops.quote_name(c) for c in self.all_columns)
        table = connection.ops.quote_name(self.model._meta.db_table)
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN", self.buffer)
            else:
                marks = ", ".join(["%s"] * len(self.all_columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", self.rows)  # noqa: S608
        self.written += self.pending
        self.buffer = io.StringIO()
        self.rows = []
        self.pending = 0

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *args):
        if exc_type is None:
            self.flush()


def insert_instances(model, objs, *, batch_size: int = 2000) -> int:
    """Insert rows whose ids are not needed back: unsaved model instances, or any objects with the model's column
    attributes (``division_id``, ``period``, …; a named tuple, say). Every concrete column but the id is written."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    if connection.vendor != "postgresql":
        instances = [
            obj if isinstance(obj, model) else model(**{f.attname: getattr(obj, f.attname) for f in fields})
            for obj in objs
        ]
        model.objects.bulk_create(instances, batch_size=batch_size)
        return len(instances)
    with Copier(model, [f.column for f in fields]) as copier:
        for obj in objs:
            copier.add([getattr(obj, f.attname) for f in fields])
    return copier.written


class Replaced(NamedTuple):
    kept: int  # rows already there and equal: left alone
    deleted: int  # rows gone or changed: deleted
    written: int  # rows new or changed: inserted
    inserted: list = []  # the rows inserted (those given that were new or changed)
    vanished: list = []  # the rows deleted and not written again: {attribute: value} of their key and compared columns


def _jsonb_order(value):
    """The value with every object's keys in jsonb's order: shorter keys first, then bytewise."""
    if isinstance(value, dict):
        return {k: _jsonb_order(value[k]) for k in sorted(value, key=lambda k: (len(k.encode()), k.encode()))}
    if isinstance(value, list):
        return [_jsonb_order(v) for v in value]
    return value


def _stored_text(value) -> str:
    """A stored JSON value's text as the database gives it back (PostgreSQL: jsonb's canonical text)."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        return value
    return json.dumps(_jsonb_order(value), ensure_ascii=False)  # a driver that parsed it


def _same_json(stored: str, value) -> bool:
    """Whether a new JSON value is the stored one, comparing texts as jsonb spells them: types matter (1, 1.0
    and true are different figures), key order does not. The value's own text is tried first (a writer that
    builds its objects in jsonb's key order pays no reordering). Where two spellings of one value could still
    differ (a float's exponent, an escape, SQLite's text) the row is merely written again: equal texts always
    mean equal values."""
    if value == {} or value == []:
        return stored == ("{}" if isinstance(value, dict) else "[]")
    text = json.dumps(value, ensure_ascii=False)
    return text == stored or json.dumps(_jsonb_order(value), ensure_ascii=False) == stored


def _tuple_getter(names: list[str]):
    """A function giving a tuple of these attributes of an object (empty for no names)."""
    if not names:
        return lambda _obj: ()
    if len(names) == 1:
        get = operator.attrgetter(names[0])
        return lambda obj: (get(obj),)
    return operator.attrgetter(*names)


def replace_rows(queryset, rows, *, key: tuple[str, ...], compare: tuple[str, ...], keep=None) -> Replaced:
    """Make the set of rows ``queryset`` selects equal to ``rows``, writing only the difference.

    ``rows`` are objects with the model's column attributes (``division_id``, …; named tuples or unsaved
    instances), unique by the ``key`` attributes. The existing rows are read in one query (their key, the
    ``compare`` attributes and, if ``keep`` is given, whether they match that ``Q`` — a row that does not is
    rewritten even when equal, e.g. one computed under older rules); those gone from ``rows`` or different in a
    ``compare`` attribute are deleted in one statement, and the new and different rows are inserted with
    ``insert_instances``. A row equal to the new one keeps its id and every column not compared (``run_id``,
    say). Deletes are plain SQL: no model signals (the caller says what changed, if anyone needs to know).
    Run it inside the caller's transaction, with whatever lock keeps two writers of the set apart.
    """
    rows = list(rows)
    model = queryset.model
    meta = model._meta
    attname = {n: meta.get_field(n).attname for n in (*key, *compare)}
    keys = [attname[n] for n in key]
    json = [attname[n] for n in compare if isinstance(meta.get_field(n), models.JSONField)]
    plain = [attname[n] for n in compare if attname[n] not in json]
    qs = queryset.order_by()
    json_columns = json
    if connection.vendor == "postgresql" and json:
        # JSON columns come back as jsonb's own text (what ``_same_json`` compares), which the driver would
        # otherwise parse into objects only for them to be written out again.
        qs = qs.annotate(**{f"_{n}_text": Cast(n, models.TextField()) for n in json})
        json_columns = [f"_{n}_text" for n in json]
    columns = ["pk", *keys, *plain, *json_columns]
    if keep is not None:
        qs = qs.annotate(_keep=models.ExpressionWrapper(keep, output_field=models.BooleanField()))
        columns.append("_keep")
    sql, params = qs.values_list(*columns).query.sql_with_params()
    nk, np_ = len(keys), len(keys) + len(plain)
    nc = np_ + len(json)

    # Each row is compared as (its plain columns, as a tuple) and then its JSON columns' texts: one C-level
    # tuple comparison for most of a row, the JSON only when the rest is equal.
    existing: dict[tuple, tuple] = {}
    stale: list[int] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)  # raw rows: no model instances, no converters
        for found in cursor.fetchall():
            # A row that fails ``keep`` is rewritten even when equal: it is never "the same".
            kept = keep is None or bool(found[-1])
            texts = tuple(_stored_text(v) for v in found[1 + np_ : 1 + nc]) if kept else None
            existing[found[1 : 1 + nk]] = (found[0], found[1 + nk : 1 + np_], texts)
    new = []
    read_key, read_plain, read_json = _tuple_getter(keys), _tuple_getter(plain), _tuple_getter(json)
    for row in rows:
        old = existing.pop(read_key(row), None)
        if old is not None:
            if old[2] is not None and old[1] == read_plain(row) and all(map(_same_json, old[2], read_json(row))):
                continue
            stale.append(old[0])
        new.append(row)
    stale.extend(old[0] for old in existing.values())  # vanished
    delete_ids(model, stale)
    written = insert_instances(model, new) if new else 0
    vanished = [
        {**dict(zip(keys, key, strict=True)), **dict(zip(plain, old[1], strict=True))} for key, old in existing.items()
    ]
    return Replaced(kept=len(rows) - len(new), deleted=len(stale), written=written, inserted=new, vanished=vanished)


def delete_ids(model, ids, *, chunk: int = 10_000) -> None:
    """Delete rows by id in plain SQL (a statement per ``chunk`` ids): no collector, no signals."""
    if not ids:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), chunk):
            part = list(ids[start : start + chunk])
            if connection.vendor == "postgresql":
                cursor.execute(f"DELETE FROM {table} WHERE {pk} = ANY(%s)", [part])  # noqa: S608
            else:
                for small in range(0, len(part), 500):  # SQLite's limit on host parameters
                    marks = ", ".join(["%s"] * len(part[small : small + 500]))
                    cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({marks})", part[small : small + 500])  # noqa: S608


def upsert_changed(model, rows, *, columns: list[str], unique: list[str], batch_size: int = 1000) -> int:
    """Insert ``rows`` (tuples of plain values in the order of ``columns``, attribute names), or, where a row with
    the same ``unique`` columns exists, update its other columns, and only if one of them differs: one statement
    (``INSERT … ON CONFLICT … DO UPDATE … WHERE``) per ``batch_size`` rows. Returns the rows written.

    Like ``QuerySet.update()`` and ``bulk_create()``, it sends no signals and records no history: the caller calls
    ``villages.stats.data_changed`` and records what its app promises. ``columns`` must include every NOT NULL
    column without a database default (the model's defaults are Python's, not the table's). PostgreSQL and SQLite
    run the statement as written; other databases get ``bulk_create(update_conflicts=True)``.
    """
    rows = list(rows)
    if not rows:
        return 0
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    keys = [meta.get_field(name).column for name in unique]
    others = [f for f in fields if f.column not in keys]
    if connection.vendor not in ("postgresql", "sqlite"):
        objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model.objects.bulk_create(
            objs,
            batch_size=batch_size,
            update_conflicts=True,
            unique_fields=unique,
            update_fields=[f.name for f in others],
        )
        return len(objs)
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ", ".join(quote(f.column) for f in fields)
    if others:
        differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"  # both NULL-safe
        action = (
            "DO UPDATE SET "
            + ", ".join(f"{quote(f.column)} = excluded.{quote(f.column)}" for f in others)
            + " WHERE "
            + " OR ".join(f"{table}.{quote(f.column)} {differs} excluded.{quote(f.column)}" for f in others)
        )
    else:
        action = "DO NOTHING"
    row_marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {', '.join([row_marks] * len(batch))} "  # noqa: S608
                f"ON CONFLICT ({', '.join(quote(c) for c in keys)}) {action}",
                [value for row in batch for value in row],
            )
            written += cursor.rowcount
    return written
