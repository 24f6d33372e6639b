"""Community deliberation (居民议事): its workflow table (every state x action x role), the row lock, the
meeting and agreement it shares with a case's consultation, scoping, the list's queries and bad input."""

import datetime
import threading

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit import selectors as audit_selectors
from cases import deliberation_workflow, services, services_deliberations
from cases.models import (
    AgreementTerm,
    Deliberation,
    DeliberationAction,
    DeliberationStatus,
    Meeting,
)
from cases.selectors import agreement_terms_due
from grids.models import Role
from notifications.selectors import terms_due
from tests.factories import GridFactory, UserFactory, assign, case_in
from tests.test_case_meetings import in_days, meeting_data
from tests.test_case_meetings import record as record_case_meeting

pytestmark = pytest.mark.django_db

S, A = DeliberationStatus, DeliberationAction
NEIGHBOURS = [
    services.ParticipantEntry(role="resident_representative", name="王阿姨"),
    services.ParticipantEntry(role="party_member", name="李师傅"),
    services.ParticipantEntry(role="staff", name="社区小张"),
]


def an_hour_ago() -> datetime.datetime:
    return (timezone.now() - datetime.timedelta(hours=1)).replace(second=0, microsecond=0)


def gather(community, actor, *, title="靖远路小巷改造", grid=None, **more) -> Deliberation:
    topic = services_deliberations.Topic(
        community=community,
        grid=grid,
        title=title,
        description=more.pop("description", "小巷路面坑洼、晚上没有灯。"),
        suggestions=more.pop("suggestions", "3号楼 王阿姨：装路灯\n5号楼 李师傅：墙面彩绘"),
    )
    return services_deliberations.deliberation_gather(topic=topic, actor=actor, **more)


def meet(deliberation, actor, *, outcome="agreement", terms=None, expected_status=None) -> Meeting:
    if terms is None:
        terms = [services.TermEntry(party="社区", action="联系施工队铺路、装灯", due=in_days(30))]
    return services_deliberations.deliberation_meeting_record(
        deliberation=deliberation,
        actor=actor,
        record=services.MeetingRecord(
            held_at=an_hour_ago(),
            place="社区议事厅",
            chair="社区书记",
            question="小巷怎么改",
            minutes="居民代表、党员、共建单位到场商量。",
            outcome=outcome,
            participants=NEIGHBOURS,
            terms=terms if outcome in ("agreement", "partial") else [],
        ),
        expected_status=expected_status,
    )


def act(deliberation, action, actor, note="说明", **more) -> Deliberation:
    return services_deliberations.deliberation_transition(
        deliberation=deliberation, action=action, actor=actor, note=note, **more
    )


def walk(state: str, community, staff) -> Deliberation:
    """A deliberation brought to `state` along the table, with its guards met on the way."""
    d = gather(community, staff)
    path = {
        S.GATHERED: [],
        S.DROPPED: [(A.DROP, "与小区物业职责重复")],
        S.FIXED: [(A.FIX, "")],
        S.DELIBERATED: [(A.FIX, ""), (A.RECORD_MEETING, "")],
        # Its agreed terms already done, so it may be carried out.
        S.DECIDED: [(A.FIX, ""), (A.RECORD_MEETING, ""), (A.DECIDE, "改造成特色小巷"), ("terms", "")],
        S.CARRIED_OUT: [
            (A.FIX, ""),
            (A.RECORD_MEETING, ""),
            (A.DECIDE, "改造成特色小巷"),
            ("terms", ""),
            (A.CARRY_OUT, "路面铺好，路灯装好"),
        ],
        S.REPORTED_BACK: [
            (A.FIX, ""),
            (A.RECORD_MEETING, ""),
            (A.DECIDE, "改造成特色小巷"),
            ("terms", ""),
            (A.CARRY_OUT, "路面铺好，路灯装好"),
            (A.REPORT_BACK, "公示栏张贴改造结果"),
        ],
    }[state]
    for action, note in path:
        if action == A.RECORD_MEETING:
            meet(d, staff)
        elif action == "terms":
            for term in AgreementTerm.objects.filter(meeting__deliberation=d):
                services.agreement_term_done(term=term, actor=staff)
        else:
            d = act(d, action, staff, note)
    d.refresh_from_db()
    assert d.status == state
    return d


