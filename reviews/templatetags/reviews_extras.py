from decimal import Decimal

from django import template

from reviews.choices import Grade, LevelStatus

register = template.Library()

GRADE_CLASSES = {
    Grade.GOOD: "text-bg-success",
    Grade.FAIRLY_GOOD: "text-bg-primary",
    Grade.AVERAGE: "text-bg-warning",
    Grade.POOR: "text-bg-danger",
}
STATUS_CLASSES = {
    LevelStatus.DRAFT: "text-bg-light border",
    LevelStatus.SUBMITTED: "text-bg-success",
    LevelStatus.RETURNED: "text-bg-danger",
}


@register.filter
def grade_class(grade) -> str:
    return GRADE_CLASSES.get(grade, "text-bg-secondary")


@register.filter
def status_class(status) -> str:
    return STATUS_CLASSES.get(status, "text-bg-secondary")


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def points(value) -> str:
    """10.0 → 10, 7.5 → 7.5, None → —."""
    if value is None or value == "":
        return "—"
    value = Decimal(value)
    return (
        format(value.normalize(), "f")
        if value == value.to_integral()
        else str(value.quantize(Decimal("0.01")).normalize())
    )


@register.filter
def signed(value) -> str:
    if value is None:
        return "—"
    text = points(value)
    return f"+{text}" if Decimal(value) > 0 else text
