"""Excel ledgers (台账): the import template, importing households and residents, exporting a list.

The sheet's column names and the choice labels in it are the file format shared with every user, so they
stay in Chinese whatever the interface language; the explanations around them are translatable.
"""

import datetime
import io
import logging
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import openpyxl
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from common.xlsx import labels
from grids.models import Building, Community, Dwelling, Grid

from . import permissions, services
from .models import Household, Resident
from .selectors import ResidentFilters, search_residents

logger = logging.getLogger(__name__)

SHEET_NAME = "居民台账"
GUIDE_SHEET_NAME = "填写说明"

GRID = "网格编号"
ADDRESS = "楼栋地址"
UNIT = "单元"
ROOM = "门牌/室号"
HOUSEHOLD_NO = "户序号"
NAME = "姓名"
ID_NUMBER = "身份证号"
SEX = "性别"
BIRTH_DATE = "出生日期"
PHONE = "联系电话"
RELATION = "与户主关系"
POLITICAL_STATUS = "政治面貌"
RESIDENCE_TYPE = "居住类型"
STATUS = "状态"

COLUMNS = (
    GRID,
    ADDRESS,
    UNIT,
    ROOM,
    HOUSEHOLD_NO,
    NAME,
    ID_NUMBER,
    SEX,
    BIRTH_DATE,
    PHONE,
    RELATION,
    POLITICAL_STATUS,
    RESIDENCE_TYPE,
)
EXPORT_COLUMNS = (*COLUMNS, STATUS)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000
MAX_EXPORT_ROWS = 50_000
# Rows Excel keeps for formatting only are skipped, but a sheet cannot make the import read for ever.
MAX_SHEET_ROWS = 200_000

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
_CHOICE_COLUMNS = {
    SEX: Resident.Sex,
    RELATION: Resident.Relation,
    POLITICAL_STATUS: Resident.PoliticalStatus,
    RESIDENCE_TYPE: Resident.ResidenceType,
}
# Choice columns that may be left blank, and what a blank means.
_CHOICE_DEFAULTS = {
    POLITICAL_STATUS: Resident.PoliticalStatus.MASSES,
    RESIDENCE_TYPE: Resident.ResidenceType.REGISTERED,
}
_TEXT_COLUMNS = (GRID, ADDRESS, UNIT, ROOM, HOUSEHOLD_NO, NAME, ID_NUMBER, PHONE)
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


class LedgerTooLarge(Exception):
    """An export would exceed MAX_EXPORT_ROWS; the user has to narrow the filter."""

    def __init__(self, row_count: int):
        super().__init__(row_count)
        self.row_count = row_count


@dataclass(frozen=True)
class ImportResult:
    households: int
    residents: int
    dwellings: int


@dataclass(frozen=True)
class LedgerExport:
    content: bytes
    row_count: int
    unmasked: bool


# --- Template -----------------------------------------------------------------------------------


def _guide_rows() -> list[tuple[str, str, str, str]]:
    """(column, required, how to fill it, example) for the 填写说明 sheet."""
    sexes, relations = labels(Resident.Sex), labels(Resident.Relation)
    political, residence = labels(Resident.PoliticalStatus), labels(Resident.ResidenceType)
    yes, no = _("必填"), _("选填")

    def options(labels: dict[str, str]) -> str:
        return _("、").join(labels.values())

    return [
        (GRID, yes, _("平台中的网格编号；只能导入您所在社区的网格。"), "G0101"),
        (
            ADDRESS,
            yes,
            _("须与平台中该网格已登记的楼栋地址完全一致；楼栋由社区工作人员维护。"),
            "靖远路9号",
        ),
        (UNIT, no, _("单元号，最多20个字符；没有单元可留空。"), "1"),
        (
            ROOM,
            no,
            _("室号或门牌，最多20个字符。平台中还没有的房屋会自动登记。"),
            "301",
        ),
        (
            HOUSEHOLD_NO,
            yes,
            _(
                "在本文件内区分各户：网格编号、楼栋地址、单元、门牌/室号和户序号都相同的行是同一户，"
                "每户导入后新建一份户档案。"
            ),
            "1",
        ),
        (NAME, yes, _("最多50个字符。"), "王芳"),
        (
            ID_NUMBER,
            yes,
            _(
                "18位，末位可为X。请把此列设为“文本”格式：数字格式会让 Excel 改写号码、丢失末尾几位。"
                "同一身份证号在平台中只能登记一次。"
            ),
            "11010519491231002X",
        ),
        (SEX, yes, _("可选值：%(options)s；须与身份证号一致。") % {"options": options(sexes)}, "女"),
        (
            BIRTH_DATE,
            yes,
            _("日期格式的单元格，或 YYYY-MM-DD 格式的文本；须与身份证号一致。"),
            "1949-12-31",
        ),
        (
            PHONE,
            no,
            _("11位手机号，或带区号的固定电话（如 0931-8123456）。"),
            "0931-8123456",
        ),
        (
            RELATION,
            yes,
            _("可选值：%(options)s；每户只能有一位户主。") % {"options": options(relations)},
            relations[Resident.Relation.HEAD],
        ),
        (
            POLITICAL_STATUS,
            no,
            _("可选值：%(options)s；留空按“%(default)s”登记。")
            % {"options": options(political), "default": political[Resident.PoliticalStatus.MASSES]},
            political[Resident.PoliticalStatus.MASSES],
        ),
        (
            RESIDENCE_TYPE,
            no,
            _("可选值：%(options)s；留空按“%(default)s”登记。")
            % {"options": options(residence), "default": residence[Resident.ResidenceType.REGISTERED]},
            residence[Resident.ResidenceType.REGISTERED],
        ),
    ]


