"""Excel exports: one sheet, Chinese headings, text that stays text, and the download that serves it.

Column names and choice labels are the file format shared with every user, so they stay in Chinese
whatever the interface language.
"""

import datetime
import io
from urllib.parse import quote

import openpyxl
from django.http import HttpResponse
from django.utils import timezone, translation
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def labels(choices) -> dict[str, str]:
    """A TextChoices' values with their Chinese labels."""
    with translation.override("zh-hans"):
        return {choice.value: str(choice.label) for choice in choices}


def sheet_text(value: str) -> str:
    """Text openpyxl accepts: the control characters XML forbids removed (Word's line break as one).

    Forms strip them now, but rows saved before, or written by the admin or a script, may carry them;
    one such name made every export including its row fail (issue 14, finding 5).
    """
    return ILLEGAL_CHARACTERS_RE.sub(lambda found: "\n" if found.group() in "\x0b\x0c" else "", value)


def _cleaned(value):
    # Cells made here (text(), local_time(), formatted()) are already clean: openpyxl checks on creation.
    return sheet_text(value) if isinstance(value, str) else value


class ExportSheet:
    """A sheet of a write-only workbook: headings frozen on the first row, one call per row.

    Without `workbook` it starts a workbook of its own; pass another sheet's to add a sheet to it.
    """

    def __init__(
        self,
        name: str,
        columns: tuple[str, ...],
        widths: tuple[int, ...],
        workbook: openpyxl.Workbook | None = None,
    ):
        self.workbook = workbook or openpyxl.Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(name)
        for index, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = width
        self.sheet.freeze_panes = "A2"
        self.sheet.append(columns)
        self.rows = 0

    def text(self, value: str):
        """Text typed by users ('=HYPERLINK(...)' in a note) must reach Excel as text, never as a formula."""
        value = sheet_text(value)
        if value.startswith("="):
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.data_type = "s"
            return cell
        return value

    def local_time(self, value: datetime.datetime | None):
        """Excel has no time zones: the local time is what people wrote down and expect to read."""
        if value is None:
            return None
        cell = WriteOnlyCell(self.sheet, value=timezone.localtime(value).replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell

    def formatted(self, value, number_format: str):
        """A number or date with Excel's format for it (e.g. "0.0%", "yyyy-mm-dd")."""
        cell = WriteOnlyCell(self.sheet, value=value)
        cell.number_format = number_format
        return cell

    def append(self, row: tuple) -> None:
        self.sheet.append(tuple(_cleaned(value) for value in row))
        self.rows += 1

    def content(self) -> bytes:
        buffer = io.BytesIO()
        self.workbook.save(buffer)
        return buffer.getvalue()


def xlsx_response(content: bytes, filename: str, fallback: str) -> HttpResponse:
    """An .xlsx download; the Chinese file name goes in filename* (RFC 5987), with an ASCII fallback."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    )
    response["Cache-Control"] = "no-store"
    return response
