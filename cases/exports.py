"""The case list's Excel export (诉求工单台账).

Column names and choice labels stay in Chinese whatever the interface language (the file is shared).
Requesters appear by name only: no phones, no ID numbers.
"""

from dataclasses import dataclass

from django.utils import timezone, translation

from common.xlsx import ExportSheet, labels
from residents import services as resident_services
from residents.ledger.export import MAX_EXPORT_ROWS
from residents.models import ExportRecord

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


def case_export(*, user, filters: CaseFilters) -> CaseExport:
    """The filtered cases as a workbook, recorded as an export of the 'cases' ledger."""
    now = timezone.now()
    cases = filtered_cases(user, filters, now)
    row_count = cases.count()
    if row_count > MAX_EXPORT_ROWS:
        raise CaseExportTooLarge(row_count)
    names = {
        "channel": labels(Channel),
        "urgency": labels(Urgency),
        "status": labels(Status),
        "satisfaction": labels(Satisfaction),
        "outcome": labels(Outcome),
    }
    sheet = ExportSheet(SHEET_NAME, COLUMNS, _WIDTHS)
    with translation.override("zh-hans"):
        for case in cases.iterator(chunk_size=2000):
            sheet.append(_row(sheet, case, names, now))
    resident_services.export_record(
        user=user,
        kind=ExportRecord.Kind.CASES,
        filters=filters.as_dict(),
        row_count=sheet.rows,
        unmasked=False,
    )
    return CaseExport(content=sheet.content(), row_count=sheet.rows)


def _row(sheet: ExportSheet, case: Case, names: dict, now) -> tuple:
    handler = case.handler.first_name or case.handler.get_username() if case.handler else ""
    return (
        case.number,
        sheet.local_time(case.created_at),
        names["channel"].get(case.channel, case.channel),
        sheet.text(case.grid.name),
        sheet.text(case.place),
        sheet.text(case.category.name),
        names["urgency"].get(case.urgency, case.urgency),
        sheet.text(case.requester_label),
        sheet.text(case.description),
        names["status"].get(case.status, case.status),
        sheet.text(handler),
        sheet.local_time(case.resolution_due),
        _CLOCK[case.clock_state(now)],
        sheet.text(case.resolution),
        names["satisfaction"].get(case.satisfaction, ""),
        names["outcome"].get(case.outcome, ""),
        sheet.local_time(case.closed_at),
    )