@pytest.fixture
def community(grid):
    return grid.community


@pytest.fixture
def leader(grid):
    user = UserFactory(username="cl")
    assign(user, Role.COMMUNITY_LEADER, grid.community)
    return user


@pytest.fixture
def outsider(other_grid):
    user = UserFactory(username="out")
    assign(user, Role.COMMUNITY_STAFF, other_grid.community)
    return user


# --- the table -------------------------------------------------------------------------------------

# Spelled out here, not read from the table: the moves DOMAIN.md's steps allow (state, action) -> target.
# The community's staff and leader make every one; grid workers and street leaders none.
EXPECTED_MOVES = {
    (S.GATHERED, A.FIX): S.FIXED,
    (S.GATHERED, A.DROP): S.DROPPED,
    (S.FIXED, A.RECORD_MEETING): S.DELIBERATED,
    (S.FIXED, A.DROP): S.DROPPED,
    (S.DELIBERATED, A.RECORD_MEETING): S.DELIBERATED,
    (S.DELIBERATED, A.DECIDE): S.DECIDED,
    (S.DECIDED, A.CARRY_OUT): S.CARRIED_OUT,
    (S.CARRIED_OUT, A.REPORT_BACK): S.REPORTED_BACK,
}
MOVERS = {"staff", "leader"}
ROLES = ["staff", "leader", "worker", "street_leader"]


def test_the_table_is_the_expected_one():
    table = {key: move.to for key, move in deliberation_workflow.WORKFLOW.items() if key[0] is not None}
    assert table == EXPECTED_MOVES
    assert deliberation_workflow.WORKFLOW[(None, A.GATHER)].who == {"staff", "worker"}


@pytest.mark.parametrize("action", deliberation_workflow.USER_ACTIONS)
@pytest.mark.parametrize("state", list(S))
def test_every_state_action_and_role(request, community, staff, state, action):
    d = walk(state, community, staff)
    events_before = d.events.count()
    for role in ROLES:
        actor = request.getfixturevalue(role)
        expected = EXPECTED_MOVES.get((state, action)) if role in MOVERS else None

        def attempt(actor=actor):
            if action == A.RECORD_MEETING:
                meet(d, actor, expected_status=state)
            else:
                act(d, action, actor, "理由", expected_status=state)

        # Each role tries on the same deliberation; what a move changed is undone before the next.
        with transaction.atomic():
            if expected is None:
                with pytest.raises(services_deliberations.DeliberationActionRefused):
                    attempt()
                d.refresh_from_db()
                assert (role, d.status, d.events.count()) == (role, state, events_before)
            else:
                attempt()
                d.refresh_from_db()
                last = d.events.latest("id")
                assert (role, d.status, d.events.count()) == (role, expected, events_before + 1)
                assert (last.action, last.from_status, last.to_status, last.actor) == (
                    action,
                    state,
                    expected,
                    actor,
                )
            transaction.set_rollback(True)
        d.refresh_from_db()


def test_each_step_stamps_its_time_and_keeps_its_text(community, staff):
    d = walk(S.REPORTED_BACK, community, staff)
    assert None not in (d.fixed_at, d.deliberated_at, d.decided_at, d.carried_out_at, d.reported_at)
    assert (d.decision, d.carried_out_note, d.report_back) == (
        "改造成特色小巷",
        "路面铺好，路灯装好",
        "公示栏张贴改造结果",
    )
    assert d.dropped_at is None
    assert list(d.events.values_list("action", flat=True)) == [
        "gather", "fix", "record_meeting", "decide", "carry_out", "report_back",
    ]  # fmt: skip


def test_a_second_meeting_keeps_the_time_of_the_first(community, staff):
    d = walk(S.DELIBERATED, community, staff)
    first = d.deliberated_at
    second = meet(d, staff, outcome="none")
    d.refresh_from_db()
    assert (second.round, d.deliberated_at) == (2, first)


