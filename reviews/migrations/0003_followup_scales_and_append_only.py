"""The two evaluation scales the counties use, and the database's own refusal to change or delete record-book
entries and publications (append-only on every path, raw SQL and bulk updates included). PostgreSQL only: on
SQLite (the embedded default) the models and querysets refuse, and a trigger there would also stop the test
database's flush, which deletes row by row."""

from django.db import migrations

SCALES = [
    ("称职评议", ["称职", "基本称职", "不称职"], "不称职"),
    ("满意度测评", ["满意", "基本满意", "不满意"], "不满意"),
]
TABLES = ["reviews_recordentry", "reviews_recordbookpublication"]


def add_scales(apps, schema_editor):
    Scale = apps.get_model("reviews", "EvaluationScale")
    for name, options, failing in SCALES:
        Scale.objects.get_or_create(name=name, defaults={"options": options, "failing": failing})


def triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(
                f"""
                CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
                BEGIN RAISE EXCEPTION '{table} is append-only'; END; $$ LANGUAGE plpgsql;
                CREATE TRIGGER {table}_no_update BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
                """
            )


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update ON {table};")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_append_only();")


class Migration(migrations.Migration):
    dependencies = [("reviews", "0002_followup")]

    operations = [
        migrations.RunPython(add_scales, migrations.RunPython.noop),
        migrations.RunPython(triggers, drop_triggers),
    ]
