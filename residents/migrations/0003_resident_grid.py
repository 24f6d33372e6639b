"""Each resident keeps its household's grid, so scoped reads of residents need no join to households.

The existing residents take their household's grid. On PostgreSQL a foreign key from each resident's
(household, grid) to the household's (id, grid) makes a resident whose grid differs from its household's
impossible; it is checked at commit, so a household and its members may change grid in one transaction
(residents.services.household_update).
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

SAME_GRID = "resident_grid_is_household_grid"


def backfill(apps, schema_editor):
    Household = apps.get_model("residents", "Household")
    Resident = apps.get_model("residents", "Resident")
    if schema_editor.connection.vendor == "postgresql":
        # Check the new keys now, not at commit: the table is altered next in this transaction.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(
            "UPDATE residents_resident AS r SET grid_id = h.grid_id "
            "FROM residents_household AS h WHERE h.id = r.household_id"
        )
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        grid = Household.objects.filter(pk=OuterRef("household_id")).values("grid_id")[:1]
        Resident.objects.update(grid_id=Subquery(grid))


def add_same_grid_key(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE residents_resident ADD CONSTRAINT {SAME_GRID} "
            "FOREIGN KEY (household_id, grid_id) REFERENCES residents_household (id, grid_id) "
            "DEFERRABLE INITIALLY DEFERRED"
        )


def drop_same_grid_key(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE residents_resident DROP CONSTRAINT IF EXISTS {SAME_GRID}")


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0001_initial"),
        ("residents", "0002_name_search_index"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="household", name="household_grid_id"),
        migrations.AddConstraint(
            model_name="household",
            constraint=models.UniqueConstraint(fields=("grid", "id"), name="household_grid_id"),
        ),
        migrations.AddField(
            model_name="resident",
            name="grid",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="residents",
                to="grids.grid",
                verbose_name="网格",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="resident",
            name="grid",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="residents",
                to="grids.grid",
                verbose_name="网格",
            ),
        ),
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["grid", "id"], name="resident_grid_id"),
        ),
        migrations.RunPython(add_same_grid_key, drop_same_grid_key),
    ]
