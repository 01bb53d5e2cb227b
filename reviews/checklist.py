"""The reviews' row of a county's checklist (the ``checklist_steps`` hook, villages/onboarding/selectors.py)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from villages.onboarding.selectors import step

from .models import Campaign


def checklist_steps(*, county) -> list[dict]:
    return [
        step(
            70,
            "campaigns",
            _("Look-back review campaigns"),
            Campaign.objects.filter(division=county).count(),
            reverse("reviews:campaign_create", kwargs={"code": county.code}),
            _("New campaign"),
        )
    ]
