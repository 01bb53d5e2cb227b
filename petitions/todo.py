"""The petitions' part of the to-do lists (villages.todo): the cases whose next step is the user's
(``selectors.awaiting_q``, and the return visits a petition office may make), each kept only when the services'
own guards open a step to the user (``services.steps_open_to``), by its legal clock: acceptance due within 3 days
and handling or a review's answer within 7 count as due soon, past the deadline as overdue."""

import datetime

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy

from villages.scopes import roles_for, scope_q
from villages.todo import TodoItem, role_name

from .choices import PETITION_READER_ROLES, REGISTRAR_ROLES, Status
from .models import Petition
from .selectors import awaiting_q
from .services import steps_open_to

# The step a case waits for, most pressing first, with its title, the deadline it runs against and how many days
# before it the case is due soon. The intake is one step, taken as accepting, assigning or refusing.
STEPS = [
    ("accept", gettext_lazy("Accept, assign or refuse the petition: %(subject)s"), "acceptance_due", 3),
    ("conclude", gettext_lazy("Conclude the petition: %(subject)s"), "handling_due", 7),
    ("deliver", gettext_lazy("Deliver the written decision: %(subject)s"), "handling_due", 7),
    ("review_answer", gettext_lazy("Answer the review request: %(subject)s"), "review_due", 7),
    ("rereview_answer", gettext_lazy("Answer the re-review request: %(subject)s"), "rereview_due", 7),
    ("return_visit", gettext_lazy("Return visit to the petitioner: %(subject)s"), None, 7),
    ("supervise", gettext_lazy("Overdue petition to supervise: %(subject)s"), "due_on", 7),
]


def items(user, *, today: datetime.date) -> list[TodoItem]:
    return_visits = (
        scope_q(user, "division__code", REGISTRAR_ROLES)
        & Q(delivered_on__isnull=False, return_visited_on__isnull=True)
        & ~Q(status=Status.TERMINATED)
    )
    petitions = (
        Petition.objects.visible_to(user)
        .filter(awaiting_q(user, today) | return_visits)
        .select_related("division", "responsible_unit")
        .order_by("due_on", "pk")[:300]
    )
    result = []
    for p in petitions:
        open_steps = set(steps_open_to(user, p))
        step = next((s for s in STEPS if s[0] in open_steps), None)
        if step is None:
            continue
        action, title, due_field, soon = step
        held = roles_for(user, p.division.code)
        if p.responsible_unit is not None:
            held |= roles_for(user, p.responsible_unit.code)
        result.append(
            TodoItem(
                kind=f"petitions.{action}",
                title=str(title) % {"subject": f"{p.subject}（{p.number}）"},
                division=p.division.name,
                url=reverse("petitions:case", kwargs={"pk": p.pk}),
                actor=role_name(min(held & PETITION_READER_ROLES) if held & PETITION_READER_ROLES else min(held)),
                due=getattr(p, due_field) if due_field else None,
                soon_days=soon,
                key=f"petition-{p.pk}",
            )
        )
    return result
