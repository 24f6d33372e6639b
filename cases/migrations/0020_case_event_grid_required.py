# The grid of every timeline line is required once 0019 has filled it, in a transaction of its own:
# PostgreSQL refuses to alter a table with the foreign key checks of that update still pending.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0019_case_event_grid'),
    ]

    operations = [
        migrations.AlterField(
            model_name='caseevent',
            name='grid',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='grids.grid', verbose_name='网格'),
        ),
        migrations.AddIndex(
            model_name='caseevent',
            index=models.Index(fields=['grid', 'action', 'at'], name='case_event_grid_action'),
        ),
    ]
