"""ID numbers and phones encrypted at rest, step 1: the columns (see 0006 for the rows, 0007 for the keys).

The clear columns become text for Fernet tokens (common.crypto.EncryptedTextField); the blind indexes and
the parts the search and the mask need get columns of their own, empty until 0006 fills them. The
Right(...) expression indexes on the clear values go: 0007 indexes the stored parts instead.
"""

from django.db import migrations, models

import common.crypto


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0001_initial"),
        ("residents", "0004_exportrecord_kind"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="resident", name="resident_id_number_shape"),
        migrations.RemoveIndex(model_name="resident", name="resident_id_last4"),
        migrations.RemoveIndex(model_name="resident", name="resident_phone_last4"),
        migrations.AlterField(
            model_name="resident",
            name="id_number",
            field=common.crypto.EncryptedTextField(max_length=18, verbose_name="身份证号"),
        ),
        migrations.AlterField(
            model_name="resident",
            name="phone",
            field=common.crypto.EncryptedTextField(blank=True, max_length=20, verbose_name="联系电话"),
        ),
        migrations.AddField(
            model_name="resident",
            name="id_number_index",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="resident",
            name="id_region",
            field=models.CharField(default="", editable=False, max_length=6),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="resident",
            name="id_last4",
            field=models.CharField(default="", editable=False, max_length=4),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="resident",
            name="phone_index",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="resident",
            name="phone_prefix",
            field=models.CharField(blank=True, editable=False, max_length=3),
        ),
        migrations.AddField(
            model_name="resident",
            name="phone_last4",
            field=models.CharField(blank=True, editable=False, max_length=4),
        ),
    ]