def template_workbook() -> bytes:
    """The empty ledger users fill in, with a sheet explaining every column."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    sheet.append(COLUMNS)
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    sheet.freeze_panes = "A2"
    last_row = MAX_IMPORT_ROWS + 1
    for index, column in enumerate(COLUMNS, start=1):
        letter = openpyxl.utils.get_column_letter(index)
        sheet.column_dimensions[letter].width = 20 if column in (ADDRESS, ID_NUMBER) else 12
        if column in _TEXT_COLUMNS:
            # Typed ID numbers, rooms and phone numbers stay text instead of becoming numbers.
            sheet.column_dimensions[letter].number_format = "@"
        elif column == BIRTH_DATE:
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
        if column in _CHOICE_COLUMNS:
            options = ",".join(labels(_CHOICE_COLUMNS[column]).values())
            validation = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True)
            validation.add(f"{letter}2:{letter}{last_row}")
            sheet.add_data_validation(validation)

    guide = workbook.create_sheet(GUIDE_SHEET_NAME)
    guide.append((_("列名"), _("是否必填"), _("填写要求"), _("示例")))
    for cell in guide[1]:
        cell.font = bold
    rows = _guide_rows()
    for row in rows:
        guide.append(row)
    guide.append(())
    for note in (
        _("表头（第一行）请勿修改，也不要增删列；数据从第二行开始填写。"),
        _("每个文件最多 %(rows)s 行数据，文件不超过 10 MB。") % {"rows": MAX_IMPORT_ROWS},
        _("导入前会检查每一行：只要有一行有错，整个文件都不会导入；请按错误列表修改后重新上传。"),
    ):
        guide.append((note,))
    guide.append(())
    guide.append((_("示例行："),))
    guide.append(COLUMNS)
    guide.append(tuple(example for _column, _required, _how, example in rows))
    for letter, width in zip("ABCD", (12, 10, 80, 22), strict=True):
        guide.column_dimensions[letter].width = width

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


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


def _read_sheet(file) -> tuple[tuple, list[tuple[int, tuple]]]:
    """The header and the non-blank rows (with their Excel row numbers) of the ledger sheet."""
    workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
    try:
        sheet = workbook[SHEET_NAME] if SHEET_NAME in workbook.sheetnames else workbook.worksheets[0]
        # Some programs write a wrong size into the file; read the rows that are really there.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None) or ()
        data: list[tuple[int, tuple]] = []
        for number, values in enumerate(rows, start=2):
            if number > MAX_SHEET_ROWS:
                raise LedgerFileError(_too_many_rows())
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
        if not label and column in _CHOICE_DEFAULTS:
            chosen[column] = _CHOICE_DEFAULTS[column]
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
    numbers = list(numbers)
    existing: set[str] = set()
    for start in range(0, len(numbers), 5000):
        existing.update(
            Resident.objects.filter(id_number__in=numbers[start : start + 5000]).values_list(
                "id_number", flat=True
            )
        )
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
        for column, choice_class in _CHOICE_COLUMNS.items()
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


# --- Export -------------------------------------------------------------------------------------


def _text_cell(sheet, value: str) -> Cell | str:
    """A name such as '=HYPERLINK(...)' must reach Excel as text, never as a formula."""
    if value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


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
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_NAME)
    for index, column in enumerate(EXPORT_COLUMNS, start=1):
        letter = openpyxl.utils.get_column_letter(index)
        sheet.column_dimensions[letter].width = 20 if column in (ADDRESS, ID_NUMBER) else 12
    sheet.freeze_panes = "A2"
    sheet.append(EXPORT_COLUMNS)
    written = 0
    for resident in residents.iterator(chunk_size=2000):
        household = resident.household
        dwelling = household.dwelling
        birth = WriteOnlyCell(sheet, value=resident.birth_date)
        birth.number_format = "yyyy-mm-dd"
        sheet.append(
            (
                household.grid.code,
                _text_cell(sheet, dwelling.building.address),
                _text_cell(sheet, dwelling.unit),
                _text_cell(sheet, dwelling.room),
                str(household.pk),
                _text_cell(sheet, resident.name),
                resident.id_number if unmasked else resident.masked_id_number,
                sexes.get(resident.sex, resident.sex),
                birth,
                resident.phone if unmasked else resident.masked_phone,
                relations.get(resident.relation_to_head, resident.relation_to_head),
                political.get(resident.political_status, resident.political_status),
                residence.get(resident.residence_type, resident.residence_type),
                statuses.get(resident.status, resident.status),
            )
        )
        written += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    services.export_record(user=user, filters=filters.as_dict(), row_count=written, unmasked=unmasked)
    return LedgerExport(content=buffer.getvalue(), row_count=written, unmasked=unmasked)
