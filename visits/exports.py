"""The visits list's filters and its Excel export (走访记录台账).

The sheet's column names and choice labels are the file format shared with every user, so they stay in
Chinese whatever the interface language. The export holds names only: no ID numbers, no phones.
"""

from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import translation

from common.xlsx import ExportSheet, labels
from residents import services as resident_services
from residents.ledger.export import MAX_EXPORT_ROWS
from residents.models import ExportRecord, Resident

from .models import Visit
from .selectors import VisitFilters, filtered_visits

SHEET_NAME = "走访记录"
COLUMNS = (
    "走访时间",
    "网格",
    "地址",
    "走访类型",
    "走访结果",
    "走访人员",
    "见到的居民",
    "居民状况",
    "走访情况",
    "发现的诉求",
    "慰问品",
    "记录人",
)
_WIDTHS = (17, 14, 26, 10, 10, 18, 18, 10, 40, 30, 24, 10)
_LIST_SEPARATOR = "、"


class VisitExportTooLarge(Exception):
    """An export would exceed MAX_EXPORT_ROWS; the user has to narrow the filter."""

    def __init__(self, row_count: int):
        super().__init__(row_count)
        self.row_count = row_count


@dataclass(frozen=True)
class VisitExport:
    content: bytes
    row_count: int


def _person(user) -> str:
    return user.first_name or user.get_username()


def _gift_text(visit: Visit) -> str:
    return _LIST_SEPARATOR.join(
        f"{gift.item} × {gift.quantity}（{gift.value}元）"
        for gift in sorted(visit.gifts.all(), key=lambda g: g.pk)
    )


def _row(
    sheet: ExportSheet,
    visit: Visit,
    kinds: dict[str, str],
    conditions: dict[str, str],
    outcomes: dict[str, str],
) -> tuple:
    household = visit.household
    return (
        sheet.local_time(visit.visited_at),
        sheet.text(household.grid.name),
        sheet.text(household.dwelling.label(household.dwelling.building.address)),
        kinds.get(visit.kind, visit.kind),
        outcomes.get(visit.outcome, visit.outcome),
        sheet.text(_LIST_SEPARATOR.join(_person(u) for u in visit.visitors.all())),
        sheet.text(_LIST_SEPARATOR.join(r.name for r in visit.residents_met.all())),
        conditions.get(visit.condition, visit.condition),
        sheet.text(visit.notes),
        sheet.text(visit.needs_found),
        sheet.text(_gift_text(visit)),
        sheet.text(_person(visit.author)),
    )


def visit_export(*, user, filters: VisitFilters) -> VisitExport:
    """The filtered visits as a workbook, recorded as an export of the 'visits' ledger."""
    visits = filtered_visits(user, filters).prefetch_related(
        Prefetch("residents_met", queryset=Resident.objects.order_by("id"))
    )
    row_count = visits.count()
    if row_count > MAX_EXPORT_ROWS:
        raise VisitExportTooLarge(row_count)

    kinds, conditions, outcomes = labels(Visit.Kind), labels(Visit.Condition), labels(Visit.Outcome)
    sheet = ExportSheet(SHEET_NAME, COLUMNS, _WIDTHS)
    # Addresses ("1单元 101室") are written as in the other ledgers, whatever the interface language.
    with translation.override("zh-hans"):
        for visit in visits.iterator(chunk_size=2000):
            sheet.append(_row(sheet, visit, kinds, conditions, outcomes))
    resident_services.export_record(
        user=user,
        kind=ExportRecord.Kind.VISITS,
        filters=filters.as_dict(),
        row_count=sheet.rows,
        unmasked=False,
    )
    return VisitExport(content=sheet.content(), row_count=sheet.rows)
