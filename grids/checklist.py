"""The grids' rows of a county's checklist (the ``checklist_steps`` hook, villages/onboarding/selectors.py)."""

from django.utils.translation import gettext_lazy as _

from villages.onboarding.selectors import step

from .models import Grid, Household, PartyMember


def checklist_steps(*, county) -> list[dict]:
    prefix = county.prefix
    return [
        step(
            40,
            "grids",
            _("Grids"),
            Grid.objects.filter(village__code__startswith=prefix).count(),
            None,
            _("Grid ledger import"),
            county=county,
            import_kind="grids",
        ),
        step(
            45,
            "party_members",
            _("Party members who link households"),
            PartyMember.objects.filter(village__code__startswith=prefix).count(),
            None,
            _("Party member roster import"),
            county=county,
            import_kind="party_members",
        ),
        step(
            50,
            "households",
            _("Households"),
            Household.objects.filter(grid__village__code__startswith=prefix).count(),
            None,
            _("Household roll import"),
            county=county,
            import_kind="households",
        ),
    ]
