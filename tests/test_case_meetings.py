"""Consultation rounds of a case: recording a round, the printable agreement, the rounds on the case page."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import AgreementTerm, CaseEvent, Meeting, Participant
from grids.models import Role
from tests.factories import UserFactory, assign, case_in

pytestmark = pytest.mark.django_db

PARTICIPANT_ROWS = 6
TERM_ROWS = 3
ZHAO = ("requester", "赵女士", "")
CONTRACTOR = ("other_party", "钱师傅", "保温层施工队")
MEDIATOR = ("mediator", "孙调解员", "社区人民调解委员会")
LAWYER = ("volunteer_lawyer", "周律师", "法援帮帮团")


def an_hour_ago() -> datetime.datetime:
    return (timezone.now() - datetime.timedelta(hours=1)).replace(second=0, microsecond=0)


def minute(moment: datetime.datetime) -> str:
    """As a datetime-local input sends it."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def meeting_data(
    *,
    expected_status="in_consultation",
    held_at: datetime.datetime | None = None,
    place="社区议事厅",
    chair="孙调解员",
    question="楼顶太阳能热水器被掀翻，如何赔偿",
    minutes="施工方承认施工时碰倒热水器，双方同意修复。",
    outcome="agreement",
    participants=(ZHAO, CONTRACTOR),
    terms=(),
    suggested_rows=0,
    **extra,
) -> dict:
    """What the meeting form posts: the meeting, then participant and term rows as two formsets.

    `suggested_rows` is the number of participant rows the page filled in (sent as INITIAL_FORMS).
    """
    data = {
        "expected_status": expected_status,
        "held_at": minute(held_at or an_hour_ago()),
        "place": place,
        "chair": chair,
        "question": question,
        "minutes": minutes,
        "outcome": outcome,
        "participants-TOTAL_FORMS": str(PARTICIPANT_ROWS),
        "participants-INITIAL_FORMS": str(suggested_rows),
        "participants-MIN_NUM_FORMS": "0",
        "participants-MAX_NUM_FORMS": "30",
        "terms-TOTAL_FORMS": str(TERM_ROWS),
        "terms-INITIAL_FORMS": "0",
        "terms-MIN_NUM_FORMS": "0",
        "terms-MAX_NUM_FORMS": "20",
    }
    for i, (role, name, organisation) in enumerate(participants):
        data.update(
            {
                f"participants-{i}-role": role,
                f"participants-{i}-name": name,
                f"participants-{i}-organisation": organisation,
            }
        )
    for i, (party, action, due) in enumerate(terms):
        data.update({f"terms-{i}-party": party, f"terms-{i}-action": action, f"terms-{i}-due": due})
    data.update(extra)
    return data


def record(case, actor, *, outcome="agreement", participants=(ZHAO, CONTRACTOR, MEDIATOR), terms=None):
    """Record a round through the service, as the form does."""
    if terms is None:
        terms = [("施工方", "维修并安装赵女士提供的旧太阳能热水器", in_days(7))] if outcome != "none" else []
    return services.meeting_record(
        case=case,
        actor=actor,
        record=services.MeetingRecord(
            held_at=an_hour_ago(),
            place="社区议事厅",
            chair="孙调解员",
            question="楼顶太阳能热水器被掀翻，如何赔偿",
            minutes="双方到场协商。",
            outcome=outcome,
            participants=[
                services.ParticipantEntry(role=r, name=n, organisation=o) for r, n, o in participants
            ],
            terms=[services.TermEntry(party=p, action=a, due=d) for p, a, d in terms],
        ),
        expected_status="in_consultation",
    )


@pytest.fixture
def case(grid, staff, worker):
    """A case in consultation; `worker` took it and is its handler."""
    return case_in("in_consultation", grid, staff=staff, worker=worker)


@pytest.fixture
def outsider(other_grid):
    user = UserFactory(username="o")
    assign(user, Role.COMMUNITY_STAFF, other_grid.community)
    return user


@pytest.fixture
def other_worker(grid):
    """A worker of the same grid who did not take the case."""
    user = UserFactory(username="w2")
    assign(user, Role.GRID_WORKER, grid)
    return user


def new_url(case) -> str:
    return reverse("cases:meeting_new", args=[case.pk])


def agreement_url(meeting) -> str:
    return reverse("cases:agreement", args=[meeting.pk])


