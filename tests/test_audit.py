"""The audit trail: record history by trigger (every kind of write), application events, the leaders'
audit page (scope, filters, export), and rows nobody may change."""

import datetime
import io
import json

import openpyxl
import pghistory
import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit import selectors, services
from audit.models import AuditEvent, HouseholdHistory, LiaisonLinkHistory, ResidentHistory
from grids.models import Role
from residents import services as resident_services
from residents.models import ExportRecord, Household, LiaisonLink, Resident, RevealReason, SensitiveField
from tests.factories import (
    DwellingFactory,
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    assign,
)
from tests.test_ledger import ADDRESS, good_rows, upload, xlsx

pytestmark = pytest.mark.django_db

PASSWORD = "pass-for-tests-only"


@pytest.fixture
def leader(grid):
    user = UserFactory(username="leader")
    assign(user, Role.COMMUNITY_LEADER, grid.community)
    return user


@pytest.fixture
def other_leader(other_grid):
    """社区党委书记 of another community."""
    user = UserFactory(username="other")
    assign(user, Role.COMMUNITY_LEADER, other_grid.community)
    return user


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def page_of(client, user, **query):
    client.force_login(user)
    response = client.get(reverse("audit:list"), query)
    assert response.status_code == 200
    return response


def rows_of(response):
    return [(row.kind, row.record_label, row.actor_name) for row in response.context["page"].object_list]


def history(model, obj_id):
    return list(model.objects.filter(pgh_obj_id=obj_id).order_by("pgh_id"))


# --- Record history: every kind of write --------------------------------------------------------


def test_a_ledger_import_is_recorded_row_by_row_with_the_importing_user(client, staff, grid, leader):
    from tests.factories import BuildingFactory

    BuildingFactory(grid=grid, address=ADDRESS)
    client.force_login(staff)

    response = upload(client, xlsx(good_rows(grid)))

    assert response.status_code == 302
    inserted = ResidentHistory.objects.filter(pgh_label="insert").select_related("pgh_context")
    assert sorted(e.name for e in inserted) == ["张伟", "张建国", "李秀英", "王芳", "赵磊"]
    assert {(e.pgh_context.metadata["user"], e.pgh_context.metadata["url"]) for e in inserted} == {
        (staff.pk, reverse("residents:ledger_import"))
    }
    assert HouseholdHistory.objects.filter(pgh_label="insert").count() == 2
    # The leader of the community reads it on the audit page, under the importing user's name.
    shown = rows_of(page_of(client, leader, record_model="residents.resident", kind="insert"))
    assert len(shown) == 5
    assert {actor for _kind, _record, actor in shown} == {"s"}


def test_bulk_update_and_queryset_update_are_recorded_with_before_and_after(grid, superuser):
    first, second = ResidentFactory(household__grid=grid, name="张一"), ResidentFactory(name="李二")
    household = first.household
    with services.command_context("test_bulk"):
        first.name, second.name = "张一改", "李二改"
        Resident.objects.bulk_update([first, second], ["name"])
        Household.objects.filter(pk=household.pk).update(note="楼上漏水")

    assert [e.pgh_label for e in history(ResidentHistory, first.pk)] == ["insert", "update"]
    assert history(ResidentHistory, second.pk)[-1].name == "李二改"
    assert [(e.pgh_label, e.note) for e in history(HouseholdHistory, household.pk)] == [
        ("insert", ""),
        ("update", "楼上漏水"),
    ]
    filters = selectors.AuditFilters(record_model="residents.resident", record_id=first.pk, kind="update")
    (row,) = selectors.page_rows(selectors.audit_rows(superuser, filters))
    assert row.command == "test_bulk"
    assert [(c.field, c.before, c.after) for c in row.changes] == [("name", "张一", "张一改")]
    filters = selectors.AuditFilters(
        record_model="residents.household", record_id=household.pk, kind="update"
    )
    (row,) = selectors.page_rows(selectors.audit_rows(superuser, filters))
    assert [(c.field, c.before, c.after) for c in row.changes] == [("note", "", "楼上漏水")]


def test_an_update_that_changes_nothing_is_not_recorded(grid):
    household = HouseholdFactory(grid=grid)
    Household.objects.filter(pk=household.pk).update(note="")
    assert [e.pgh_label for e in history(HouseholdHistory, household.pk)] == ["insert"]


