from django import template

from villages.sections import sections_open_to

register = template.Library()


@register.filter
def open_to(sections, user):
    """A division's tabs the user may open (villages.sections)."""
    return sections_open_to(user, sections)