def test_a_decision_needs_a_meeting_that_agreed(community, staff):
    d = walk(S.FIXED, community, staff)
    meet(d, staff, outcome="adjourned")
    with pytest.raises(ValidationError, match="还没有达成协议的议事会"):
        act(d, A.DECIDE, staff, "决议")
    meet(d, staff, outcome="partial")
    assert act(d, A.DECIDE, staff, "决议").status == S.DECIDED


def test_carried_out_only_when_every_agreed_term_is_done(community, staff):
    d = act(walk(S.DELIBERATED, community, staff), A.DECIDE, staff, "改造成特色小巷")
    with pytest.raises(ValidationError, match="还有未完成的协议条款"):
        act(d, A.CARRY_OUT, staff, "已执行")
    for term in AgreementTerm.objects.filter(meeting__deliberation=d):
        services.agreement_term_done(term=term, actor=staff, note="已完工")
    assert act(d, A.CARRY_OUT, staff, "已执行").status == S.CARRIED_OUT


@pytest.mark.parametrize(("state", "action"), [(S.GATHERED, A.DROP), (S.DELIBERATED, A.DECIDE)])
def test_a_required_note_is_asked_for(community, staff, state, action):
    d = walk(state, community, staff)
    with pytest.raises(ValidationError) as error:
        act(d, action, staff, "   ")
    assert list(error.value.message_dict) == ["note"]
    d.refresh_from_db()
    assert d.status == state