def test_raw_sql_and_copy_are_recorded(grid):
    household = HouseholdFactory(grid=grid)
    dwelling = DwellingFactory(building__grid=grid)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE residents_household SET note = %s WHERE id = %s", ["直接改库", household.pk])
        now = timezone.now().isoformat()
        with cursor.copy(
            "COPY residents_household (dwelling_id, grid_id, status, note, created_at, updated_at) FROM STDIN"
        ) as copy:
            copy.write_row((dwelling.pk, grid.pk, "active", "COPY 导入", now, now))

    assert history(HouseholdHistory, household.pk)[-1].note == "直接改库"
    copied = Household.objects.get(note="COPY 导入")
    assert [e.pgh_label for e in history(HouseholdHistory, copied.pk)] == ["insert"]


def test_a_delete_keeps_the_row_as_it_was(grid, worker):
    member = ResidentFactory(household__grid=grid, political_status=Resident.PoliticalStatus.PARTY_MEMBER)
    link = LiaisonLink.objects.create(
        party_member=member, household=HouseholdFactory(grid=grid), since=datetime.date(2025, 1, 1)
    )
    link_id = link.pk
    link.delete()
    assert [(e.pgh_label, e.party_member_id) for e in history(LiaisonLinkHistory, link_id)] == [
        ("insert", member.pk),
        ("delete", member.pk),
    ]


# --- Application events -------------------------------------------------------------------------


def test_a_reveal_is_in_the_audit_of_the_residents_grid(client, worker, grid, leader, other_leader):
    resident = ResidentFactory(household__grid=grid)
    resident_services.resident_reveal(
        user=worker, resident=resident, field=SensitiveField.PHONE, reason=RevealReason.CONTACT
    )

    event = AuditEvent.objects.get(kind=AuditEvent.Kind.REVEAL)
    assert (event.user, event.grid, event.record_model, event.record_id) == (
        worker,
        grid,
        "residents.resident",
        resident.pk,
    )
    shown = page_of(client, leader, kind="reveal").context["page"].object_list
    assert [(r.actor_name, r.note) for r in shown] == [("w", "联系电话 · 联系居民")]
    assert rows_of(page_of(client, other_leader, kind="reveal")) == []


def test_a_full_number_search_is_in_the_audit_found_or_not(client, worker, grid, leader, superuser):
    """A search by a full number is a reveal: the one that found a resident is in the resident's grid, the
    one that found nobody has no record and no grid, so superusers read it."""
    resident = ResidentFactory(household__grid=grid, phone="13893215678")
    client.force_login(worker)
    client.post(reverse("residents:search"), {"q": "13893215678"}, follow=True)
    client.post(reverse("residents:search"), {"q": "13893210000"}, follow=True)

    events = AuditEvent.objects.filter(kind=AuditEvent.Kind.REVEAL).order_by("id")
    assert [(e.record_id, e.grid_id) for e in events] == [(resident.pk, grid.pk), (None, None)]
    [shown] = page_of(client, leader, kind="reveal").context["page"].object_list
    assert shown.note == "联系电话 · 按完整号码查询"
    assert len(page_of(client, superuser, kind="reveal").context["page"].object_list) == 2


def test_the_dashboard_export_and_the_monthly_report_are_recorded(client, leader, grid):
    client.force_login(leader)
    scope = f"community:{grid.community_id}"
    assert client.get(reverse("dashboard:export"), {"scope": scope}).status_code == 200
    assert client.get(reverse("dashboard:report"), {"scope": scope, "month": "2026-10"}).status_code == 200

    records = list(ExportRecord.objects.order_by("id").values_list("user__username", "kind", "filters"))
    assert [(user, kind, filters["scope"]) for user, kind, filters in records] == [
        ("leader", "dashboard", scope),
        ("leader", "monthly_report", scope),
    ]
    assert records[1][2]["date_from"] == "2026-10-01"
    events = AuditEvent.objects.filter(kind=AuditEvent.Kind.EXPORT).order_by("id")
    assert [(e.details["export"], e.community_id) for e in events] == [
        ("dashboard", grid.community_id),
        ("monthly_report", grid.community_id),
    ]


