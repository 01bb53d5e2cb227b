from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Look-back reviews")
    demo_loader = "reviews.demo.load"
    # Tabs on a division's page (villages.sections): the review board (a village's own is one row, the way its
    # secretary reaches the self-assessment) and the gaps between levels.
    division_sections = [
        ("reviews:board", _("Look-back review"), {"county", "township", "village"}),
        ("reviews:gaps", _("Self vs township vs county"), {"county", "township"}),
    ]
    # Dashboard panels and portrait sections (villages.dashboard); other areas of the app append their own.
    dashboard_panels = ["reviews.dashboard.panels"]
    portrait_sections = ["reviews.dashboard.portrait_sections"]
