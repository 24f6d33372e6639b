"""The audit page's rows as a workbook (common/xlsx.py); the export itself is recorded in the audit."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import translation

from common.xlsx import ExportSheet

from . import services
from .selectors import AuditFilters, page_rows

MAX_ROWS = 5000
# Rows are detailed in batches of this many (the queries per batch are those of one page).
BATCH = 500


class AuditTooLarge(Exception):
    def __init__(self, row_count: int):
        super().__init__(row_count)
        self.row_count = row_count


@dataclass
class AuditExport:
    content: bytes
    row_count: int


COLUMNS = ("时间", "类型", "操作人", "记录", "变更", "网址或命令", "IP 地址", "说明")
WIDTHS = (18, 12, 14, 22, 60, 36, 16, 30)


def audit_export(*, user, rows: QuerySet, filters: AuditFilters) -> AuditExport:
    """Write the filtered audit rows (at most MAX_ROWS) to a sheet and record the export."""
    count = rows[: MAX_ROWS + 1].count()
    if count > MAX_ROWS:
        raise AuditTooLarge(count)
    with translation.override("zh-hans"):
        sheet = ExportSheet("审计日志", COLUMNS, WIDTHS)
        for start in range(0, count, BATCH):
            for row in page_rows(rows[start : start + BATCH]):
                changes = "；".join(
                    f"{c.label}：{'?' if c.before is None else c.before} → {c.after}" for c in row.changes
                )
                sheet.append(
                    (
                        sheet.local_time(row.at),
                        row.kind_label,
                        sheet.text(row.actor_name),
                        row.record_label,
                        sheet.text(changes),
                        sheet.text(row.url or row.command),
                        row.address,
                        sheet.text(row.note),
                    )
                )
        content = sheet.content()
    services.audit_export_record(user=user, filters=filters.as_dict(), row_count=sheet.rows)
    return AuditExport(content=content, row_count=sheet.rows)
