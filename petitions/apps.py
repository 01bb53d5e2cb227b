from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "petitions"
    verbose_name = _("Petitions and disputes")
    division_sections = [
        ("petitions:board", _("Petitions"), {"county", "township"}),
        ("petitions:disputes", _("Disputes"), {"county", "township", "village"}),
    ]
    demo_loader = "petitions.demo.load"
    # Dashboard panels and portrait sections (villages.dashboard).
    dashboard_panels = ["petitions.dashboard.panels"]
    portrait_sections = ["petitions.dashboard.portrait_sections"]
    todo_items = ["petitions.todo.items"]
    nav_entries = [
        {
            "url": "petitions:index",
            "label": _("Petitions"),
            "icon": "envelope-paper",
            "roles": "petitions.choices.PETITION_READER_ROLES",
            "levels": {"county", "township"},
            "lead_for": {"petition_officer"},
        }
    ]
