"""How a person is named on a page: `{{ level.updated_by|person|default:"—" }}`.

Who did something is often unknown: rows imported from a ledger or loaded by the demo, and system actions, have
no user. A `first_name|default:user.username` chain breaks there, because a filter's argument that cannot be looked up
raises instead of rendering empty; this filter gives "" for nobody, so the template's own default shows.
"""

from django import template

from villages.people import display_name

register = template.Library()
register.filter("person", display_name)
