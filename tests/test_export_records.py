"""Export records say what was exported; the migration moves the old "ledger" key into that field."""

import importlib

import pytest
from django.apps import apps

from residents.models import ExportRecord
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("residents.migrations.0004_exportrecord_kind")


def _record(user, filters: dict) -> ExportRecord:
    # As the migration finds them: the field at its default, the kind (if any) inside the filters.
    return ExportRecord.objects.create(user=user, kind="residents", filters=filters, row_count=1)


def test_migration_moves_the_ledger_key_into_kind():
    user = UserFactory()
    residents = _record(user, {"q": "王", "grid": "G0101"})
    visits = _record(user, {"ledger": "visits", "kind": "condolence"})
    cases = _record(user, {"ledger": "cases", "status": "open"})

    migration.move_key_to_kind(apps, None)

    assert [(r.pk, r.kind, r.filters) for r in ExportRecord.objects.order_by("pk")] == [
        (residents.pk, ExportRecord.Kind.RESIDENTS, {"q": "王", "grid": "G0101"}),
        (visits.pk, ExportRecord.Kind.VISITS, {"kind": "condolence"}),
        (cases.pk, ExportRecord.Kind.CASES, {"status": "open"}),
    ]


def test_migration_backwards_puts_the_ledger_key_back():
    user = UserFactory()
    ExportRecord.objects.create(user=user, kind="residents", filters={"q": ""}, row_count=1)
    ExportRecord.objects.create(user=user, kind="visits", filters={"kind": "condolence"}, row_count=1)

    migration.move_kind_to_key(apps, None)

    assert list(ExportRecord.objects.order_by("pk").values_list("filters", flat=True)) == [
        {"q": ""},
        {"ledger": "visits", "kind": "condolence"},
    ]
