"""Importing a filled ledger: every row is checked, then all households and residents are written or none."""

import datetime
import io
import logging
import re
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

import openpyxl
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from common.xlsx import labels
from grids.models import Building, Community, Dwelling, Grid

from .. import identity
from ..models import Household, Resident
from .columns import (
    ADDRESS,
    BIRTH_DATE,
    CHOICE_COLUMNS,
    CHOICE_DEFAULTS,
    COLUMNS,
    GRID,
    HOUSEHOLD_NO,
    ID_NUMBER,
    MAX_IMPORT_ROWS,
    NAME,
    PHONE,
    POLITICAL_STATUS,
    RELATION,
    RESIDENCE_TYPE,
    ROOM,
    SEX,
    SHEET_NAME,
    UNIT,
)

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Rows Excel keeps for formatting only are skipped, but a sheet cannot make the import read for ever.
MAX_SHEET_ROWS = 200_000
# The ledger has 13 columns; a few more typed beside them are cut off, a sheet of 16,384 is refused.
# A 2,000 x 16,384 sheet had held one request for 143 s.
MAX_SHEET_COLUMNS = 100

# What an .xlsx may unpack to, checked from the zip's directory before openpyxl reads a byte of it
# (Python's zipfile stops at the sizes the directory declares, so a part cannot grow past them).
# A full ledger of 20,000 rows written by openpyxl unpacks to 15 MB, its sheet compressed 12 to 1.
# openpyxl holds every shared string in memory at once: a 1.2 MB upload expanding to 1 GB of shared
# strings had taken a worker to 1.2 GB.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_SHEET_PART_BYTES = 40 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 20 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 1000
# Deflate packs at most about 1,000 to 1; spreadsheet XML, even rows kept only for their formatting,
# packs far less. Small parts are exempt: a few kilobytes of anything may pack absurdly.
MAX_COMPRESSION_RATIO = 200
RATIO_CHECKED_FROM_BYTES = 1024 * 1024

# Where a model field's validation error is shown in the sheet.
_FIELD_COLUMNS = {
    "name": NAME,
    "id_number": ID_NUMBER,
    "sex": SEX,
    "birth_date": BIRTH_DATE,
    "phone": PHONE,
    "relation_to_head": RELATION,
    "political_status": POLITICAL_STATUS,
    "residence_type": RESIDENCE_TYPE,
}
_DATE_TEXT = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_DWELLING_PART_MAX = 20


# --- Errors and results -------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem in an uploaded ledger, where the user finds it in Excel."""

    row: int
    column: str
    message: str


class LedgerFileError(Exception):
    """The upload cannot be read as a ledger at all: no file, not .xlsx, too big, wrong columns."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class LedgerRejected(Exception):
    """Some rows have errors; nothing was imported."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} row errors")
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    households: int
    residents: int
    dwellings: int


# --- Reading an upload --------------------------------------------------------------------------


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _file_size(file) -> int:
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, io.SEEK_END)
        size = file.tell()
    file.seek(0)
    return size


