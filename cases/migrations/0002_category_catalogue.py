"""The starting 事项清单, kept in cases/catalogue.py so the demo and the tests seed the same one."""

from django.db import migrations

from cases import catalogue


def seed(apps, schema_editor):
    catalogue.seed(apps)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
