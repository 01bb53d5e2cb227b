"""Snapshots and star proposals: drop the division_id indexes that the unique (division, …) indexes already cover
(fewer indexes to update on every tally write), and protect the tally runs that still own current rows (a tally
leaves unchanged rows with the run that computed them).

Only the two indexes are dropped in the database: Django's own AlterField would also drop and re-create the
foreign-key constraints, re-checking every snapshot row under a table lock, for no change.
"""

import django.db.models.deletion
from django.db import migrations, models

_INDEXES = [
    ("villages_snapshot", "villages_snapshot_division_id_4a97a6b9"),
    ("villages_starproposal", "villages_starproposal_division_id_54f1ddb3"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("villages", "0009_merge_0008_idempotency_0008_tally_prefix_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="snapshot",
                    name="division",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="villages.division",
                        verbose_name="division",
                    ),
                ),
                migrations.AlterField(
                    model_name="starproposal",
                    name="division",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="villages.division",
                        verbose_name="village",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("division_id")',
                )
                for table, index in _INDEXES
            ],
        ),
        migrations.AlterField(
            model_name="snapshot",
            name="run",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="snapshots",
                to="villages.tallyrun",
                verbose_name="tally run",
            ),
        ),
        migrations.AlterField(
            model_name="starproposal",
            name="run",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="villages.tallyrun",
                verbose_name="tally run",
            ),
        ),
    ]