def test_a_ledger_export_is_in_the_audit(client, staff, grid, leader):
    ResidentFactory(household__grid=grid)
    client.force_login(staff)
    assert client.get(reverse("residents:ledger_export"), {"grid": grid.pk}).status_code == 200

    event = AuditEvent.objects.get(kind=AuditEvent.Kind.EXPORT)
    assert (event.user, event.grid, event.details["export"], event.details["row_count"]) == (
        staff,
        grid,
        "residents",
        1,
    )
    assert rows_of(page_of(client, leader, kind="export")) == [("export", "", "s")]


def test_login_failed_login_and_logout_are_recorded_without_the_password(client, worker):
    login = reverse("login")
    client.post(login, {"username": "w", "password": "wrong-guess-123"}, REMOTE_ADDR="10.1.2.3")
    client.post(login, {"username": "w", "password": PASSWORD}, REMOTE_ADDR="10.1.2.4")
    client.post(reverse("logout"), REMOTE_ADDR="10.1.2.4")

    events = list(AuditEvent.objects.order_by("id").values_list("kind", "user", "username", "address"))
    assert events == [
        ("login_failed", None, "w", "10.1.2.3"),
        ("login", worker.pk, "w", "10.1.2.4"),
        ("logout", worker.pk, "w", "10.1.2.4"),
    ]
    stored = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert "wrong-guess-123" not in stored
    assert PASSWORD not in stored


def test_a_record_refused_to_a_logged_in_user_is_recorded(client, worker, other_grid):
    household = HouseholdFactory(grid=other_grid)
    client.force_login(worker)

    assert client.get(reverse("household_file", args=[household.pk])).status_code == 404
    assert client.get(reverse("audit:list")).status_code == 403
    assert client.get("/no-such-page/").status_code == 404  # names no record: not kept

    refused = list(
        AuditEvent.objects.filter(kind="refused").order_by("id").values_list("kind", "user", "path", "status")
    )
    assert refused == [
        ("refused", worker.pk, reverse("household_file", args=[household.pk]), 404),
        ("refused", worker.pk, reverse("audit:list"), 403),
    ]


def test_refusals_of_anonymous_users_are_not_recorded(client, other_grid):
    client.get(reverse("household_file", args=[HouseholdFactory(grid=other_grid).pk]))
    assert not AuditEvent.objects.exists()


# --- The audit page: who may read it, and what each reader sees --------------------------------


@pytest.mark.parametrize("fixture", ["worker", "staff", "building_head"])
def test_the_audit_page_is_for_leaders_only(client, request, fixture):
    client.force_login(request.getfixturevalue(fixture))
    assert client.get(reverse("audit:list")).status_code == 403
    assert client.get(reverse("audit:export")).status_code == 403


def test_a_community_leader_sees_only_their_communitys_records(
    client, grid, other_grid, leader, other_leader
):
    ours = ResidentFactory(household__grid=grid, name="本社区")
    theirs = ResidentFactory(household__grid=other_grid, name="外社区")
    services.login_record(user=leader, address="10.0.0.1")  # no grid: superusers only

    mine = rows_of(page_of(client, leader, record_model="residents.resident"))
    assert mine == [("insert", f"居民 #{ours.pk}", "")]
    others = rows_of(page_of(client, other_leader, record_model="residents.resident"))
    assert others == [("insert", f"居民 #{theirs.pk}", "")]
    assert rows_of(page_of(client, leader, kind="login")) == []


def test_a_street_leader_sees_the_streets_grids_and_a_superuser_everything(
    client, grid, other_grid, street_leader, superuser
):
    ResidentFactory(household__grid=grid)
    ResidentFactory(household__grid=other_grid)
    services.login_record(user=street_leader, address=None)
    street = rows_of(page_of(client, street_leader, record_model="residents.resident"))
    assert len(street) == 1
    everything = rows_of(page_of(client, superuser))
    assert ("login", "", "sl") in everything
    assert sum(1 for kind, record, _a in everything if record.startswith("居民")) == 2


def test_the_page_hides_id_numbers_phones_and_birth_dates(client, grid, leader):
    resident = ResidentFactory(household__grid=grid)
    Resident.objects.filter(pk=resident.pk).update(phone="13900001111")
    page = page_of(client, leader, record_model="residents.resident").content.decode()
    assert resident.id_number not in page
    assert "13900001111" not in page
    assert resident.birth_date.isoformat() not in page
    assert "（已更改）" in page
    assert resident.name in page


