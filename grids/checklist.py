"""The grids' rows of a county's checklist (the ``checklist_steps`` hook, villages/onboarding/selectors.py)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from villages.onboarding.selectors import step

from .models import Grid, Household


def checklist_steps(*, county) -> list[dict]:
    board = reverse("grids:board", kwargs={"code": county.code})
    return [
        step(
            40,
            "grids",
            _("Grids"),
            Grid.objects.filter(village__code__startswith=county.prefix).count(),
            board,
            _("Grid board (grids are added in each village)"),
        ),
        step(
            50,
            "households",
            _("Households"),
            Household.objects.filter(grid__village__code__startswith=county.prefix).count(),
            board,
            _("Grid board (households are imported per township or village)"),
        ),
    ]
