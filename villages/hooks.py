"""The hooks other apps declare on their AppConfig, so the base app imports none of them.

A hook is a dotted path or a list of them (an app with several areas contributes several): ``demo_loader``,
``dashboard_panels``, ``portrait_sections``, ``adjustment_bases``, ``checklist_steps``.
"""

from collections.abc import Callable, Iterator

from django.apps import apps
from django.utils.module_loading import import_string


def hook_paths(config, name: str) -> list[str]:
    value = getattr(config, name, None) or []
    return [value] if isinstance(value, str) else list(value)


def app_hooks(name: str) -> Iterator[tuple[object, str, Callable]]:
    """(app config, dotted path, function) for every app declaring the hook, in app order."""
    for config in apps.get_app_configs():
        for path in hook_paths(config, name):
            yield config, path, import_string(path)
