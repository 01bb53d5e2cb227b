"""The default service list (8 categories, 23 subcategories, 94 items) and care tags, from grids/catalogue.py."""

from django.db import migrations

from grids.catalogue import load_defaults


def forwards(apps, schema_editor):
    load_defaults(
        apps.get_model("grids", "ServiceCategory"),
        apps.get_model("grids", "ServiceSubcategory"),
        apps.get_model("grids", "ServiceItem"),
        apps.get_model("grids", "CareTag"),
    )


class Migration(migrations.Migration):
    dependencies = [("grids", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