def _too_big_unpacked() -> str:
    return _(
        "文件解压后的内容过大（超过 %(mb)s MB）：请删除多余的工作表、行和列，或拆分成多个文件分批导入。"
    ) % {"mb": MAX_UNPACKED_BYTES // 2**20}


def _check_archive(file) -> None:
    """Refuse a workbook whose parts would unpack past the limits, before anything is decompressed.

    A file that is not a zip at all passes here and is refused by openpyxl like any unreadable file.
    """
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    finally:
        file.seek(0)
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise LedgerFileError(_("文件结构异常（包含的部件过多），不是正常的 Excel 台账，已拒绝导入。"))
    if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
        raise LedgerFileError(_too_big_unpacked())
    for member in members:
        name = member.filename.lower()
        if name.startswith("xl/worksheets/") and member.file_size > MAX_SHEET_PART_BYTES:
            raise LedgerFileError(
                _("工作表解压后超过 %(mb)s MB：请删除多余的行和列，或拆分成多个文件分批导入。")
                % {"mb": MAX_SHEET_PART_BYTES // 2**20}
            )
        if name.endswith("sharedstrings.xml") and member.file_size > MAX_SHARED_STRINGS_BYTES:
            raise LedgerFileError(
                _("文件中的文字内容解压后超过 %(mb)s MB：请删除多余的内容，或拆分成多个文件分批导入。")
                % {"mb": MAX_SHARED_STRINGS_BYTES // 2**20}
            )
        if member.file_size >= RATIO_CHECKED_FROM_BYTES and member.file_size > MAX_COMPRESSION_RATIO * max(
            member.compress_size, 1
        ):
            raise LedgerFileError(
                _("文件的压缩比异常（解压后是压缩时的数百倍以上），不是正常的 Excel 台账，已拒绝导入。")
            )


def _too_wide() -> str:
    return _("工作表超过 %(columns)s 列：台账只需模板中的列，请删除多余的列后重新上传。") % {
        "columns": MAX_SHEET_COLUMNS
    }


def _read_sheet(file) -> tuple[tuple, list[tuple[int, tuple]]]:
    """The header and the non-blank rows (with their Excel row numbers) of the ledger sheet."""
    workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
    try:
        sheet = workbook[SHEET_NAME] if SHEET_NAME in workbook.sheetnames else workbook.worksheets[0]
        # The size the sheet declares: refuse a huge one before reading a row.
        if (sheet.max_column or 0) > MAX_SHEET_COLUMNS:
            raise LedgerFileError(_too_wide())
        if (sheet.max_row or 0) > MAX_SHEET_ROWS:
            raise LedgerFileError(_too_many_rows())
        # Some programs write a wrong size into the file; read the rows that are really there, and
        # stop at the first row past the limits whatever the declared size said.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None) or ()
        if len(header) > MAX_SHEET_COLUMNS:
            raise LedgerFileError(_too_wide())
        data: list[tuple[int, tuple]] = []
        for number, values in enumerate(rows, start=2):
            if number > MAX_SHEET_ROWS:
                raise LedgerFileError(_too_many_rows())
            if len(values) > MAX_SHEET_COLUMNS:
                raise LedgerFileError(_too_wide())
            if all(_is_blank(value) for value in values):
                continue
            if len(data) == MAX_IMPORT_ROWS:
                raise LedgerFileError(_too_many_rows())
            data.append((number, values))
        return header, data
    finally:
        workbook.close()


def _too_many_rows() -> str:
    return _("文件超过 %(rows)s 行数据：请拆分成多个文件分批导入。") % {"rows": MAX_IMPORT_ROWS}


def _header_text(value) -> str:
    return "" if value is None else str(value).strip()


def _check_header(header: tuple) -> None:
    names = [_header_text(value) for value in header]
    while names and not names[-1]:
        names.pop()
    if tuple(names) == COLUMNS:
        return
    missing = [column for column in COLUMNS if column not in names]
    unexpected = [name or _("（空白列名）") for name in names if name not in COLUMNS]
    parts = []
    if missing:
        parts.append(_("缺少列：%(columns)s。") % {"columns": _("、").join(missing)})
    if unexpected:
        parts.append(_("多出的列：%(columns)s。") % {"columns": _("、").join(unexpected)})
    if not parts:
        parts.append(_("列的顺序或个数与模板不一致。"))
    raise LedgerFileError(
        _("第一行的表头与模板不一致：%(details)s请下载模板，按模板的列填写后重新上传。")
        % {"details": "".join(parts)}
    )


def read_ledger(file) -> list[tuple[int, tuple]]:
    """The data rows of an uploaded ledger, each with its row number, or LedgerFileError."""
    if file is None:
        raise LedgerFileError(_("请选择要导入的台账文件（.xlsx）。"))
    size = _file_size(file)
    if size == 0:
        raise LedgerFileError(_("上传的文件是空的。"))
    if size > MAX_UPLOAD_BYTES:
        raise LedgerFileError(_("文件超过 10 MB：请拆分成多个文件分批导入。"))
    _check_archive(file)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (styles, extensions); they do not matter here.
            warnings.simplefilter("ignore")
            header, rows = _read_sheet(file)
    except LedgerFileError:
        raise
    except Exception as exc:
        # openpyxl reports a damaged or foreign file through many exception types (zipfile.BadZipFile,
        # InvalidFileException, KeyError for a missing part, XML and value errors); to the user they
        # all mean the same thing. Only the type is logged: the file holds personal information.
        logger.info("Unreadable ledger upload: %s", type(exc).__name__)
        raise LedgerFileError(
            _(
                "无法读取该文件：请上传 Excel 工作簿（.xlsx）。旧版 .xls、CSV 或改了扩展名的文件不能导入，"
                "请在 Excel 中“另存为 .xlsx”后重试。"
            )
        ) from None
    if not any(_header_text(value) for value in header) and not rows:
        raise LedgerFileError(_("工作表是空的：请下载模板，填写后再上传。"))
    _check_header(header)
    if not rows:
        raise LedgerFileError(_("表格中没有数据行：请从第二行起填写居民信息。"))
    width = len(COLUMNS)
    return [(number, tuple(values[:width]) + (None,) * (width - len(values))) for number, values in rows]


# --- Checking rows ------------------------------------------------------------------------------


class _CellError(Exception):
    pass


def _text(value) -> str:
    """A cell as text: whole numbers without '.0'; a date where text belongs is an Excel mix-up."""
    if value is None:
        return ""
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta):
        raise _CellError(_("Excel 把这一格识别成了日期或时间：请把该列设为“文本”格式后重新填写。"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value) if not isinstance(value, int | float) else ""
    match = _DATE_TEXT.match(text)
    if not match:
        raise _CellError(_("出生日期应为日期格式，或 YYYY-MM-DD 格式的文本（如 1958-03-07）。"))
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise _CellError(_("出生日期 %(date)s 不存在。") % {"date": text}) from None


@dataclass
class _Entry:
    """A checked row, ready to be written."""

    row: int
    household_key: tuple[str, str, str, str, str]
    building: Building
    unit: str
    room: str
    resident: Resident


@dataclass
class _Parsed:
    row: int
    cells: dict[str, str]
    resident: Resident
    failed: set[str]


def _parse_row(number: int, values: tuple, errors: list[RowError], choices: dict) -> _Parsed:
    """Turn one row's cells into a Resident and the place columns, noting every cell it cannot read."""
    raw = dict(zip(COLUMNS, values, strict=True))
    cells: dict[str, str] = {}
    failed: set[str] = set()

    def fail(column: str, message: str) -> None:
        failed.add(column)
        errors.append(RowError(number, column, message))

    for column in (GRID, ADDRESS, UNIT, ROOM, HOUSEHOLD_NO, NAME, PHONE):
        try:
            cells[column] = _text(raw[column])
        except _CellError as exc:
            cells[column] = ""
            fail(column, str(exc))

    value = raw[ID_NUMBER]
    cells[ID_NUMBER] = ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        fail(
            ID_NUMBER,
            _(
                "身份证号被 Excel 存成了数字，末尾几位可能已经改变：请把“身份证号”列设为“文本”格式，"
                "重新输入号码后再导入。"
            ),
        )
    else:
        try:
            # Spaces and hyphens people type to group the digits are not part of the number.
            cells[ID_NUMBER] = re.sub(r"[\s-]", "", _text(value))
        except _CellError as exc:
            fail(ID_NUMBER, str(exc))

    for column, message in (
        (GRID, _("请填写网格编号。")),
        (ADDRESS, _("请填写楼栋地址。")),
        (HOUSEHOLD_NO, _("请填写户序号。")),
        (NAME, _("请填写姓名。")),
        (ID_NUMBER, _("请填写身份证号。")),
    ):
        if column not in failed and not cells[column]:
            fail(column, message)
    for column in (UNIT, ROOM):
        if len(cells[column]) > _DWELLING_PART_MAX:
            fail(column, _("最多 %(max)s 个字符。") % {"max": _DWELLING_PART_MAX})

    chosen: dict[str, str] = {}
    for column, by_label in choices.items():
        try:
            label = _text(raw[column])
        except _CellError as exc:
            fail(column, str(exc))
            continue
        if not label and column in CHOICE_DEFAULTS:
            chosen[column] = CHOICE_DEFAULTS[column]
        elif label in by_label:
            chosen[column] = by_label[label]
        elif not label:
            fail(
                column,
                _("请填写%(column)s（%(options)s）。") % {"column": column, "options": "/".join(by_label)},
            )
        else:
            fail(
                column,
                _("“%(value)s”不是可选的值：请填写 %(options)s 之一。")
                % {"value": label, "options": _("、").join(by_label)},
            )

    birth_date = None
    if _is_blank(raw[BIRTH_DATE]):
        fail(BIRTH_DATE, _("请填写出生日期。"))
    else:
        try:
            birth_date = _date(raw[BIRTH_DATE])
        except _CellError as exc:
            fail(BIRTH_DATE, str(exc))

    resident = Resident(
        name=cells[NAME],
        id_number=cells[ID_NUMBER],
        sex=chosen.get(SEX, ""),
        birth_date=birth_date,
        phone=cells[PHONE],
        relation_to_head=chosen.get(RELATION, ""),
        political_status=chosen.get(POLITICAL_STATUS, ""),
        residence_type=chosen.get(RESIDENCE_TYPE, ""),
    )
    return _Parsed(row=number, cells=cells, resident=resident, failed=failed)


def _validate_resident(parsed: _Parsed, errors: list[RowError]) -> None:
    """The model's own checks (ID number, birth date and sex against it, phone, lengths)."""
    excluded = ["household", *(field for field, column in _FIELD_COLUMNS.items() if column in parsed.failed)]
    try:
        # Uniqueness is checked for the whole file at once by the caller, not with a query per row.
        parsed.resident.full_clean(exclude=excluded, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            column = _FIELD_COLUMNS.get(field, "" if field == NON_FIELD_ERRORS else field)
            if column in parsed.failed:
                continue  # already reported from the cell itself
            errors.extend(RowError(parsed.row, column, message) for message in messages)
            parsed.failed.add(column)


def _existing_id_numbers(numbers: Iterable[str]) -> set[str]:
    """The numbers already registered, found by their blind indexes (the numbers are stored encrypted)."""
    by_index = {identity.id_number_index(number): number for number in numbers}
    indexes = list(by_index)
    existing: set[str] = set()
    for start in range(0, len(indexes), 5000):
        found = Resident.objects.filter(id_number_index__in=indexes[start : start + 5000])
        existing.update(by_index[index] for index in found.values_list("id_number_index", flat=True))
    return existing


def _check_place(parsed: _Parsed, grids: dict, buildings: dict, errors: list[RowError]) -> Building | None:
    """The row's building: its grid must be one the user imports into, and the building registered."""
    cells, row = parsed.cells, parsed.row
    if GRID in parsed.failed:
        return None
    grid = grids.get(cells[GRID])
    if grid is None:
        parsed.failed.add(GRID)
        errors.append(
            RowError(row, GRID, _("网格编号 %(code)s 不存在或不在您的管辖范围。") % {"code": cells[GRID]})
        )
        return None
    if ADDRESS in parsed.failed:
        return None
    building = buildings.get((grid.pk, cells[ADDRESS]))
    if building is None:
        parsed.failed.add(ADDRESS)
        errors.append(
            RowError(
                row,
                ADDRESS,
                _("网格 %(code)s 中没有登记楼栋“%(address)s”：请核对地址，或请社区工作人员先添加该楼栋。")
                % {"code": grid.code, "address": cells[ADDRESS]},
            )
        )
    return building


def check_ledger(
    rows: list[tuple[int, tuple]], communities: QuerySet[Community]
) -> tuple[list[_Entry], list[RowError]]:
    """Check every row; the entries are complete only when there are no errors."""
    errors: list[RowError] = []
    choices = {
        column: {label: value for value, label in labels(choice_class).items()}
        for column, choice_class in CHOICE_COLUMNS.items()
    }
    parsed_rows = [_parse_row(number, values, errors, choices) for number, values in rows]

    # Three queries for the whole file: its grids (only those of the user's communities), their
    # buildings, and the ID numbers already registered.
    codes = {p.cells[GRID] for p in parsed_rows if p.cells[GRID]}
    grids = {grid.code: grid for grid in Grid.objects.filter(code__in=codes, community__in=communities)}
    addresses = {p.cells[ADDRESS] for p in parsed_rows if p.cells[ADDRESS]}
    buildings = {
        (building.grid_id, building.address): building
        for building in Building.objects.filter(grid__in=list(grids.values()), address__in=addresses)
    }
    places = []
    for parsed in parsed_rows:
        places.append(_check_place(parsed, grids, buildings, errors))
        _validate_resident(parsed, errors)
    registered = _existing_id_numbers(
        {p.resident.id_number for p in parsed_rows if ID_NUMBER not in p.failed}
    )

    entries: list[_Entry] = []
    first_row_of_id: dict[str, int] = {}
    head_row_of_household: dict[tuple, int] = {}
    for parsed, building in zip(parsed_rows, places, strict=True):
        cells, row, resident = parsed.cells, parsed.row, parsed.resident
        if ID_NUMBER not in parsed.failed:
            first = first_row_of_id.setdefault(resident.id_number, row)
            if resident.id_number in registered:
                message = _("该身份证号已在平台中登记，不能重复导入；如居民迁入，请联系其原所在社区办理。")
            elif first != row:
                message = _("与第 %(row)s 行的身份证号重复。") % {"row": first}
            else:
                message = ""
            if message:
                errors.append(RowError(row, ID_NUMBER, message))
                parsed.failed.add(ID_NUMBER)

        key = (cells[GRID], cells[ADDRESS], cells[UNIT], cells[ROOM], cells[HOUSEHOLD_NO])
        if RELATION not in parsed.failed and resident.relation_to_head == Resident.Relation.HEAD:
            head_row = head_row_of_household.setdefault(key, row)
            if head_row != row:
                errors.append(
                    RowError(
                        row,
                        RELATION,
                        _("同一户只能有一位户主：第 %(row)s 行已是这一户的户主。") % {"row": head_row},
                    )
                )
                parsed.failed.add(RELATION)

        if not parsed.failed and building is not None:
            entries.append(
                _Entry(
                    row=row,
                    household_key=key,
                    building=building,
                    unit=cells[UNIT],
                    room=cells[ROOM],
                    resident=resident,
                )
            )

    order = {column: index for index, column in enumerate(COLUMNS)}
    errors.sort(key=lambda e: (e.row, order.get(e.column, len(order))))
    return entries, errors


# --- Writing ------------------------------------------------------------------------------------


@transaction.atomic
def _write(entries: list[_Entry]) -> ImportResult:
    """Write checked rows in a handful of bulk inserts.

    Row by row through services.household_create and services.resident_save costs about ten queries
    per resident (savepoints, foreign-key, uniqueness and constraint checks): 5,000 rows took half a
    minute, past a worker's request timeout. The same rules hold here: every resident passed
    Resident.full_clean in check_ledger, ID numbers were checked against the file and the database at
    once, each household's grid is its building's grid, and the database constraints still apply.
    """
    buildings = {entry.building.pk: entry.building for entry in entries}
    places = {(entry.building.pk, entry.unit, entry.room) for entry in entries}
    before = Dwelling.objects.filter(building__in=list(buildings)).count()
    # Another user may register the same dwelling meanwhile: keep theirs, then read them all back.
    Dwelling.objects.bulk_create(
        [Dwelling(building_id=b, unit=unit, room=room) for b, unit, room in sorted(places)],
        ignore_conflicts=True,
    )
    dwellings = {
        (dwelling.building_id, dwelling.unit, dwelling.room): dwelling
        for dwelling in Dwelling.objects.filter(building__in=list(buildings))
    }
    households: dict[tuple, Household] = {}
    for entry in entries:
        if entry.household_key not in households:
            dwelling = dwellings[(entry.building.pk, entry.unit, entry.room)]
            households[entry.household_key] = Household(dwelling=dwelling, grid_id=entry.building.grid_id)
    Household.objects.bulk_create(households.values(), batch_size=1000)
    for entry in entries:
        entry.resident.household = households[entry.household_key]
        entry.resident.grid_id = entry.resident.household.grid_id
    Resident.objects.bulk_create([entry.resident for entry in entries], batch_size=1000)
    return ImportResult(households=len(households), residents=len(entries), dwellings=len(dwellings) - before)


def ledger_import(*, file, communities: QuerySet[Community]) -> ImportResult:
    """Import a ledger into the communities' grids: every row is checked, then all are written or none."""
    rows = read_ledger(file)
    entries, errors = check_ledger(rows, communities)
    if errors:
        raise LedgerRejected(errors)
    try:
        return _write(entries)
    except IntegrityError:
        # Someone registered one of these people between the check and the write.
        raise LedgerFileError(
            _(
                "保存时与平台中的数据冲突（可能有人同时登记了同一居民）：未导入任何数据，请重新上传以查看冲突的行。"
            )
        ) from None
