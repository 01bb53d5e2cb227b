from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The role sets the pages check (grid workers and petition officers have no business with evaluations).
READERS = "reviews.choices.READER_ROLES"
FOLLOWUP = "reviews.followup.choices.FOLLOWUP_READERS"


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Look-back reviews")
    demo_loader = ["reviews.demo.load", "reviews.followup.demo.load"]
    # Rows of a county's checklist (villages.onboarding.selectors.checklist).
    checklist_steps = "reviews.checklist.checklist_steps"
    # Tabs on a division's page (villages.sections): the review board (a village's own is one row, the way its
    # secretary reaches the self-assessment) and the gaps between levels.
    division_sections = [
        ("reviews:board", _("Look-back review"), {"county", "township", "village"}, READERS),
        ("reviews:gaps", _("Self vs township vs county"), {"county", "township"}, READERS),
        ("followup:overview", _("Rectification"), {"county", "township", "village"}, FOLLOWUP),
        ("followup:evaluations", _("Evaluations"), {"county", "township", "village"}, FOLLOWUP),
        ("followup:talks", _("Talks"), {"county", "township", "village"}, FOLLOWUP),
        ("followup:books", _("Record books"), {"village"}, FOLLOWUP),
    ]
    # Dashboard panels and portrait sections (villages.dashboard): the reviews' own, then the follow-up's.
    dashboard_panels = ["reviews.dashboard.panels", "reviews.followup.portrait.panels"]
    portrait_sections = ["reviews.dashboard.portrait_sections", "reviews.followup.portrait.sections"]
    todo_items = ["reviews.todo.items", "reviews.followup.todo.items"]
    # What an adjustment acted on, for the committee history (villages.sections.with_adjustment_bases).
    adjustment_bases = "reviews.followup.portrait.adjustment_bases"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .models import Check, Element, Item, VetoRule
        from .rules import bump_revision

        # A change to a template's parts moves its revision, which keys its cached rules (reviews.rules).
        for model in (Check, Element, Item, VetoRule):
            post_save.connect(bump_revision, sender=model, dispatch_uid=f"reviews.rules.save.{model.__name__}")
            post_delete.connect(bump_revision, sender=model, dispatch_uid=f"reviews.rules.delete.{model.__name__}")
