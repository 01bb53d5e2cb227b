"""The audit trail of a case or dispute, in words: choice codes as their labels, linked rows by name, and the
empty fields of a newly created record left out. Built on villages.history (which keeps the masking)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _

from villages.history import history_entries
from villages.models import Division

_CREATION_NOISE = {"created_at", "created_by", "uploaded_at"}


def readable_history(obj, *, full_personal_data: bool) -> list[dict]:
    entries = history_entries(obj, full_personal_data=full_personal_data)
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
            if f is not None and f.is_relation and f.related_model in (Division, get_user_model()):
                for value in (change["old"], change["new"]):
                    if value not in (None, ""):
                        wanted.setdefault(f.related_model, set()).add(value)
    names = {}
    for model, ids in wanted.items():
        for pk, name in model.objects.filter(pk__in=ids).values_list("pk", "name" if model is Division else "username"):
            names[(model, pk)] = name
    return names


def _word(f, value, names):
    if value is None or f is None:
        return value
    if f.choices:
        return str(dict(f.flatchoices).get(value, value)) if value != "" else ""
    if isinstance(f, models.BooleanField):
        return _("Yes") if value in (True, "True") else _("No")
    if f.is_relation:
        try:
            return names.get((f.related_model, int(value)), value)
        except (TypeError, ValueError):
            return value
    return value
