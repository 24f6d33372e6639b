"""ID numbers and phones encrypted at rest, step 3: uniqueness by blind index, and the search's indexes.

The ID number is unique through its blind index; the last four ID digits, the phone's last four and its
blind index are indexed in place of the Right(...) expressions on the clear values. In a migration of its
own: on PostgreSQL the rows 0006 updated are committed before the table is altered.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("residents", "0006_encrypt_identity")]

    operations = [
        migrations.AlterField(
            model_name="resident",
            name="id_number_index",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["id_last4"], name="resident_id_last4"),
        ),
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["phone_last4"], name="resident_phone_last4"),
        ),
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["phone_index"], name="resident_phone_index"),
        ),
        migrations.AddConstraint(
            model_name="resident",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("id_last4__regex", "^[0-9]{3}[0-9X]$"),
                    ("id_number_index__regex", "^[0-9a-f]{64}$"),
                    ("id_region__regex", "^[0-9]{6}$"),
                ),
                name="resident_id_number_parts",
            ),
        ),
    ]
