"""The filtered resident list as a ledger: recorded, with ID numbers and phones masked unless allowed.

A masked ledger has the age where a full one has the birth date (residents.disclosure.identity)."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from common.xlsx import ExportSheet, labels

from .. import disclosure, permissions, services
from ..models import ExportRecord, Resident
from ..selectors import ResidentFilters, search_residents
from .columns import EXPORT_COLUMNS, MASKED_EXPORT_COLUMNS, SHEET_NAME, column_width

MAX_EXPORT_ROWS = 50_000


class LedgerTooLarge(Exception):
    """An export would exceed MAX_EXPORT_ROWS; the user has to narrow the filter."""

    def __init__(self, row_count: int):
        super().__init__(row_count)
        self.row_count = row_count


@dataclass(frozen=True)
class LedgerExport:
    content: bytes
    row_count: int
    unmasked: bool


def ledger_export(*, user, filters: ResidentFilters, unmasked: bool) -> LedgerExport:
    """The filtered resident list as a ledger, recorded; ID numbers and phones masked unless allowed."""
    if unmasked and not permissions.can_export_unmasked(user):
        raise PermissionDenied
    residents = search_residents(user, filters)
    row_count = residents.count()
    if row_count > MAX_EXPORT_ROWS:
        raise LedgerTooLarge(row_count)

    sexes, relations = labels(Resident.Sex), labels(Resident.Relation)
    political, residence = labels(Resident.PoliticalStatus), labels(Resident.ResidenceType)
    statuses = labels(Resident.Status)
    columns = EXPORT_COLUMNS if unmasked else MASKED_EXPORT_COLUMNS
    sheet = ExportSheet(SHEET_NAME, columns, tuple(column_width(c) for c in columns))
    for resident in residents.iterator(chunk_size=2000):
        household = resident.household
        dwelling = household.dwelling
        shown = disclosure.identity(resident, full=unmasked)
        sheet.append(
            (
                household.grid.code,
                sheet.text(dwelling.building.address),
                sheet.text(dwelling.unit),
                sheet.text(dwelling.room),
                str(household.pk),
                sheet.text(resident.name),
                shown.id_number,
                sexes.get(resident.sex, resident.sex),
                sheet.formatted(shown.birth_date, "yyyy-mm-dd") if unmasked else shown.age,
                shown.phone,
                relations.get(resident.relation_to_head, resident.relation_to_head),
                political.get(resident.political_status, resident.political_status),
                residence.get(resident.residence_type, resident.residence_type),
                statuses.get(resident.status, resident.status),
            )
        )
    content = sheet.content()
    services.export_record(
        user=user,
        kind=ExportRecord.Kind.RESIDENTS,
        filters=filters.as_dict(),
        row_count=sheet.rows,
        unmasked=unmasked,
    )
    return LedgerExport(content=content, row_count=sheet.rows, unmasked=unmasked)
