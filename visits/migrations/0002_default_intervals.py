"""The visit intervals of DOMAIN.md (走访频次) as the starting configuration; staff may change them."""

from django.db import migrations

DEFAULTS = {
    "elderly_living_alone": 7,
    "very_old": 7,
    "empty_nest_elderly": 14,
    "bereaved_parents": 14,
    "disabled_severe": 14,
    "disabled": 30,
    "minimum_allowance": 30,
    "extreme_poverty_support": 30,
    "party_member_in_hardship": 30,
}


def add_defaults(apps, schema_editor):
    VisitInterval = apps.get_model("visits", "VisitInterval")
    for rule, days in DEFAULTS.items():
        VisitInterval.objects.get_or_create(rule=rule, defaults={"days": days})


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
