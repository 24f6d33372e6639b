"""A ledger upload cannot exhaust the server: what a workbook unpacks to and how wide and long its sheet is
are limited, and checked before anything is parsed, so a malicious workbook is refused early.

Each malicious workbook is built here in memory and is small on disk; the tests assert what the user is
told and that the importer stopped before the expensive part (never the time it took).
"""

import io
import re
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl.worksheet import _reader

from residents.ledger import importer
from residents.models import Resident
from tests.factories import BuildingFactory
from tests.test_ledger import ADDRESS, good_rows, xlsx

pytestmark = pytest.mark.django_db

SHEET = "xl/worksheets/sheet1.xml"


def rebuilt(content: bytes, **parts: bytes) -> bytes:
    """The workbook `content` with the named parts replaced or added (deflated, as Excel writes them)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in parts:
                target.writestr(info.filename, source.read(info.filename))
        for name, data in parts.items():
            target.writestr(name, data)
    return buffer.getvalue()


def repeated(size: int, unit: bytes = b"<si><t>AAAAAAAAAAAAAAAAAAAAAAAA</t></si>") -> bytes:
    return unit * (size // len(unit) + 1)


def shared_strings(size: int) -> bytes:
    head = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    return head + repeated(size) + b"</sst>"


def with_dimension(content: bytes, ref: str) -> bytes:
    sheet = zipfile.ZipFile(io.BytesIO(content)).read(SHEET).decode()
    return rebuilt(
        content, **{SHEET: re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{ref}"', sheet).encode()}
    )


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def ledger(grid):
    BuildingFactory(grid=grid, address=ADDRESS)
    return xlsx(good_rows(grid))


@pytest.fixture
def parsing(monkeypatch):
    """Counts what openpyxl was asked to do: workbooks opened and sheet rows parsed."""
    counts = {"workbooks": 0, "rows": 0}
    load_workbook, parse_row = openpyxl.load_workbook, _reader.WorkSheetParser.parse_row

    def counting_load(*args, **kwargs):
        counts["workbooks"] += 1
        return load_workbook(*args, **kwargs)

    def counting_parse_row(self, row):
        counts["rows"] += 1
        return parse_row(self, row)

    monkeypatch.setattr(importer.openpyxl, "load_workbook", counting_load)
    monkeypatch.setattr(_reader.WorkSheetParser, "parse_row", counting_parse_row)
    return counts


def upload(client, content: bytes):
    file = SimpleUploadedFile("台账.xlsx", content)
    return client.post(reverse("residents:ledger_import"), {"file": file})


def test_a_normal_ledger_still_imports(staff_client, ledger, parsing):
    response = upload(staff_client, ledger)
    assert response.status_code == 302
    assert Resident.objects.count() == 5
    assert parsing == {"workbooks": 1, "rows": 6}


def test_shared_strings_past_the_limit_are_refused_before_openpyxl_reads_them(staff_client, ledger, parsing):
    # 21 MB of shared strings packed into a few tens of kilobytes, as the 1 GB one was packed into 1.2 MB.
    content = rebuilt(ledger, **{"xl/sharedStrings.xml": shared_strings(21 * 1024 * 1024)})
    assert len(content) < 200 * 1024
    response = upload(staff_client, content)
    assert response.status_code == 200
    assert response.context["file_error"] == (
        "文件中的文字内容解压后超过 20 MB：请删除多余的内容，或拆分成多个文件分批导入。"
    )
    assert parsing == {"workbooks": 0, "rows": 0}
    assert Resident.objects.count() == 0


def test_a_workbook_unpacking_past_the_total_limit_is_refused(staff_client, ledger, parsing, monkeypatch):
    monkeypatch.setattr(importer, "MAX_UNPACKED_BYTES", 4 * 1024 * 1024)
    monkeypatch.setattr(importer, "MAX_COMPRESSION_RATIO", 10**6)
    # Parts each under their own limits, together over the whole's.
    parts = {f"xl/media/image{n}.png": repeated(1024 * 1024, b"\0") for n in range(5)}
    response = upload(staff_client, rebuilt(ledger, **parts))
    assert response.context["file_error"] == (
        "文件解压后的内容过大（超过 4 MB）：请删除多余的工作表、行和列，或拆分成多个文件分批导入。"
    )
    assert parsing == {"workbooks": 0, "rows": 0}


def test_a_sheet_part_past_its_limit_is_refused(staff_client, ledger, parsing, monkeypatch):
    monkeypatch.setattr(importer, "MAX_SHEET_PART_BYTES", 2 * 1024 * 1024)
    monkeypatch.setattr(importer, "MAX_COMPRESSION_RATIO", 10**6)
    response = upload(
        staff_client, rebuilt(ledger, **{"xl/worksheets/sheet2.xml": repeated(3 * 1024 * 1024)})
    )
    assert response.context["file_error"] == (
        "工作表解压后超过 2 MB：请删除多余的行和列，或拆分成多个文件分批导入。"
    )
    assert parsing == {"workbooks": 0, "rows": 0}


def test_an_absurd_compression_ratio_is_refused(staff_client, ledger, parsing):
    # 2 MB of one repeated byte packs about 1,000 to 1; no spreadsheet part does.
    content = rebuilt(ledger, **{"docProps/custom.xml": repeated(2 * 1024 * 1024, b" ")})
    response = upload(staff_client, content)
    assert response.context["file_error"] == (
        "文件的压缩比异常（解压后是压缩时的数百倍以上），不是正常的 Excel 台账，已拒绝导入。"
    )
    assert parsing == {"workbooks": 0, "rows": 0}


def test_too_many_parts_are_refused(staff_client, ledger, parsing):
    content = rebuilt(ledger, **{f"customXml/item{n}.xml": b"<a/>" for n in range(1001)})
    response = upload(staff_client, content)
    assert response.context["file_error"] == (
        "文件结构异常（包含的部件过多），不是正常的 Excel 台账，已拒绝导入。"
    )
    assert parsing == {"workbooks": 0, "rows": 0}


@pytest.mark.parametrize(
    ("dimension", "message"),
    [
        ("A1:XFD2000", "工作表超过 100 列：台账只需模板中的列，请删除多余的列后重新上传。"),
        ("A1:M1048576", "文件超过 20000 行数据：请拆分成多个文件分批导入。"),
    ],
    ids=["16384-columns", "a-million-rows"],
)
def test_a_sheet_declaring_a_huge_size_is_refused_before_a_row_is_read(
    staff_client, ledger, parsing, dimension, message
):
    response = upload(staff_client, with_dimension(ledger, dimension))
    assert response.context["file_error"] == message
    assert parsing == {"workbooks": 1, "rows": 0}


def test_reading_stops_at_the_first_row_wider_than_the_limit(staff_client, ledger, parsing):
    """The 2,000 x 16,384 sheet, declaring the ledger's 13 columns: reading stops at its first wide row."""
    sheet = zipfile.ZipFile(io.BytesIO(ledger)).read(SHEET).decode()
    header = re.search(r'<row r="1".*?</row>', sheet).group(0)
    cells = "".join(
        f'<c r="{openpyxl.utils.get_column_letter(c)}{{row}}" t="n"><v>1</v></c>' for c in range(1, 16385)
    )
    rows = "".join(f'<row r="{r}">{cells.format(row=r)}</row>' for r in range(2, 12))
    forged = re.sub(r"<sheetData>.*</sheetData>", f"<sheetData>{header}{rows}</sheetData>", sheet, flags=re.S)
    forged = re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:M11"', forged)
    response = upload(staff_client, rebuilt(ledger, **{SHEET: forged.encode()}))
    assert response.context["file_error"] == (
        "工作表超过 100 列：台账只需模板中的列，请删除多余的列后重新上传。"
    )
    assert parsing == {"workbooks": 1, "rows": 2}  # the header and the first wide row, of 11
    assert Resident.objects.count() == 0
