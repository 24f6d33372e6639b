"""Excel ledgers: the template, importing (all rows or none, every error listed) and the recorded export."""

import datetime
import io
import zipfile
from urllib.parse import quote

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from stdnum.cn import ric

from grids.models import Community, Dwelling
from residents.ledger import export, importer
from residents.models import ExportRecord, Household, Resident
from residents.selectors import ResidentFilters
from tests.factories import (
    BuildingFactory,
    DwellingFactory,
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HEADER = [
    "网格编号",
    "楼栋地址",
    "单元",
    "门牌/室号",
    "户序号",
    "姓名",
    "身份证号",
    "性别",
    "出生日期",
    "联系电话",
    "与户主关系",
    "政治面貌",
    "居住类型",
]
# A masked export has the age where the birth date was: beside the mask, the birth date restores the number.
MASKED_HEADER = ["年龄" if column == "出生日期" else column for column in HEADER]
ADDRESS = "靖远路9号"


def age_today(born: datetime.date) -> int:
    today = timezone.localdate()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def id_number(birth: str, sequence: str, region: str = "620102") -> str:
    """A valid ID number; the last digit of `sequence` is odd for a man, even for a woman."""
    body = region + birth.replace("-", "") + sequence
    return body + ric.calc_check_digit(body + "0")


def row(grid, name, number, sex, birth, relation, *, unit="1", room="301", no="1", **extra):
    values = {
        "网格编号": grid.code,
        "楼栋地址": ADDRESS,
        "单元": unit,
        "门牌/室号": room,
        "户序号": no,
        "姓名": name,
        "身份证号": number,
        "性别": sex,
        "出生日期": birth,
        "联系电话": "",
        "与户主关系": relation,
        "政治面貌": "",
        "居住类型": "",
        **extra,
    }
    return [values[column] for column in HEADER]


def xlsx(rows, header=HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "居民台账"
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, name: str = "三月台账.xlsx"):
    return client.post(reverse("residents:ledger_import"), {"file": SimpleUploadedFile(name, content)})


def good_rows(grid):
    """Two households, five residents: a family of three at 1-301, two people at 2-502."""
    return [
        row(
            grid,
            "张建国",
            id_number("1958-03-07", "011"),
            "男",
            datetime.datetime(1958, 3, 7),
            "户主",
            **{"联系电话": 13893215678, "政治面貌": "中共党员"},
        ),
        row(grid, "李秀英", id_number("1960-05-12", "022"), "女", "1960-05-12", "配偶"),
        row(
            grid,
            "张伟",
            id_number("1985-09-01", "031"),
            "男",
            "1985-09-01",
            "子女",
            **{"政治面貌": "共青团员", "居住类型": "常住"},
        ),
        row(
            grid,
            "王芳",
            id_number("1949-12-31", "002"),
            "女",
            "1949-12-31",
            "户主",
            unit="2",
            room="502",
            **{"联系电话": "0931-8123456", "居住类型": "流动"},
        ),
        row(grid, "赵磊", id_number("1990-01-15", "013"), "男", "1990-01-15", "其他", unit="2", room="502"),
    ]


@pytest.fixture
def building(grid):
    return BuildingFactory(grid=grid, address=ADDRESS)


def errors_of(response):
    return [(e.row, e.column, e.message) for e in response.context["errors"]]


# --- Template -----------------------------------------------------------------------------------


def test_template_has_the_exact_header_and_a_guide(client, worker):
    client.force_login(worker)
    response = client.get(reverse("residents:ledger_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"ledger-template.xlsx\"; filename*=UTF-8''" + quote("居民台账导入模板.xlsx")
    )
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["居民台账", "填写说明"]
    assert [c.value for c in workbook["居民台账"][1]] == HEADER
    assert workbook["居民台账"].max_row == 1
    guide = list(workbook["填写说明"].iter_rows(values_only=True))
    assert [r[0] for r in guide[1:14]] == HEADER
    assert guide[8][2] == "可选值：男、女；须与身份证号一致。"
    assert list(guide[-2]) == HEADER
    assert list(guide[-1]) == [
        "G0101",
        "靖远路9号",
        "1",
        "301",
        "1",
        "王芳",
        "11010519491231002X",
        "女",
        "1949-12-31",
        "0931-8123456",
        "户主",
        "群众",
        "户籍",
    ]


# --- Import: access -----------------------------------------------------------------------------


def test_import_sends_anonymous_to_login(client):
    response = client.get(reverse("residents:ledger_import"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_import_is_403_for_a_grid_worker(client, worker, grid, building):
    client.force_login(worker)
    assert client.get(reverse("residents:ledger_import")).status_code == 403
    response = upload(client, xlsx(good_rows(grid)))
    assert response.status_code == 403
    assert Resident.objects.count() == 0


def test_import_page_links_the_template(client, staff):
    client.force_login(staff)
    response = client.get(reverse("residents:ledger_import"))
    assert response.status_code == 200
    assert reverse("residents:ledger_template") in response.content.decode()


def test_import_rejects_a_grid_of_another_community(client, staff, other_grid):
    BuildingFactory(grid=other_grid, address=ADDRESS)
    client.force_login(staff)
    rows = [row(other_grid, "王芳", id_number("1949-12-31", "002"), "女", "1949-12-31", "户主")]
    response = upload(client, xlsx(rows))
    assert response.status_code == 200
    assert errors_of(response) == [(2, "网格编号", f"网格编号 {other_grid.code} 不存在或不在您的管辖范围。")]
    assert Household.objects.count() == 0


# --- Import: a good file ------------------------------------------------------------------------


def test_import_of_a_filled_template_creates_households_and_residents(client, staff, grid, building):
    DwellingFactory(building=building, unit="1", room="301")
    client.force_login(staff)
    template = openpyxl.load_workbook(io.BytesIO(client.get(reverse("residents:ledger_template")).content))
    for values in good_rows(grid):
        template["居民台账"].append(values)
    buffer = io.BytesIO()
    template.save(buffer)

    response = upload(client, buffer.getvalue())

    assert response.status_code == 302
    assert response["Location"] == reverse("residents:ledger_import")
    assert Household.objects.count() == 2
    assert Resident.objects.count() == 5
    assert Dwelling.objects.count() == 2  # 1-301 existed, 2-502 was registered
    assert set(Household.objects.values_list("grid", flat=True)) == {grid.pk}
    assert set(Resident.objects.values_list("grid", flat=True)) == {grid.pk}
    members = {
        r.name: (
            r.household.dwelling.unit,
            r.household.dwelling.room,
            r.relation_to_head,
            r.political_status,
            r.residence_type,
            r.phone,
        )
        for r in Resident.objects.select_related("household__dwelling")
    }
    assert members == {
        "张建国": ("1", "301", "head", "party_member", "registered", "13893215678"),
        "李秀英": ("1", "301", "spouse", "masses", "registered", ""),
        "张伟": ("1", "301", "child", "league_member", "permanent", ""),
        "王芳": ("2", "502", "head", "masses", "floating", "09318123456"),
        "赵磊": ("2", "502", "other", "masses", "registered", ""),
    }
    page = client.get(response["Location"]).content.decode()
    assert "导入完成：新建 2 户、5 名居民。" in page
    assert reverse("residents:household_list") in page


# --- Import: errors -----------------------------------------------------------------------------


def test_import_with_bad_rows_imports_nothing_and_lists_every_error(client, staff, grid, building):
    good = good_rows(grid)
    wrong_check_digit = id_number("1962-04-10", "021")
    wrong_check_digit = wrong_check_digit[:17] + ("0" if wrong_check_digit[17] != "0" else "1")
    body = "62010219900230012"  # 30 February
    rows = [
        good[0],
        row(grid, "李秀英", wrong_check_digit, "女", "1962-04-10", "配偶"),
        good[2],
        row(grid, "张丽", body + ric.calc_check_digit(body + "0"), "女", "1990-02-28", "子女"),
        row(grid, "张强", id_number("1988-07-07", "015"), "女", "1988-07-07", "子女"),
        good[3],
    ]
    households, residents = Household.objects.count(), Resident.objects.count()
    client.force_login(staff)

    response = upload(client, xlsx(rows))

    assert response.status_code == 200
    assert errors_of(response) == [
        (3, "身份证号", "身份证号校验位不正确（最后一位），请核对。"),
        (5, "身份证号", "身份证号中的出生日期 1990-02-30 不存在。"),
        (6, "性别", "性别与身份证号不一致：身份证号显示为男。"),
    ]
    assert (Household.objects.count(), Resident.objects.count()) == (households, residents)
    assert Dwelling.objects.count() == 0
    page = response.content.decode()
    assert "三月台账.xlsx" in page
    assert "身份证号中的出生日期 1990-02-30 不存在。" in page


def test_import_reports_an_id_number_already_registered(client, staff, grid, building):
    existing = ResidentFactory(
        household=HouseholdFactory(dwelling__building=building),
        id_number=id_number("1949-12-31", "002"),
        birth_date=datetime.date(1949, 12, 31),
        sex="female",
    )
    client.force_login(staff)
    rows = [row(grid, "王芳", existing.id_number, "女", "1949-12-31", "户主")]
    response = upload(client, xlsx(rows))
    assert errors_of(response) == [
        (2, "身份证号", "该身份证号已在平台中登记，不能重复导入；如居民迁入，请联系其原所在社区办理。")
    ]
    assert Resident.objects.count() == 1


def test_import_reports_duplicates_numeric_ids_and_unknown_labels(client, staff, grid, building):
    number = id_number("1960-05-12", "022")
    rows = [
        row(grid, "李秀英", number, "女", "1960-05-12", "户主"),
        row(grid, "李秀英", number, "女", "1960-05-12", "配偶", no="2"),
        row(grid, "张伟", 620102198509010311, "男", "1985-09-01", "子女"),
        row(grid, "赵磊", id_number("1990-01-15", "013"), "男", "1990/1/15", "户主", **{"政治面貌": "党员"}),
        row(grid, "钱军", id_number("1970-06-01", "017"), "男", "1970-06-01", "户主", no="9"),
        row(grid, "孙丽", id_number("1971-06-01", "028"), "女", "1971-06-01", "户主", no="9"),
    ]
    client.force_login(staff)
    response = upload(client, xlsx(rows))
    assert errors_of(response) == [
        (3, "身份证号", "与第 2 行的身份证号重复。"),
        (
            4,
            "身份证号",
            "身份证号被 Excel 存成了数字，末尾几位可能已经改变：请把“身份证号”列设为“文本”格式，"
            "重新输入号码后再导入。",
        ),
        (5, "与户主关系", "同一户只能有一位户主：第 2 行已是这一户的户主。"),
        (
            5,
            "政治面貌",
            "“党员”不是可选的值：请填写 中共党员、中共预备党员、共青团员、民主党派、群众 之一。",
        ),
        (7, "与户主关系", "同一户只能有一位户主：第 6 行已是这一户的户主。"),
    ]
    assert Resident.objects.count() == 0


def test_import_of_a_person_registered_meanwhile_writes_nothing(client, staff, grid, building, monkeypatch):
    """Someone registers the same person between the check and the write: no 500, nothing written."""
    registered = ResidentFactory(
        household=HouseholdFactory(dwelling__building=building),
        id_number=id_number("1990-01-15", "013"),
        birth_date=datetime.date(1990, 1, 15),
        sex="male",
    )
    monkeypatch.setattr(importer, "_existing_id_numbers", lambda numbers: set())
    client.force_login(staff)
    response = upload(client, xlsx(good_rows(grid)))
    assert response.status_code == 200
    assert response.context["file_error"] == (
        "保存时与平台中的数据冲突（可能有人同时登记了同一居民）：未导入任何数据，请重新上传以查看冲突的行。"
    )
    assert list(Resident.objects.all()) == [registered]
    assert Household.objects.count() == 1


def test_import_accepts_id_numbers_typed_with_spaces(client, staff, grid, building):
    number = id_number("1949-12-31", "002")
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}"
    client.force_login(staff)
    response = upload(client, xlsx([row(grid, "王芳", spaced, "女", "1949-12-31", "户主")]))
    assert response.status_code == 302
    assert Resident.objects.get().id_number == number


def test_import_names_the_missing_column(client, staff, grid, building):
    header = [c for c in HEADER if c != "户序号"]
    rows = [[v for c, v in zip(HEADER, values, strict=True) if c != "户序号"] for values in good_rows(grid)]
    client.force_login(staff)
    response = upload(client, xlsx(rows, header=header))
    assert response.status_code == 200
    assert response.context["file_error"] == (
        "第一行的表头与模板不一致：缺少列：户序号。请下载模板，按模板的列填写后重新上传。"
    )
    assert response.context["errors"] == []
    assert Resident.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "name"),
    [
        ("姓名,身份证号\n王芳,11010519491231002X\n".encode(), "台账.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "旧台账.xlsx"),  # an old .xls renamed
        (b"PK\x03\x04 not really a zip", "台账.xlsx"),
    ],
)
def test_import_of_a_file_that_is_not_xlsx_says_so(client, staff, content, name):
    client.force_login(staff)
    response = upload(client, content, name=name)
    assert response.status_code == 200
    assert response.context["file_error"] == (
        "无法读取该文件：请上传 Excel 工作簿（.xlsx）。旧版 .xls、CSV 或改了扩展名的文件不能导入，"
        "请在 Excel 中“另存为 .xlsx”后重试。"
    )


def test_import_without_a_file_asks_for_one(client, staff):
    client.force_login(staff)
    response = client.post(reverse("residents:ledger_import"))
    assert response.status_code == 200
    assert response.context["file_error"] == "请选择要导入的台账文件（.xlsx）。"


def test_import_of_a_file_over_10_mb_is_refused(client, staff):
    client.force_login(staff)
    response = upload(client, b"0" * (10 * 1024 * 1024 + 1))
    assert response.context["file_error"] == "文件超过 10 MB：请拆分成多个文件分批导入。"


def test_import_of_a_sheet_without_data_rows(client, staff):
    client.force_login(staff)
    response = upload(client, xlsx([["", None]]))
    assert response.context["file_error"] == "表格中没有数据行：请从第二行起填写居民信息。"


def test_import_of_too_many_rows_is_refused(client, staff, grid, building, monkeypatch):
    monkeypatch.setattr(importer, "MAX_IMPORT_ROWS", 4)
    client.force_login(staff)
    response = upload(client, xlsx(good_rows(grid)))
    assert response.context["file_error"] == "文件超过 4 行数据：请拆分成多个文件分批导入。"
    assert Resident.objects.count() == 0


def ledger_rows(grid, count: int, first: int = 0) -> list[list]:
    """`count` residents, three to a household, each household in its own dwelling."""
    return [
        row(
            grid,
            "居民",
            id_number("1970-01-01", f"{n:03d}"),
            "男" if n % 2 else "女",
            "1970-01-01",
            "户主" if n % 3 == 0 else "子女",
            room=str(n // 3),
        )
        for n in range(first, first + count)
    ]


def test_importing_takes_the_same_queries_for_3_and_30_rows(grid, building):
    def queries_for(count: int, first: int) -> int:
        content = xlsx(ledger_rows(grid, count, first))
        with CaptureQueriesContext(connection) as captured:
            result = importer.ledger_import(
                file=io.BytesIO(content), communities=Community.objects.filter(pk=grid.community_id)
            )
        assert (result.households, result.residents) == (count // 3, count)
        return len(captured.captured_queries)

    # Checking: the file's grids within the communities, their buildings, the ID numbers already
    # registered. Writing, in a savepoint: count the dwellings, insert the missing ones, read them
    # back, insert the households, insert the residents.
    assert queries_for(3, first=0) == queries_for(30, first=3) == 3 + 7


# --- Export -------------------------------------------------------------------------------------


@pytest.fixture
def registry(grid, other_grid):
    """Two current residents and one who moved out in `grid`, one in a sibling grid, one outside."""
    sibling = GridFactory(community=grid.community)
    household = HouseholdFactory(dwelling__building__grid=grid, dwelling__unit="3", dwelling__room="201")
    people = {
        "苏秀兰": ResidentFactory(
            household=household,
            name="苏秀兰",
            id_number="620102194403051243",
            birth_date=datetime.date(1944, 3, 5),
            sex="female",
            phone="13893215678",
        ),
        "马强": ResidentFactory(
            household=household,
            name="马强",
            id_number=id_number("1970-02-02", "011"),
            birth_date=datetime.date(1970, 2, 2),
            sex="male",
            phone="",
            relation_to_head=Resident.Relation.CHILD,
            political_status=Resident.PoliticalStatus.PARTY_MEMBER,
        ),
        "离开": ResidentFactory(
            household=household,
            status=Resident.Status.MOVED_OUT,
            status_date=datetime.date(2024, 1, 1),
        ),
        "邻格": ResidentFactory(household__dwelling__building__grid=sibling),
        "外人": ResidentFactory(household__dwelling__building__grid=other_grid),
    }
    return people


def export_rows(response):
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["居民台账"]
    return list(workbook["居民台账"].iter_rows(values_only=True))


def test_export_is_masked_by_default_filtered_and_recorded(client, staff, grid, registry):
    client.force_login(staff)
    response = client.get(reverse("residents:ledger_export"), {"grid": grid.pk})
    assert response.status_code == 200
    day = timezone.localdate().strftime("%Y%m%d")
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"residents-{day}.xlsx\"; filename*=UTF-8''" + quote(f"居民台账-{day}.xlsx")
    )
    su, ma = registry["苏秀兰"], registry["马强"]
    address = su.household.dwelling.building.address
    assert export_rows(response) == [
        (*MASKED_HEADER, "状态"),
        (
            grid.code,
            address,
            "3",
            "201",
            str(su.household_id),
            "苏秀兰",
            "620102********1243",
            "女",
            age_today(datetime.date(1944, 3, 5)),
            "138****5678",
            "户主",
            "群众",
            "户籍",
            "在册",
        ),
        (
            grid.code,
            address,
            "3",
            "201",
            str(su.household_id),
            "马强",
            ma.id_number[:6] + "********" + ma.id_number[-4:],
            "男",
            age_today(datetime.date(1970, 2, 2)),
            None,
            "子女",
            "中共党员",
            "户籍",
            "在册",
        ),
    ]
    record = ExportRecord.objects.get()
    assert (record.user, record.kind, record.row_count, record.unmasked) == (
        staff,
        ExportRecord.Kind.RESIDENTS,
        2,
        False,
    )
    # The grid's community and street are recorded too, taken from the grid the link named.
    assert record.filters == {
        "q": "",
        "street": grid.community.street.name,
        "community": grid.community.name,
        "grid": grid.code,
        "category": "",
        "include_inactive": False,
    }


def test_export_in_full_for_a_reveal_role(client, staff, grid, registry):
    client.force_login(staff)
    response = client.get(reverse("residents:ledger_export"), {"full": "1"})
    rows = export_rows(response)
    names = [r[5] for r in rows[1:]]
    assert sorted(names) == sorted(["苏秀兰", "马强", registry["邻格"].name])  # never 外人
    assert rows[0][8] == "出生日期"
    su = next(r for r in rows if r[5] == "苏秀兰")
    assert (su[6], su[8], su[9]) == ("620102194403051243", datetime.datetime(1944, 3, 5), "13893215678")
    record = ExportRecord.objects.get()
    assert (record.row_count, record.unmasked) == (3, True)


def test_export_in_full_is_masked_for_a_street_leader(client, street_leader, registry):
    client.force_login(street_leader)
    response = client.get(reverse("residents:ledger_export"), {"full": "1", "include_inactive": "on"})
    rows = export_rows(response)
    # The street's community: the moved-out resident included, the other street's resident never.
    assert [r[5] for r in rows[1:]] == [registry[k].name for k in ("苏秀兰", "马强", "离开", "邻格")]
    assert rows[0][8] == "年龄"
    su = next(r for r in rows if r[5] == "苏秀兰")
    assert (su[6], su[8], su[9]) == (
        "620102********1243",
        age_today(datetime.date(1944, 3, 5)),
        "138****5678",
    )
    assert "已迁出" in [r[13] for r in rows]
    record = ExportRecord.objects.get()
    assert (record.user, record.row_count, record.unmasked) == (street_leader, 4, False)


def test_export_of_a_user_without_grids_is_empty_but_recorded(client, registry):
    nobody = UserFactory()
    client.force_login(nobody)
    rows = export_rows(client.get(reverse("residents:ledger_export")))
    assert rows == [(*MASKED_HEADER, "状态")]
    assert ExportRecord.objects.get().row_count == 0


def test_export_over_the_cap_asks_to_narrow_the_filter(client, staff, registry, monkeypatch):
    monkeypatch.setattr(export, "MAX_EXPORT_ROWS", 2)
    client.force_login(staff)
    response = client.get(reverse("residents:ledger_export"), {"full": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("residents:search")
    page = client.get(response["Location"]).content.decode()
    assert "符合条件的居民有 3 人，一次最多导出 2 人：请缩小筛选范围（如按网格）后分批导出。" in page
    assert ExportRecord.objects.count() == 0


def test_export_refuses_unmasked_in_the_service_without_the_right(street_leader):
    with pytest.raises(PermissionDenied):
        export.ledger_export(user=street_leader, filters=ResidentFilters(), unmasked=True)
    assert ExportRecord.objects.count() == 0


def test_export_writes_a_name_starting_with_equals_as_text(client, staff, grid):
    ResidentFactory(household__dwelling__building__grid=grid, name='=HYPERLINK("http://x","点我")')
    client.force_login(staff)
    response = client.get(reverse("residents:ledger_export"))
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml
    assert export_rows(response)[1][5] == '=HYPERLINK("http://x","点我")'
