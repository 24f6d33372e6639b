"""The ledger's file format: its sheet, its columns and what each column holds.

The sheet's column names and the choice labels in it are the file format shared with every user, so they
stay in Chinese whatever the interface language; the explanations around them are translatable.
"""

from ..models import Resident

SHEET_NAME = "居民台账"

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

# What the template asks for and the import reads, in this order.
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
# An export can be filled in again elsewhere: the import's columns, then each resident's status.
EXPORT_COLUMNS = (*COLUMNS, STATUS)
# A masked export shows the age where the birth date was: the birth date is eight digits of the ID number,
# and beside its mask would give the number back (residents.disclosure).
AGE = "年龄"
MASKED_EXPORT_COLUMNS = tuple(AGE if column == BIRTH_DATE else column for column in EXPORT_COLUMNS)

# Columns whose cells are labels of a model's choices.
CHOICE_COLUMNS = {
    SEX: Resident.Sex,
    RELATION: Resident.Relation,
    POLITICAL_STATUS: Resident.PoliticalStatus,
    RESIDENCE_TYPE: Resident.ResidenceType,
}
# Choice columns that may be left blank, and what a blank means.
CHOICE_DEFAULTS = {
    POLITICAL_STATUS: Resident.PoliticalStatus.MASSES,
    RESIDENCE_TYPE: Resident.ResidenceType.REGISTERED,
}
# Columns Excel must keep as typed text: ID numbers, rooms and phone numbers are not numbers.
TEXT_COLUMNS = (GRID, ADDRESS, UNIT, ROOM, HOUSEHOLD_NO, NAME, ID_NUMBER, PHONE)

MAX_IMPORT_ROWS = 20_000


def column_width(column: str) -> int:
    """Excel's width for a column: addresses and ID numbers need the room."""
    return 20 if column in (ADDRESS, ID_NUMBER) else 12
