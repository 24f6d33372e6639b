"""Each export record says what was exported, in its own field.

The visit and case exports used to say so with a "ledger" key inside the record's filters; the resident
ledger export, the first, wrote none. Existing records take the key's value, or "residents" without one.
"""

from django.db import migrations, models

KEY = "ledger"


def move_key_to_kind(apps, schema_editor):
    ExportRecord = apps.get_model("residents", "ExportRecord")
    records = list(ExportRecord.objects.filter(filters__has_key=KEY).only("filters"))
    for record in records:
        record.kind = record.filters.pop(KEY)
    ExportRecord.objects.bulk_update(records, ["kind", "filters"], batch_size=1000)


def move_kind_to_key(apps, schema_editor):
    ExportRecord = apps.get_model("residents", "ExportRecord")
    records = list(ExportRecord.objects.exclude(kind="residents").only("kind", "filters"))
    for record in records:
        record.filters = {KEY: record.kind, **record.filters}
    ExportRecord.objects.bulk_update(records, ["filters"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0003_resident_grid"),
    ]

    operations = [
        migrations.AddField(
            model_name="exportrecord",
            name="kind",
            field=models.CharField(
                choices=[("residents", "居民台账"), ("visits", "走访记录"), ("cases", "诉求工单")],
                default="residents",
                max_length=16,
                verbose_name="导出内容",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(move_key_to_kind, move_kind_to_key),
    ]
