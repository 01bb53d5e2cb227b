"""Reading the audit trail kept by django-simple-history: each change with who, when and old → new values."""

from django.utils.translation import gettext_lazy as _

from .validators import mask_id_number, mask_phone

ACTIONS = {"+": _("created"), "~": _("changed"), "-": _("deleted")}
_MASKERS = {"phone": mask_phone, "id_number": mask_id_number}
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


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
