"""The visits list's filters and its Excel export (走访记录台账).

The sheet's column names and choice labels are the file format shared with every user, so they stay in
Chinese whatever the interface language. The export holds names only: no ID numbers, no phones.
"""

import io
from dataclasses import dataclass

import openpyxl
from django.db.models import Prefetch
from django.utils import timezone, translation
from openpyxl.cell import WriteOnlyCell

from residents import services as resident_services
from residents.ledger import MAX_EXPORT_ROWS
from residents.models import Resident

from .models import Visit
from .selectors import VisitFilters, filtered_visits

SHEET_NAME = "走访记录"
COLUMNS = (
    "走访时间",
    "网格",
    "地址",
    "走访类型",
    "走访人员",
    "见到的居民",
    "居民状况",
    "走访情况",
    "发现的诉求",
    "慰问品",
    "记录人",
)
_WIDTHS = (17, 14, 26, 10, 18, 18, 10, 40, 30, 24, 10)
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


def _labels(choices) -> dict[str, str]:
    with translation.override("zh-hans"):
        return {choice.value: str(choice.label) for choice in choices}


def _person(user) -> str:
    return user.first_name or user.get_username()


def _text(sheet, value: str):
    """Text typed by users ('=HYPERLINK(...)' in a note) must reach Excel as text, never as a formula."""
    if value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _gift_text(visit: Visit) -> str:
    return _LIST_SEPARATOR.join(
        f"{gift.item} × {gift.quantity}（{gift.value}元）"
        for gift in sorted(visit.gifts.all(), key=lambda g: g.pk)
    )


def _row(sheet, visit: Visit, kinds: dict[str, str], conditions: dict[str, str]) -> tuple:
    household = visit.household
    # Excel has no time zones: the local time is what the visitor wrote down.
    when = WriteOnlyCell(sheet, value=timezone.localtime(visit.visited_at).replace(tzinfo=None))
    when.number_format = "yyyy-mm-dd hh:mm"
    return (
        when,
        _text(sheet, household.grid.name),
        _text(sheet, household.dwelling.label(household.dwelling.building.address)),
        kinds.get(visit.kind, visit.kind),
        _text(sheet, _LIST_SEPARATOR.join(_person(u) for u in visit.visitors.all())),
        _text(sheet, _LIST_SEPARATOR.join(r.name for r in visit.residents_met.all())),
        conditions.get(visit.condition, visit.condition),
        _text(sheet, visit.notes),
        _text(sheet, visit.needs_found),
        _text(sheet, _gift_text(visit)),
        _text(sheet, _person(visit.author)),
    )


def visit_export(*, user, filters: VisitFilters) -> VisitExport:
    """The filtered visits as a workbook, recorded as an export of the 'visits' ledger."""
    visits = filtered_visits(user, filters).prefetch_related(
        Prefetch("residents_met", queryset=Resident.objects.order_by("id"))
    )
    row_count = visits.count()
    if row_count > MAX_EXPORT_ROWS:
        raise VisitExportTooLarge(row_count)

    kinds, conditions = _labels(Visit.Kind), _labels(Visit.Condition)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_NAME)
    for index, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append(COLUMNS)
    written = 0
    # Addresses ("1单元 101室") are written as in the other ledgers, whatever the interface language.
    with translation.override("zh-hans"):
        for visit in visits.iterator(chunk_size=2000):
            sheet.append(_row(sheet, visit, kinds, conditions))
            written += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    resident_services.export_record(
        user=user, filters={**filters.as_dict(), "ledger": "visits"}, row_count=written, unmasked=False
    )
    return VisitExport(content=buffer.getvalue(), row_count=written)