def test_the_database_refuses_a_decided_deliberation_without_its_decision(community, staff):
    d = walk(S.DECIDED, community, staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        Deliberation.objects.filter(pk=d.pk).update(decision="")


def test_a_stale_page_is_told_who_moved_first(community, staff, leader):
    leader.first_name = "马书记"
    leader.save(update_fields=["first_name"])
    d = gather(community, staff)
    act(d, A.FIX, leader, "", expected_status=S.GATHERED)
    with pytest.raises(
        services_deliberations.DeliberationConflict, match="马书记 已于 .* 确定议题，议事现为“已确定议题”"
    ):
        act(d, A.DROP, staff, "重复", expected_status=S.GATHERED)


# --- gathering ---------------------------------------------------------------------------------------


def test_grid_workers_and_the_desk_gather_street_leaders_and_outsiders_do_not(
    community, worker, staff, street_leader, outsider
):
    assert gather(community, worker).created_by == worker
    assert gather(community, staff).status == S.GATHERED
    for refused in (street_leader, outsider):
        with pytest.raises(services_deliberations.DeliberationActionRefused):
            gather(community, refused)


def test_a_topic_names_a_grid_of_its_own_community(community, staff, other_grid):
    with pytest.raises(ValidationError) as error:
        gather(community, staff, grid=other_grid)
    assert error.value.message_dict == {"grid": ["该网格不属于所选社区。"]}
    with pytest.raises(ValidationError) as error:
        gather(community, staff, title=" ", description="")
    assert sorted(error.value.message_dict) == ["description", "title"]


# --- concurrency -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_moves_at_once_one_wins_and_the_other_is_told_why(grid):
    first, second = UserFactory(username="a1", first_name="甲"), UserFactory(username="a2", first_name="乙")
    for user in (first, second):
        assign(user, Role.COMMUNITY_STAFF, grid.community)
    for _round in range(3):
        d = gather(grid.community, first)
        barrier = threading.Barrier(2, timeout=15)
        outcomes: dict = {}

        def press(user_id, action, note, d_id=d.pk, barrier=barrier, outcomes=outcomes):
            try:
                user = get_user_model().objects.get(pk=user_id)
                page = Deliberation.objects.get(pk=d_id)
                barrier.wait()
                act(page, action, user, note, expected_status=page.status)
                outcomes[action] = "moved"
            except Exception as error:  # handed to the test
                outcomes[action] = error
            finally:
                connection.close()

        threads = [
            threading.Thread(target=press, args=(first.pk, A.FIX, "")),
            threading.Thread(target=press, args=(second.pk, A.DROP, "不予立项")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=15)
        won = [action for action, outcome in outcomes.items() if outcome == "moved"]
        lost = [o for o in outcomes.values() if isinstance(o, services_deliberations.DeliberationConflict)]
        assert (len(won), len(lost)) == (1, 1), outcomes
        d.refresh_from_db()
        assert d.status == {A.FIX: S.FIXED, A.DROP: S.DROPPED}[won[0]]
        assert list(d.events.values_list("action", flat=True)) == ["gather", won[0]]
        assert "议事现为" in str(lost[0])


# --- the meeting and the agreement a case and a deliberation share -----------------------------------


def test_a_case_meeting_and_a_deliberation_meeting_share_the_model_and_the_agreement_page(
    client, grid, community, staff, worker
):
    case = case_in("in_consultation", grid, staff=staff, worker=worker)
    of_case = record_case_meeting(case, staff)
    of_deliberation = meet(walk(S.FIXED, community, staff), staff)
    assert type(of_case) is type(of_deliberation) is Meeting
    assert (of_case.case, of_case.deliberation_id) == (case, None)
    assert of_deliberation.case_id is None
    client.force_login(staff)
    for meeting, reference in (
        (of_case, case.number),
        (of_deliberation, "居民议事：靖远路小巷改造 · 第1轮协商"),
    ):
        response = client.get(reverse("cases:agreement", args=[meeting.pk]))
        assert response.status_code == 200
        assert [t.name for t in response.templates][0] == "cases/agreement.html"
        html = response.content.decode()
        assert reference in html
        assert community.name in html
        assert html.count('class="term"') == 1


def test_a_meeting_belongs_to_exactly_one_case_or_deliberation(grid, community, staff, worker):
    case = case_in("in_consultation", grid, staff=staff, worker=worker)
    meeting = record_case_meeting(case, staff)
    d = gather(community, staff)
    for case_id, deliberation_id in ((case.pk, d.pk), (None, None)):
        with pytest.raises(IntegrityError), transaction.atomic():
            Meeting.objects.filter(pk=meeting.pk).update(case_id=case_id, deliberation_id=deliberation_id)


def test_the_meeting_form_records_a_deliberation_meeting_and_moves_it(client, community, staff):
    d = walk(S.FIXED, community, staff)
    client.force_login(staff)
    url = reverse("cases:deliberation_meeting_new", args=[d.pk])
    page = client.get(url)
    assert page.status_code == 200 and [t.name for t in page.templates][0] == "cases/meeting_form.html"
    data = meeting_data(
        expected_status="fixed",
        participants=[("resident_representative", "王阿姨", ""), ("partner_unit", "李工", "省水利厅")],
        terms=[("社区", "铺设小巷路面", in_days(20).isoformat())],
    )
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:deliberation_detail", args=[d.pk])
    d.refresh_from_db()
    assert d.status == S.DELIBERATED
    meeting = d.meetings.get()
    assert (meeting.round, meeting.participants.count(), meeting.terms.count()) == (1, 2, 1)
    # The same post again (a double tap) saves once.
    again = client.post(url, data)
    assert again.status_code == 302 and d.meetings.count() == 1


def test_a_deliberation_term_is_confirmed_done_on_the_desk_and_is_due_like_a_case_term(
    client, community, staff, worker, leader
):
    d = walk(S.DELIBERATED, community, staff)
    term = AgreementTerm.objects.get(meeting__deliberation=d)
    AgreementTerm.objects.filter(pk=term.pk).update(due=timezone.localdate() - datetime.timedelta(days=1))
    today = timezone.localdate()
    assert list(agreement_terms_due(staff, today=today)) == [term]
    assert list(terms_due(staff, timezone.now(), today)) == [term]
    client.force_login(staff)
    desk = client.get(reverse("cases:desk")).content.decode()
    assert reverse("cases:deliberation_detail", args=[d.pk]) in desk
    client.force_login(worker)  # a grid worker does not confirm a deliberation's terms
    assert client.post(reverse("cases:term_done", args=[term.pk]), {"note": "x"}).status_code == 403
    client.force_login(leader)
    response = client.post(reverse("cases:term_done", args=[term.pk]), {"note": "已铺好"})
    assert response["Location"] == reverse("cases:deliberation_detail", args=[d.pk]) + "#meetings"
    term.refresh_from_db()
    assert (term.done_by, term.done_note) == (leader, "已铺好")
    assert list(agreement_terms_due(staff, today=today)) == []


# --- pages, scoping and bad input ------------------------------------------------------------------


def test_pages_send_anonymous_users_to_login(client, community, staff):
    d = gather(community, staff)
    for url in (
        reverse("cases:deliberation_list"),
        reverse("cases:deliberation_new"),
        reverse("cases:deliberation_detail", args=[d.pk]),
    ):
        assert client.get(url)["Location"].startswith(reverse("login"))


def test_outside_the_community_every_page_is_404(client, community, staff, outsider):
    d = walk(S.DELIBERATED, community, staff)
    meeting = d.meetings.get()
    term = meeting.terms.get()
    client.force_login(outsider)
    assert client.get(reverse("cases:deliberation_detail", args=[d.pk])).status_code == 404
    assert client.post(reverse("cases:deliberation_act", args=[d.pk, "decide"]), {}).status_code == 404
    assert client.get(reverse("cases:deliberation_meeting_new", args=[d.pk])).status_code == 404
    assert client.get(reverse("cases:agreement", args=[meeting.pk])).status_code == 404
    assert client.post(reverse("cases:term_done", args=[term.pk])).status_code == 404
    listed = client.get(reverse("cases:deliberation_list")).context["page"].object_list
    assert list(listed) == []


def test_the_detail_page_offers_what_the_table_allows(client, community, staff, street_leader, worker):
    d = gather(community, worker)
    client.force_login(staff)
    html = client.get(reverse("cases:deliberation_detail", args=[d.pk])).content.decode()
    assert 'id="action-fix"' in html and 'id="action-drop"' in html
    assert "3号楼 王阿姨：装路灯" in html
    for reader in (street_leader, worker):
        client.force_login(reader)
        html = client.get(reverse("cases:deliberation_detail", args=[d.pk])).content.decode()
        assert 'id="action-' not in html and "您目前没有可对该议事执行的操作。" in html


def test_an_action_from_the_page_moves_it_and_a_missing_reason_keeps_the_form(client, community, staff):
    d = gather(community, staff)
    client.force_login(staff)
    url = reverse("cases:deliberation_act", args=[d.pk, "drop"])
    response = client.post(url, {"drop-note": "", "drop-expected_status": "gathered"})
    assert response.status_code == 400
    assert "请填写不予立项的理由。" in response.content.decode()
    response = client.post(url, {"drop-note": "属于物业职责", "drop-expected_status": "gathered"})
    assert response.status_code == 302
    d.refresh_from_db()
    assert (d.status, d.drop_reason) == (S.DROPPED, "属于物业职责")


@pytest.mark.parametrize(
    ("action", "data", "status"),
    [
        ("fix", {"fix-note": "", "fix-expected_status": "nonsense"}, 400),
        ("fix", {"fix-note": "x" * 5000, "fix-expected_status": "gathered"}, 400),
        ("gather", {}, 404),
        ("record_meeting", {}, 404),
        ("explode", {}, 404),
        ("decide", {"decide-note": "决议", "decide-expected_status": "gathered"}, 403),
    ],
)
def test_bad_action_posts_are_refused_without_a_500(client, community, staff, action, data, status):
    d = gather(community, staff)
    client.force_login(staff)
    response = client.post(reverse("cases:deliberation_act", args=[d.pk, action]), data)
    assert response.status_code == status
    d.refresh_from_db()
    assert d.status == S.GATHERED


def test_a_stale_action_form_is_a_message(client, community, staff):
    d = gather(community, staff)
    act(d, A.FIX, staff, "")
    client.force_login(staff)
    response = client.post(
        reverse("cases:deliberation_act", args=[d.pk, "drop"]),
        {"drop-note": "重复", "drop-expected_status": "gathered"},
    )
    assert response.status_code == 302
    assert any("议事现为“已确定议题”" in str(m) for m in get_messages(response.wsgi_request))


def test_the_new_topic_form_saves_once_and_keeps_bad_input(client, community, worker, other_grid):
    client.force_login(worker)
    url = reverse("cases:deliberation_new")
    page = client.get(url)
    token = page.context["form"]["submission_token"].value()
    bad = {
        "community": community.pk,
        "grid": other_grid.pk,
        "title": "小区花园",
        "description": "",
        "submission_token": token,
    }
    response = client.post(url, bad)
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"grid", "description"}
    assert "小区花园" in response.content.decode()
    good = {**bad, "grid": "", "description": "空地改花园", "suggestions": "居民代表 张大爷"}
    first = client.post(url, good)
    second = client.post(url, good)
    created = Deliberation.objects.get()
    assert first["Location"] == second["Location"] == reverse("cases:deliberation_detail", args=[created.pk])
    assert (created.created_by, created.suggestions) == (worker, "居民代表 张大爷")


def test_the_new_topic_form_is_refused_to_who_may_not_gather(client, street_leader):
    client.force_login(street_leader)
    assert client.get(reverse("cases:deliberation_new")).status_code == 403


def test_the_list_filters_searches_and_says_when_empty(client, community, staff, other_grid, outsider):
    settled = walk(S.DECIDED, community, staff)
    gathering = gather(community, staff, title="小区花园")
    gather(other_grid.community, outsider, title="别的社区")
    client.force_login(staff)
    url = reverse("cases:deliberation_list")

    def listed(**query):
        return [d.pk for d in client.get(url, query).context["page"].object_list]

    assert listed() == [gathering.pk, settled.pk]
    assert listed(status="settled") == [settled.pk]
    assert listed(status="gathered") == [gathering.pk]
    assert listed(q="花园") == [gathering.pk]
    assert listed(community=community.pk) == [gathering.pk, settled.pk]
    empty = client.get(url, {"q": "没有这个"}).content.decode()
    assert "没有符合条件的议事" in empty
    bad = client.get(url, {"status": "nonsense", "community": other_grid.community.pk})
    assert bad.status_code == 200 and set(bad.context["form"].errors) == {"status", "community"}


def test_the_list_takes_the_same_queries_at_two_sizes(client, community, staff):
    client.force_login(staff)
    url = reverse("cases:deliberation_list")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    walk(S.DELIBERATED, community, staff)
    small = count()
    for i in range(25):
        d = gather(community, staff, title=f"议题{i}")
        if i % 3 == 0:
            meet(act(d, A.FIX, staff, ""), staff)
    # session, user, menu's roles, the filter's communities, may gather, count, the page's rows
    assert count() == small


# --- audit ------------------------------------------------------------------------------------------


def test_deliberation_meeting_and_term_history_is_in_the_community_leaders_audit(
    community, staff, leader, other_grid
):
    other_leader = UserFactory(username="ol")
    assign(other_leader, Role.COMMUNITY_LEADER, other_grid.community)
    d = walk(S.DELIBERATED, community, staff)
    meeting = d.meetings.get()
    term = meeting.terms.get()

    def seen(user, model) -> set[int]:
        filters = audit_selectors.AuditFilters(record_model=model)
        return {row[4] for row in audit_selectors.audit_rows(user, filters)}

    assert seen(leader, "cases.deliberation") == {d.pk}
    assert seen(leader, "cases.meeting") == {meeting.pk}
    assert seen(leader, "cases.agreementterm") == {term.pk}
    for model in ("cases.deliberation", "cases.meeting", "cases.agreementterm"):
        assert seen(other_leader, model) == set()
    # A grid of the community beside the one the deliberation names does not hide it.
    assert d.grid is None and GridFactory(community=community)
