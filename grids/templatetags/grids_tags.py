from django import template
from django.utils.translation import gettext as _

register = template.Library()

STATUS_CLASSES = {
    "reported": "text-bg-secondary",
    "accepted": "text-bg-info",
    "dispatched": "text-bg-primary",
    "handled": "text-bg-warning",
    "verified": "text-bg-light border",
    "closed": "text-bg-success",
    "rated": "text-bg-dark",
}
SUPERVISION_CLASSES = {"ordinary": "text-bg-secondary", "yellow": "text-bg-warning", "red": "text-bg-danger"}


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "text-bg-secondary")


@register.filter
def supervision_class(level: str) -> str:
    return SUPERVISION_CLASSES.get(level, "text-bg-secondary")


@register.filter
def rate(numerator, denominator) -> str:
    """A rate as its numerator, denominator and percentage, never a bare percentage."""
    if not denominator:
        return _("— (no households)")
    return f"{numerator}/{denominator}（{100 * numerator / denominator:.1f}%）"


@register.filter
def get_item(mapping, key):
    return mapping.get(key, 0) if mapping else 0
