from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Grids")
    division_sections = [
        ("grids:board", _("Grids"), {"county", "township", "village"}),
        ("grids:map", _("Grid map"), {"township", "village"}),
        ("grids:request_list", _("Service requests"), {"county", "township", "village"}),
    ]
    demo_loader = "grids.demo.load"
    # Dashboard panels and portrait sections (villages.dashboard).
    dashboard_panels = ["grids.dashboard.panels"]
    portrait_sections = ["grids.dashboard.portrait_sections"]
    # Rows of a county's checklist (villages.onboarding.selectors.checklist).
    checklist_steps = "grids.checklist.checklist_steps"
    importers = ["grids.imports.GridImporter", "grids.imports.PartyMemberImporter", "grids.imports.HouseholdImporter"]
    todo_items = ["grids.todo.items"]
    nav_entries = [
        {
            "url": "grids:my_requests",
            "label": _("My open requests"),
            "icon": "list-check",
            "roles": "grids.choices.ERRAND_ROLES",
        }
    ]
