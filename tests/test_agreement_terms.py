"""Agreement terms tracked after the case: marked done (who, when), overdue on the desk, open on the case."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases import selectors, services
from cases.models import AgreementTerm
from grids.models import Role
from tests.factories import UserFactory, assign, case_in
from tests.test_case_meetings import in_days, meeting_data, record

pytestmark = pytest.mark.django_db


def _archived_with_terms(grid, staff, worker, terms):
    """A case whose consultation agreed on `terms`, then resolved, followed up and archived."""
    case = case_in("in_consultation", grid, staff=staff, worker=worker)
    meeting = record(case, worker, terms=terms)
    for action, actor, params in [
        ("resolve", worker, {"note": "达成协议"}),
        ("follow_up", staff, {"resolved": True, "satisfaction": "satisfied"}),
        ("close", staff, {}),
    ]:
        case = services.case_transition(case=case, action=action, actor=actor, **params)
    assert case.status == "closed"
    return case, list(meeting.terms.order_by("id"))


def test_term_is_marked_done_after_the_case_is_archived(client, grid, staff, worker):
    case, [late, later] = _archived_with_terms(
        grid, staff, worker, [("施工方", "修复热水器", in_days(-2)), ("物业", "加装护栏", in_days(10))]
    )
    client.force_login(staff)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert html.count("逾期未完成") == 1
    assert html.count(">未完成<") == 1
    assert reverse("cases:term_done", args=[late.pk]) in html

    response = client.post(reverse("cases:term_done", args=[late.pk]), {"note": "已修复并验收"})
    assert response.status_code == 302
    late.refresh_from_db()
    assert (late.done_by, late.done_note) == (staff, "已修复并验收")
    assert timezone.now() - late.done_at < datetime.timedelta(minutes=1)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "逾期未完成" not in html
    assert "已修复并验收" in html
    assert reverse("cases:term_done", args=[late.pk]) not in html
    assert reverse("cases:term_done", args=[later.pk]) in html


def test_term_marked_twice_says_who_did_it_first(client, grid, staff, worker):
    _case, [term] = _archived_with_terms(grid, staff, worker, [("施工方", "修复热水器", in_days(3))])
    services.agreement_term_done(term=term, actor=worker)
    client.force_login(staff)
    response = client.post(reverse("cases:term_done", args=[term.pk]), follow=True)
    assert "该条款已由" in response.content.decode()
    term.refresh_from_db()
    assert term.done_by == worker


def test_term_done_is_refused_to_the_street_and_hidden_outside_the_scope(
    client, grid, other_grid, staff, worker, street_leader
):
    _case, [term] = _archived_with_terms(grid, staff, worker, [("施工方", "修复热水器", in_days(3))])
    client.force_login(street_leader)
    assert client.post(reverse("cases:term_done", args=[term.pk])).status_code == 403
    outsider = UserFactory(username="outsider")
    assign(outsider, Role.COMMUNITY_STAFF, other_grid.community)
    client.force_login(outsider)
    assert client.post(reverse("cases:term_done", args=[term.pk])).status_code == 404
    term.refresh_from_db()
    assert term.done_at is None


def test_desk_shows_overdue_terms_until_done(client, grid, staff, worker):
    case, [late, later] = _archived_with_terms(
        grid, staff, worker, [("施工方", "修复热水器", in_days(-1)), ("物业", "加装护栏", in_days(1))]
    )
    client.force_login(staff)
    html = client.get(reverse("cases:desk")).content.decode()
    assert "逾期未完成的协议条款" in html
    assert "修复热水器" in html
    assert "加装护栏" not in html  # due, not overdue
    services.agreement_term_done(term=late, actor=staff)
    assert "修复热水器" not in client.get(reverse("cases:desk")).content.decode()


def test_terms_due_selector_for_a_users_scope(grid, other_grid, staff, worker):
    today = timezone.localdate()
    _case, terms = _archived_with_terms(
        grid,
        staff,
        worker,
        [
            ("甲", "逾期", in_days(-1)),
            ("乙", "三天内", in_days(3)),
            ("丙", "下周", in_days(7)),
            ("丁", "承诺事项", None),
            ("戊", "已完成", in_days(-3)),
        ],
    )
    services.agreement_term_done(term=terms[4], actor=staff)
    due = selectors.agreement_terms_due(staff, today=today)
    assert [t.party for t in due] == ["甲", "乙"]
    assert [t.party for t in due.filter(due__lt=today)] == ["甲"]
    outsider = UserFactory(username="outsider")
    assign(outsider, Role.COMMUNITY_STAFF, other_grid.community)
    assert list(selectors.agreement_terms_due(outsider, today=today)) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="record history is kept by PostgreSQL triggers")
def test_term_done_leaves_a_history_row(grid, staff, worker):
    from audit.models import AgreementTermHistory  # here: the other tests do not need the audit app

    _case, [term] = _archived_with_terms(grid, staff, worker, [("施工方", "修复热水器", in_days(3))])
    services.agreement_term_done(term=term, actor=staff, note="已修复")
    rows = list(
        AgreementTermHistory.objects.filter(pgh_obj=term)
        .order_by("pgh_id")
        .values_list("pgh_label", "done_by_id")
    )
    assert rows == [("insert", None), ("update", staff.pk)]


def test_meeting_form_takes_an_undertaking_without_a_deadline(client, grid, staff, worker):
    case = case_in("in_consultation", grid, staff=staff, worker=worker)
    client.force_login(worker)
    response = client.post(
        reverse("cases:meeting_new", args=[case.pk]),
        meeting_data(
            terms=[("施工方", "今后施工前先通知住户", ""), ("赵女士", "提供旧热水器", in_days(2).isoformat())]
        ),
    )
    assert response.status_code == 302
    terms = list(AgreementTerm.objects.filter(meeting__case=case).order_by("id").values_list("action", "due"))
    assert terms == [("今后施工前先通知住户", None), ("提供旧热水器", in_days(2))]
    meeting = case.meetings.get()
    html = client.get(reverse("cases:agreement", args=[meeting.pk])).content.decode()
    assert "承诺事项" in html
