"""The case list's Excel export (诉求工单台账).

Column names and choice labels stay in Chinese whatever the interface language (the file is shared).
Requesters appear by name only: no phones, no ID numbers.
"""

import io
from dataclasses import dataclass

import openpyxl
from django.utils import timezone, translation
from openpyxl.cell import WriteOnlyCell

from residents import services as resident_services
from residents.ledger import MAX_EXPORT_ROWS

from .models import Case, Channel, Outcome, Satisfaction, Status, Urgency
from .selectors import CaseFilters, filtered_cases

SHEET_NAME = "诉求工单"
COLUMNS = (
    "工单编号",
    "登记时间",
    "来源渠道",
    "网格",
    "地点",
    "事项类别",
    "紧急程度",
    "诉求人",
    "诉求内容",
    "状态",
    "承办人",
    "办结期限",
    "时限状态",
    "办理结果",
    "回访满意度",
    "办理结论",
    "归档时间",
)
_WIDTHS = (16, 17, 10, 14, 24, 10, 10, 10, 40, 12, 10, 17, 8, 30, 10, 10, 17)
_CLOCK = {"overdue": "超期", "warning": "临期", "paused": "暂停计时", "running": "正常", "": ""}

__all__ = ["MAX_EXPORT_ROWS", "CaseExportTooLarge", "case_export"]


class CaseExportTooLarge(Exception):
    def __init__(self, row_count: int):
        super().__init__(row_count)
        self.row_count = row_count


@dataclass(frozen=True)
class CaseExport:
    content: bytes
    row_count: int


def _labels(choices) -> dict[str, str]:
    with translation.override("zh-hans"):
        return {choice.value: str(choice.label) for choice in choices}


def _text(sheet, value: str):
    """Text typed by users must reach Excel as text, never as a formula."""
    if value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _time(sheet, value):
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=timezone.localtime(value).replace(tzinfo=None))
    cell.number_format = "yyyy-mm-dd hh:mm"
    return cell


def case_export(*, user, filters: CaseFilters) -> CaseExport:
    """The filtered cases as a workbook, recorded as an export of the 'cases' ledger."""
    now = timezone.now()
    cases = filtered_cases(user, filters, now)
    row_count = cases.count()
    if row_count > MAX_EXPORT_ROWS:
        raise CaseExportTooLarge(row_count)
    labels = {
        "channel": _labels(Channel),
        "urgency": _labels(Urgency),
        "status": _labels(Status),
        "satisfaction": _labels(Satisfaction),
        "outcome": _labels(Outcome),
    }
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_NAME)
    for index, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append(COLUMNS)
    written = 0
    with translation.override("zh-hans"):
        for case in cases.iterator(chunk_size=2000):
            sheet.append(_row(sheet, case, labels, now))
            written += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    resident_services.export_record(
        user=user, filters={**filters.as_dict(), "ledger": "cases"}, row_count=written, unmasked=False
    )
    return CaseExport(content=buffer.getvalue(), row_count=written)


def _row(sheet, case: Case, labels: dict, now) -> tuple:
    place = " ".join(part for part in (case.building.address if case.building else "", case.address) if part)
    handler = case.handler.first_name or case.handler.get_username() if case.handler else ""
    return (
        case.number,
        _time(sheet, case.created_at),
        labels["channel"].get(case.channel, case.channel),
        _text(sheet, case.grid.name),
        _text(sheet, place),
        _text(sheet, case.category.name),
        labels["urgency"].get(case.urgency, case.urgency),
        _text(sheet, case.requester_label),
        _text(sheet, case.description),
        labels["status"].get(case.status, case.status),
        _text(sheet, handler),
        _time(sheet, case.resolution_due),
        _CLOCK[case.clock_state(now)],
        _text(sheet, case.resolution),
        labels["satisfaction"].get(case.satisfaction, ""),
        labels["outcome"].get(case.outcome, ""),
        _time(sheet, case.closed_at),
    )
