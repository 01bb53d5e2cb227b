from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class VillagesConfig(AppConfig):
    name = "villages"
    verbose_name = _("Villages")
    # Work that spans apps (the demo data) finds each app's part through this dotted path, in app order.
    demo_loader = "villages.demo.load"
    division_sections = [
        ("villages:stars", _("Five-star branches"), {"county", "township", "village"}),
        ("villages:work_overview", _("Village work"), {"county", "township", "village"}),
        ("villages:watch", _("Watch list"), {"county", "township"}),
        ("villages:adjustments", _("Cadre adjustments"), {"county", "township"}),
    ]
    portrait_sections = "villages.work.portrait.sections"
    dashboard_panels = ["villages.star_panels.panels", "villages.work.portrait.panels"]
    todo_items = ["villages.star_todo.items", "villages.work.todo.items"]
    importers = ["villages.imports.ledgers.DivisionImporter", "villages.imports.ledgers.CadreImporter"]

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_init, post_save

        from . import recompute
        from .scopes import scopes_changed
        from .sessions import password_saved, remember_password, session_deleted, stamp_session
        from .stats import note_change

        # Pages that read live tables cache under the live version (villages.stats): every write moves it.
        post_save.connect(note_change, dispatch_uid="villages.live_version.save")
        post_delete.connect(note_change, dispatch_uid="villages.live_version.delete")
        # A write to a model some metric reads asks for its county's recompute (villages.recompute).
        recompute.connect()
        # Users' scopes are cached between requests (villages.scopes): a change to one, or to its division, drops them.
        for model in ("UserScope", "Division"):
            post_save.connect(scopes_changed, sender=f"villages.{model}", dispatch_uid=f"villages.scopes.save.{model}")
            post_delete.connect(
                scopes_changed, sender=f"villages.{model}", dispatch_uid=f"villages.scopes.delete.{model}"
            )
        # A new password, by any path, revokes the user's API tokens (villages.sessions).
        post_init.connect(remember_password, sender=settings.AUTH_USER_MODEL, dispatch_uid="villages.password.init")
        post_save.connect(password_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="villages.password.save")
        # A new session starts checked at its user's authentication version (villages.sessions).
        user_logged_in.connect(stamp_session, dispatch_uid="villages.sessions.login")
        post_delete.connect(session_deleted, sender="sessions.Session", dispatch_uid="villages.sessions.delete")