def test_the_filters_by_person_record_kind_and_days(client, grid, leader, worker, staff):
    first = ResidentFactory(household__grid=grid)
    second = ResidentFactory(household__grid=grid)
    resident_services.resident_reveal(
        user=worker, resident=first, field=SensitiveField.PHONE, reason=RevealReason.CONTACT
    )
    resident_services.resident_reveal(
        user=staff, resident=second, field=SensitiveField.ID_NUMBER, reason=RevealReason.VERIFY
    )
    AuditEvent.objects.create(
        kind=AuditEvent.Kind.REVEAL, user=worker, grid=grid, at=timezone.now() - datetime.timedelta(days=40)
    )

    by_person = rows_of(page_of(client, leader, username="W", kind="reveal"))
    assert [actor for _k, _r, actor in by_person] == ["w", ""]
    by_record = page_of(client, leader, record_model="residents.resident", record_id=second.pk)
    assert [(r.kind, r.obj_id) for r in by_record.context["page"].object_list] == [
        ("reveal", second.pk),
        ("insert", second.pk),
    ]
    today = timezone.localdate().isoformat()
    by_days = rows_of(page_of(client, leader, kind="reveal", date_from=today, date_to=today))
    assert len(by_days) == 2
    assert rows_of(page_of(client, leader, kind="login")) == []


@pytest.mark.parametrize(
    "query",
    [
        {"date_to": "9999-12-31"},
        {"date_from": "0001-01-01"},
        {"record_id": "1" * 23},
        {"kind": "nonsense"},
        {"date_from": "2026-05-02", "date_to": "2026-05-01"},
    ],
)
def test_a_wrong_filter_is_a_message_not_a_500(client, leader, query):
    response = page_of(client, leader, **query)
    assert "筛选条件有误" in response.content.decode()
    client.force_login(leader)
    export = client.get(reverse("audit:export"), query)
    assert export.status_code == 302


def test_the_page_says_when_record_history_is_not_kept(client, leader, monkeypatch):
    monkeypatch.setattr(selectors, "history_available", lambda: False)
    page = page_of(client, leader).content.decode()
    assert "不记录各条记录的修改历史" in page


# Committed rows (not one test transaction): inside one transaction every history row has the same
# time, so which kinds of record reach the first page would depend on each table's id sequence, and
# those depend on the tests run before this one.
@pytest.mark.django_db(transaction=True)
def test_the_page_takes_the_same_queries_for_one_and_ten_pages_of_events(client, grid, leader):
    def count():
        client.force_login(leader)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("audit:list")).status_code == 200
        return len(queries)

    # The page's queries depend on which kinds of record are on it (one query each) and on whether any
    # row names a user, not on how many rows there are. So both rounds fill the first page with the
    # same kinds (the newest households and residents, written by a signed-in user) and only the total
    # grows.
    with pghistory.context(user=leader.pk):
        for _ in range(10):
            ResidentFactory(household__grid=grid)
    one_page = count()
    with pghistory.context(user=leader.pk):
        for _ in range(90):
            ResidentFactory(household__grid=grid)
    # session, user, the user's roles, the grids and communities in scope, the union's count and page,
    # the page's users, and for each kind of record on it its rows and their earlier versions.
    assert count() == one_page


