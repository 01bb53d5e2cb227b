"""Every showing of full personal data (ID numbers, phones, birth dates) is logged: who, when, which records, where."""

from .models import PersonalDataAccess

# The fields shown in full only to the roles of ``scopes.PERSONAL_DATA_ROLES``; masked for everyone else.
PERSONAL_FIELDS = ("phone", "id_number", "birth_date")


def log_full_access(*, user, records, context: str, request=None) -> None:
    """Record that ``user`` was shown the full personal data of ``records`` (one row for the whole view)."""
    ids = [r.pk for r in records if any(getattr(r, field, None) for field in PERSONAL_FIELDS)]
    if not ids:
        return
    PersonalDataAccess.objects.create(
        user=user,
        model=records[0]._meta.label,
        object_ids=ids,
        context=context,
        path=request.get_full_path()[:300] if request is not None else "",
    )
