from django import template
from django.utils.translation import gettext as _

register = template.Library()

STATUS_CLASSES = {
    "registered": "text-bg-warning",
    "handling": "text-bg-primary",
    "refused": "text-bg-secondary",
    "concluded": "text-bg-info",
    "delivered": "text-bg-success",
    "review": "text-bg-warning",
    "reviewed": "text-bg-info",
    "rereview": "text-bg-warning",
    "terminated": "text-bg-dark",
    "screened": "text-bg-warning",
    "mediating": "text-bg-primary",
    "resolved": "text-bg-success",
    "escalated": "text-bg-danger",
}
RISK_CLASSES = {"low": "text-bg-light border", "medium": "text-bg-warning", "high": "text-bg-danger"}


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "text-bg-light")


@register.filter
def risk_class(level: str) -> str:
    return RISK_CLASSES.get(level, "text-bg-light")


@register.filter
def percent(rate) -> str:
    """A rate stored as a fraction (0.9504), shown as 95.04%; no rate (nothing to count) as a dash."""
    if rate is None:
        return "—"
    return f"{rate * 100:.2f}%"


@register.filter
def days_word(days) -> str:
    if days is None:
        return ""
    if days < 0:
        return _("%(n)d days overdue") % {"n": -days}
    if days == 0:
        return _("due today")
    return _("%(n)d days left") % {"n": days}


@register.simple_tag
def due_in(due, today):
    return (due - today).days if due and today else None


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