def test_the_audit_exports_to_xlsx_and_records_the_export(client, grid, leader):
    resident = ResidentFactory(household__grid=grid, name="=HYPERLINK(1)")
    client.force_login(leader)
    response = client.get(reverse("audit:export"), {"record_model": "residents.resident"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("时间", "类型", "操作人", "记录")
    assert [(r[1], r[3]) for r in rows[1:]] == [("新增", f"居民 #{resident.pk}")]
    assert resident.id_number not in json.dumps(rows, default=str)
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.EXPORT)
    assert (event.user, event.details["export"], event.details["row_count"]) == (leader, "audit", 1)


# --- Nobody changes the audit -------------------------------------------------------------------


def test_the_admin_is_read_only_even_for_superusers(client, superuser, grid):
    event = services.login_record(user=superuser, address=None)
    client.force_login(superuser)
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:audit_auditevent_delete", args=[event.pk])).status_code == 403
    change = reverse("admin:audit_auditevent_change", args=[event.pk])
    client.post(change, {"kind": "logout", "username": "someone"})
    event.refresh_from_db()
    assert (event.kind, event.username) == ("login", "root")
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label == "audit":
            request = type("R", (), {"user": superuser})()
            assert not model_admin.has_add_permission(request)
            assert not model_admin.has_change_permission(request)
            assert not model_admin.has_delete_permission(request)


@pytest.mark.parametrize(
    ("model", "change"),
    [
        (AuditEvent, {"username": "someone"}),
        (ResidentHistory, {"name": "某人"}),
        (HouseholdHistory, {"note": "x"}),
    ],
)
def test_the_database_refuses_to_update_or_delete_audit_rows(grid, worker, model, change):
    services.login_record(user=worker, address=None)
    ResidentFactory(household__grid=grid)
    assert model.objects.exists()
    for write in (lambda rows: rows.update(**change), lambda rows: rows.delete()):
        with pytest.raises(DatabaseError), transaction.atomic():
            write(model.objects.all())
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {model._meta.db_table}")
    assert model.objects.exists()


def test_other_grids_do_not_leak_through_the_record_filter(client, other_grid, leader):
    theirs = ResidentFactory(household__grid=other_grid)
    shown = rows_of(page_of(client, leader, record_model="residents.resident", record_id=theirs.pk))
    assert shown == []


def test_command_context_names_the_command(grid):
    with services.command_context("load_demo"):
        household = HouseholdFactory(grid=GridFactory())
    (event,) = history(HouseholdHistory, household.pk)
    assert event.pgh_context.metadata == {"command": "load_demo"}


def test_the_district_generator_writes_no_history_even_through_copy():
    call_command("generate_district", households=40, seed=7, stdout=io.StringIO())

    assert Household.objects.count() == 40
    assert not HouseholdHistory.objects.exists()
    assert not ResidentHistory.objects.exists()
    # The flag lasted only for the generator's transaction: a write after it is recorded again.
    household = HouseholdFactory(grid=GridFactory())
    assert [e.pgh_label for e in history(HouseholdHistory, household.pk)] == ["insert"]


def test_leaders_find_the_audit_from_the_dashboard_and_others_do_not(client, leader, worker, superuser):
    link = 'href="{}"'.format(reverse("audit:list"))
    client.force_login(leader)
    assert link in client.get(reverse("dashboard:index")).content.decode()
    client.force_login(worker)
    assert link not in client.get(reverse("dashboard:index")).content.decode()
    client.force_login(superuser)
    assert link in client.get(reverse("home"), follow=True).content.decode()


# --- Community-wide records (co-governance) ---------------------------------------------------------------


def test_volunteers_sign_ups_needs_and_projects_are_on_their_communitys_audit_page(
    client, grid, leader, other_leader
):
    from projects.models import Need, Project
    from tests.test_projects import need_in, project_in
    from volunteers.models import Activity, ActivitySignUp, Volunteer

    staff = UserFactory(username="audit-staff")
    assign(staff, Role.COMMUNITY_STAFF, grid.community)
    community = grid.community
    with pghistory.context(user=staff.pk):
        volunteer = Volunteer.objects.create(community=community, name="孙志愿", phone="13900001111")
        start = timezone.now() - datetime.timedelta(hours=3)
        activity = Activity.objects.create(
            community=community,
            title="学雷锋清洁",
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=2),
            place="黄河边",
            created_by=staff,
        )
        sign_up = ActivitySignUp.objects.create(activity=activity, volunteer=volunteer)
        need = need_in(community, staff, title="楼道扶手")
        project = project_in("claimed", community, staff, title="陪诊")
    labels = {label for _kind, label, _actor in rows_of(page_of(client, leader))}
    for model, pk in [
        (Volunteer, volunteer.pk),
        (ActivitySignUp, sign_up.pk),
        (Need, need.pk),
        (Project, project.pk),
    ]:
        assert f"{model._meta.verbose_name} #{pk}" in labels
    page = page_of(client, leader, record_model="volunteers.volunteer").content.decode()
    assert "13900001111" not in page  # the volunteer's phone is never printed
    # another community's leader sees none of it
    assert rows_of(page_of(client, other_leader, record_model="projects.need")) == []
    assert rows_of(page_of(client, other_leader, record_model="volunteers.activitysignup")) == []
