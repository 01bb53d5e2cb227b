"""How a panel's table shows a cell: numbers formatted for their kind (``villages.dashboard.number``)."""

import decimal

from django import template

from villages.dashboard import number

register = template.Library()


@register.filter
def cell(value):
    """Whole numbers with thousands separators, other numbers with one decimal (a panel gives yuan as whole
    numbers already), None as "—"; text (names, "72.0%", "3 / 5") as it is."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
        return value
    if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
        value = int(value)
    return number(value)
