"""The empty ledger users download, fill in and import, with a sheet explaining every column."""

import io

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from common.xlsx import labels

from ..models import Resident
from .columns import (
    ADDRESS,
    BIRTH_DATE,
    CHOICE_COLUMNS,
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
    TEXT_COLUMNS,
    UNIT,
    column_width,
)

GUIDE_SHEET_NAME = "填写说明"


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
        sheet.column_dimensions[letter].width = column_width(column)
        if column in TEXT_COLUMNS:
            # Typed ID numbers, rooms and phone numbers stay text instead of becoming numbers.
            sheet.column_dimensions[letter].number_format = "@"
        elif column == BIRTH_DATE:
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
        if column in CHOICE_COLUMNS:
            options = ",".join(labels(CHOICE_COLUMNS[column]).values())
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
