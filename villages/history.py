"""The audit trail kept by django-simple-history: reading it (each change with who, when and old → new values), and
recording the rows that conditional ``UPDATE``s wrote (``copy_to_history``)."""

import functools

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .validators import mask_birth_date, mask_id_number, mask_phone

ACTIONS = {"+": _("created"), "~": _("changed"), "-": _("deleted")}
_MASKERS = {"phone": mask_phone, "id_number": mask_id_number, "birth_date": mask_birth_date}
_SKIP = {"id", "history_id", "history_date", "history_change_reason", "history_type", "history_user"}


def history_entries(obj, *, full_personal_data: bool = False, limit: int = 200) -> list[dict]:
    """Newest first. Personal data in old/new values is masked unless the reader may see it."""
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    model = type(obj)
    entries = []
    for i, record in enumerate(records[:limit]):
        previous = records[i + 1] if i + 1 < len(records) else None
        changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            pairs = [(c.field, c.old, c.new) for c in delta.changes]
        elif record.history_type == "+":
            pairs = [
                (f.attname if f.is_relation else f.name, None, getattr(record, f.attname))
                for f in model._meta.concrete_fields
                if f.name not in _SKIP
            ]
        else:
            pairs = []
        for field, old, new in pairs:
            name = field[:-3] if field.endswith("_id") else field
            mask = _MASKERS.get(name) if not full_personal_data else None
            if mask:
                old, new = mask(old or ""), mask(new or "")
            try:
                label = str(model._meta.get_field(name).verbose_name)
            except Exception:
                label = name
            changes.append({"field": name, "label": label, "old": _plain(old), "new": _plain(new)})
        entries.append(
            {
                "date": record.history_date,
                "user": record.history_user.get_username() if record.history_user else None,
                "action": str(ACTIONS.get(record.history_type, record.history_type)),
                "changes": changes,
            }
        )
    return entries


_CREATION_NOISE = {"created_at", "created_by", "uploaded_at"}


def readable_history(obj, *, full_personal_data: bool = False, limit: int = 200) -> list[dict]:
    """The audit trail in words, for pages: choice codes as their labels, linked rows by name, yes/no, and the
    empty fields of a newly created record left out. The API keeps the raw values of ``history_entries``."""
    entries = history_entries(obj, full_personal_data=full_personal_data, limit=limit)
    meta = type(obj)._meta
    fields = {}
    for entry in entries:
        for change in entry["changes"]:
            try:
                fields[change["field"]] = meta.get_field(change["field"])
            except FieldDoesNotExist:  # a field the model no longer has keeps its raw value
                continue
    names = _names(fields, entries)
    for entry in entries:
        created = all(c["old"] is None for c in entry["changes"])
        readable = []
        for change in entry["changes"]:
            f = fields.get(change["field"])
            old, new = (_word(f, change[k], names) for k in ("old", "new"))
            # A new record's empty, zero and "no" values, and its own timestamp, say nothing the row does not.
            raw = change["new"]
            if created and (raw in (None, "", 0, False, "False") or change["field"] in _CREATION_NOISE):
                continue
            readable.append({**change, "old": old, "new": new})
        entry["changes"] = readable
    return entries


def _names(fields: dict, entries: list[dict]) -> dict:
    """{(model, pk): name} for the rows the changes point at, read in one query per model."""
    wanted: dict = {}
    for entry in entries:
        for change in entry["changes"]:
            f = fields.get(change["field"])
            if f is not None and f.is_relation and f.related_model is not None:
                for value in (change["old"], change["new"]):
                    if value not in (None, ""):
                        wanted.setdefault(f.related_model, set()).add(value)
    names = {}
    user_model = get_user_model()
    for model, ids in wanted.items():
        clean = {int(i) for i in ids if str(i).isdigit()}
        for pk, row in model._default_manager.in_bulk(clean).items():
            names[(model, pk)] = row.get_username() if model is user_model else str(row)
    return names


def _word(f, value, names):
    if value is None or f is None:
        return value
    if f.choices:
        return str(dict(f.flatchoices).get(value, value)) if value != "" else ""
    if isinstance(f, models.BooleanField):
        return gettext("Yes") if value in (True, "True") else gettext("No")
    if f.is_relation:
        try:
            return names.get((f.related_model, int(value)), value)
        except (TypeError, ValueError):
            return value
    return value


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


_HISTORY_OWN = ("history_date", "history_change_reason", "history_type", "history_user_id")


@functools.cache
def _copy_statement(model, vendor: str) -> str:
    """``INSERT … SELECT`` from the model's table into its history table: every column the history keeps, then
    the history's own (when, why, how, by whom) as parameters, for the rows whose id is the last parameter."""
    history = model.history.model
    quote = connection.ops.quote_name
    kept = [f for f in history._meta.concrete_fields if f.attname not in ("history_id", *_HISTORY_OWN)]
    source = model._meta
    targets = ", ".join(quote(f.column) for f in kept)
    values = ", ".join(quote(source.get_field(f.name).column) for f in kept)
    return (
        f"INSERT INTO {quote(history._meta.db_table)} ({targets}, {', '.join(quote(c) for c in _HISTORY_OWN)}) "  # noqa: S608
        f"SELECT {values}, %s, %s, %s, %s FROM {quote(source.db_table)} WHERE {quote(source.pk.column)} = %s"
    )


def copy_to_history(model, pk, *, user, reason: str = "", history_type: str = "~") -> None:
    """Record the row as stored now in the model's history (django-simple-history's table), in one statement
    that the database copies itself: for writes made with a conditional ``UPDATE``, which bypasses the model's
    ``save`` and so its history signal. The same row ``bulk_history_create`` would write, without building it."""
    when = connection.ops.adapt_datetimefield_value(timezone.now())
    user_id = getattr(user, "pk", user)
    with connection.cursor() as cursor:
        cursor.execute(_copy_statement(model, connection.vendor), [when, reason, history_type, user_id, pk])


def audited_save(instance, *, actor, update_fields=None, reason: str = ""):
    """The services' save: validated, with who (and why) for the history. A save of a stored record that changes
    nothing writes nothing, so the history holds no empty entry (an edit form posted as it was shown, a service
    called again with the same values): the stored row is read once and compared field by field."""
    instance._history_user = actor
    if reason:
        instance._change_reason = reason
    instance.full_clean()
    if not instance._state.adding and instance.pk is not None and not _differs_from_stored(instance, update_fields):
        return instance
    instance.save(update_fields=update_fields)
    return instance


def _differs_from_stored(instance, update_fields=None) -> bool:
    """Whether a field to be saved holds another value than the stored row (True if there is none). Fields set on
    every save (``auto_now``) do not count: they change when something else does."""
    model = type(instance)
    wanted = set(update_fields) if update_fields is not None else None
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key
        and not getattr(f, "auto_now", False)
        and (wanted is None or f.name in wanted or f.attname in wanted)
    ]
    if not fields:
        return False
    stored = model._base_manager.filter(pk=instance.pk).values_list(*(f.attname for f in fields)).first()
    if stored is None:
        return True
    return any(getattr(instance, f.attname) != value for f, value in zip(fields, stored, strict=True))