def detail_url(case) -> str:
    return reverse("cases:detail", args=[case.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def meeting_rows(case) -> list[tuple]:
    return list(case.meetings.order_by("round").values_list("round", "outcome", "recorded_by__username"))


# --- access -----------------------------------------------------------------------------------------


def test_meeting_pages_send_anonymous_to_login(client, case, worker):
    meeting = record(case, worker)
    for url in (new_url(case), agreement_url(meeting)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"


def test_meeting_pages_are_404_outside_the_users_grids(client, case, worker, outsider):
    meeting = record(case, worker)
    client.force_login(outsider)
    assert client.get(new_url(case)).status_code == 404
    assert client.get(agreement_url(meeting)).status_code == 404
    assert client.post(new_url(case), meeting_data(participants=(ZHAO, CONTRACTOR))).status_code == 404
    assert meeting_rows(case) == [(1, "agreement", "w")]


@pytest.mark.parametrize("who", ["building_head", "other_worker"])
def test_meeting_new_refuses_who_may_not_record_a_round(client, case, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(new_url(case)).status_code == 403
    data = meeting_data(terms=[("施工方", "维修热水器", in_days(7).isoformat())])
    assert client.post(new_url(case), data).status_code == 403
    assert meeting_rows(case) == []


def test_meeting_new_refuses_a_case_not_in_consultation(client, grid, staff, worker):
    case = case_in("in_progress", grid, staff=staff, worker=worker)
    client.force_login(worker)
    assert client.get(new_url(case)).status_code == 403
    data = meeting_data(expected_status="in_progress", outcome="none")
    assert client.post(new_url(case), data).status_code == 403
    assert meeting_rows(case) == []


def test_agreement_is_readable_by_anyone_in_the_grid(client, case, worker, building_head):
    meeting = record(case, worker)
    client.force_login(building_head)
    assert client.get(agreement_url(meeting)).status_code == 200


# --- recording rounds -------------------------------------------------------------------------------


def test_meeting_new_offers_round_one_with_the_usual_roles(client, case, worker):
    client.force_login(worker)
    response = client.get(new_url(case))
    assert response.status_code == 200
    assert "第1轮协商" in response.content.decode()
    form, participants = response.context["form"], response.context["participants"]
    assert form["expected_status"].value() == "in_consultation"
    assert [(row["role"].value(), row["name"].value()) for row in participants.forms] == [
        ("requester", "李女士"),
        ("other_party", None),
        ("mediator", None),
        ("volunteer_lawyer", None),
        (None, None),
        (None, None),
    ]


def test_meeting_new_records_round_one_then_round_two(client, case, worker, staff):
    # Round one: no agreement; the suggested roles left without a name are not saved.
    client.force_login(worker)
    data = meeting_data(
        suggested_rows=4,
        outcome="none",
        participants=(ZHAO, CONTRACTOR, MEDIATOR, ("volunteer_lawyer", "", ""), ("", "", "")),
    )
    response = client.post(new_url(case), data)
    assert response.status_code == 302
    assert response["Location"] == detail_url(case)
    assert messages_of(response) == ["已记录第1轮协商：未达成。"]
    first = Meeting.objects.get(case=case)
    assert (first.round, first.outcome, first.place, first.chair, first.recorded_by) == (
        1,
        "none",
        "社区议事厅",
        "孙调解员",
        worker,
    )
    assert list(first.participants.values_list("role", "name", "organisation")) == [
        ZHAO,
        CONTRACTOR,
        MEDIATOR,
    ]
    assert first.terms.count() == 0

    # Round two, by the community desk: the form starts from round one's chair, place and people.
    client.force_login(staff)
    response = client.get(new_url(case))
    assert "第2轮协商" in response.content.decode()
    assert response.context["form"]["chair"].value() == "孙调解员"
    shown = [
        (row["role"].value(), row["name"].value(), row["organisation"].value())
        for row in response.context["participants"].forms
    ]
    assert shown[:3] == [ZHAO, CONTRACTOR, MEDIATOR]

    due = in_days(7)
    data = meeting_data(
        suggested_rows=3,
        participants=(ZHAO, CONTRACTOR, MEDIATOR, LAWYER),
        terms=[
            ("赵女士", "提供另一台旧太阳能热水器", in_days(2).isoformat()),
            ("施工方", "维修并安装热水器", due.isoformat()),
        ],
    )
    response = client.post(new_url(case), data)
    assert response.status_code == 302
    assert response["Location"] == detail_url(case)
    assert messages_of(response) == ["已记录第2轮协商：达成协议。"]
    assert meeting_rows(case) == [(1, "none", "w"), (2, "agreement", "s")]
    second = Meeting.objects.get(case=case, round=2)
    assert list(second.participants.values_list("role", "name", "organisation")) == [
        ZHAO,
        CONTRACTOR,
        MEDIATOR,
        LAWYER,
    ]
    assert list(second.terms.values_list("party", "action", "due")) == [
        ("赵女士", "提供另一台旧太阳能热水器", in_days(2)),
        ("施工方", "维修并安装热水器", due),
    ]
    events = CaseEvent.objects.filter(case=case, action="record_meeting").order_by("id")
    assert [e.details for e in events] == [
        {"round": 1, "outcome": "none"},
        {"round": 2, "outcome": "agreement"},
    ]
    case.refresh_from_db()
    assert case.status == "in_consultation"


# --- bad input keeps what was typed and writes nothing ------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"participants": ()}, "participants", "请至少登记两名参会人。"),
        ({"participants": (ZHAO,)}, "participants", "请至少登记两名参会人。"),
        ({"outcome": "agreement", "terms": ()}, "terms", "达成协议时请写明协议条款：谁、做什么、何时完成。"),
        ({"held_at": timezone.now() + datetime.timedelta(days=2)}, "held_at", "会议时间不能晚于现在。"),
    ],
)
def test_meeting_new_broken_rule_keeps_input_and_writes_nothing(
    client, case, worker, changes, field, message
):
    client.force_login(worker)
    events_before = CaseEvent.objects.filter(case=case).count()
    terms = [("施工方", "维修热水器", in_days(7).isoformat())]
    data = meeting_data(question="热水器赔偿问题（第一次）", **{"terms": terms, **changes})
    response = client.post(new_url(case), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "热水器赔偿问题（第一次）" in html
    errors = {
        "participants": response.context["participant_errors"],
        "terms": response.context["term_errors"],
        "held_at": response.context["form"].errors.get("held_at", []),
    }
    assert errors[field] == [message]
    assert response.context["form"]["held_at"].value() == data["held_at"]
    assert meeting_rows(case) == []
    assert CaseEvent.objects.filter(case=case).count() == events_before


def test_meeting_new_half_filled_rows_name_what_is_missing(client, case, worker):
    client.force_login(worker)
    data = meeting_data(
        participants=(ZHAO, ("", "钱师傅", "")),
        terms=[("施工方", "", "")],
    )
    response = client.post(new_url(case), data)
    assert response.status_code == 200
    participant_rows = response.context["participants"].forms
    term_rows = response.context["terms"].forms
    assert participant_rows[1].errors == {"role": ["请选择参会人身份。"]}
    # A term without a deadline is an undertaking (承诺事项); without what is to be done it is not a term.
    assert term_rows[0].errors == {"action": ["请填写要做的事。"]}
    assert term_rows[0]["party"].value() == "施工方"
    assert meeting_rows(case) == []


def test_meeting_new_stale_form_says_why_and_writes_nothing(client, case, worker, staff):
    client.force_login(staff)
    response = client.get(new_url(case))
    assert response.context["form"]["expected_status"].value() == "in_consultation"
    # Meanwhile the handler resolves the case.
    services.case_transition(case=case, action="resolve", actor=worker, note="已修好热水器")
    events_before = CaseEvent.objects.filter(case=case).count()

    data = meeting_data(terms=[("施工方", "维修热水器", in_days(7).isoformat())])
    response = client.post(new_url(case), data)
    assert response.status_code == 302
    assert response["Location"] == detail_url(case)
    assert messages_of(response) == ["该工单已变为“已办结，待回访”，本轮协商未保存。请查看工单后再操作。"]
    assert meeting_rows(case) == []
    assert CaseEvent.objects.filter(case=case).count() == events_before


# --- the agreement ----------------------------------------------------------------------------------


def test_agreement_shows_parties_terms_and_a_signature_line_each(client, case, worker):
    meeting = record(
        case,
        worker,
        participants=(ZHAO, CONTRACTOR, MEDIATOR, LAWYER),
        terms=[
            ("赵女士", "提供另一台旧太阳能热水器", datetime.date(2026, 5, 1)),
            ("施工方", "维修并安装热水器", datetime.date(2026, 5, 8)),
        ],
    )
    client.force_login(worker)
    response = client.get(agreement_url(meeting))
    assert response.status_code == 200
    html = response.content.decode()
    assert "调解协议书" in html
    assert case.number in html
    assert "楼顶太阳能热水器被掀翻，如何赔偿" in html
    assert "提供另一台旧太阳能热水器" in html
    assert "维修并安装热水器" in html
    assert "2026年5月8日" in html
    assert [(label, [p.name for p in people]) for label, people in response.context["parties"]] == [
        ("诉求人", ["赵女士"]),
        ("对方当事人", ["钱师傅"]),
        ("志愿律师", ["周律师"]),
        ("人民调解员", ["孙调解员"]),
    ]
    # One line for each participant; the chair, 孙调解员, signs as the mediator among them.
    assert html.count('class="signature"') == 4
    assert response.context["chair_signs_apart"] is False
    assert 'id="print-agreement"' in html


def test_agreement_gives_the_chair_a_line_when_not_a_participant(client, case, worker):
    meeting = record(case, worker, participants=(ZHAO, CONTRACTOR), outcome="partial")
    Meeting.objects.filter(pk=meeting.pk).update(chair="王书记")
    client.force_login(worker)
    html = client.get(agreement_url(meeting)).content.decode()
    assert "协商协议书" in html
    assert "主持人：王书记" in html
    assert html.count('class="signature"') == 3
    assert "本次协商部分达成协议" in html


@pytest.mark.parametrize("outcome", ["none", "adjourned"])
def test_agreement_is_404_without_an_agreement(client, case, worker, outcome):
    meeting = record(case, worker, outcome=outcome, terms=[])
    client.force_login(worker)
    assert client.get(agreement_url(meeting)).status_code == 404


# --- the rounds on the case page --------------------------------------------------------------------


def test_meetings_fragment_shows_each_round_without_queries(case, worker, django_assert_num_queries):
    record(case, worker, outcome="none", terms=[])
    agreed = record(case, worker, participants=(ZHAO, CONTRACTOR, LAWYER))
    meetings = list(
        case.meetings.order_by("round").prefetch_related(
            Prefetch("participants", queryset=Participant.objects.order_by("id")),
            Prefetch("terms", queryset=AgreementTerm.objects.order_by("id")),
        )
    )
    with django_assert_num_queries(0):
        html = render_to_string("cases/_meetings.html", {"meetings": meetings, "case": case})
    assert html.count('class="border-top pt-2 mt-2 meeting"') == 2
    assert "第1轮协商" in html
    assert "第2轮协商" in html
    assert "未达成" in html
    assert "周律师" in html
    assert "维修并安装赵女士提供的旧太阳能热水器" in html
    assert html.count(reverse("cases:agreement", args=[agreed.pk])) == 1
    assert html.count("/agreement/") == 1
    assert reverse("cases:meeting_new", args=[case.pk]) not in html


def test_meetings_fragment_offers_the_next_round_when_allowed(case):
    html = render_to_string(
        "cases/_meetings.html", {"meetings": [], "case": case, "can_record_meeting": True}
    )
    assert "尚未记录协商会议。" in html
    assert reverse("cases:meeting_new", args=[case.pk]) in html


def test_meeting_new_offers_a_blank_row_to_add_participants_beyond_the_drawn_ones(client, case, worker):
    client.force_login(worker)
    html = client.get(new_url(case)).content.decode()
    # The script copies this row (numbered next) when 添加参会人 is pressed; the button shows only with it.
    template = html.split('<template id="participant-template">')[1].split("</template>")[0]
    assert 'name="participants-__prefix__-name"' in template
    assert 'name="participants-__prefix__-role"' in template
    assert (
        '<button type="button" class="btn btn-outline-secondary btn-sm mb-2" id="add-participant" hidden>'
        in html
    )
    # Eight people in one round: the formset takes the rows the script added.
    people = [
        ZHAO,
        CONTRACTOR,
        MEDIATOR,
        LAWYER,
        *((("resident_representative", f"居民{i}", "")) for i in range(4)),
    ]
    data = meeting_data(participants=people, outcome="none", **{"participants-TOTAL_FORMS": "8"})
    assert client.post(new_url(case), data).status_code == 302
    assert case.meetings.get().participants.count() == 8
