"""Consultation meetings (协商议事 / 调解) of a case or of a community deliberation: one form and page to
record the next one (`meeting_page`), and the agreement to sign."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from common.dates import local_now_to_the_minute
from common.submissions import AlreadySubmitted, posted_record
from volunteers.models import Volunteer

from . import permissions, services
from .forms_meetings import MeetingForm, ParticipantFormSet, TermFormSet
from .models import Action, Case, Deliberation, Meeting, Participant, Status

# The people a first round usually brings together (the seed's 赵女士 case: her, the contractor, a
# mediator and a volunteer lawyer); later rounds start from the previous round's list instead.
FIRST_ROUND_ROLES = [
    Participant.Role.REQUESTER,
    Participant.Role.OTHER_PARTY,
    Participant.Role.MEDIATOR,
    Participant.Role.VOLUNTEER_LAWYER,
]
AGREEMENT_OUTCOMES = (Meeting.Outcome.AGREEMENT, Meeting.Outcome.PARTIAL)


def _case_or_404(user, pk: int) -> Case:
    """One case in the user's grids, with what the meeting form shows of it."""
    try:
        return Case.objects.visible_to(user).select_related("category", "grid", "requester").get(pk=pk)
    except Case.DoesNotExist:
        raise Http404 from None


def _initial(subject: "MeetingSubject") -> tuple[dict, list[dict]]:
    """The meeting form and its participant rows as the page first shows them.

    A later round usually has the same chair, place, question and people as the one before, so they are
    copied from it; a first round offers the usual roles of its kind of meeting.
    """
    meeting = {"held_at": local_now_to_the_minute(), "expected_status": subject.status}
    previous = subject.previous
    if previous is not None:
        meeting.update(place=previous.place, chair=previous.chair, question=previous.question)
        people = [
            {"role": p.role, "name": p.name, "organisation": p.organisation}
            for p in previous.participants.all()
        ]
        return meeting, people
    return meeting, [dict(row) for row in subject.first_people]


def _record(form: MeetingForm, participants, terms) -> services.MeetingRecord:
    data = form.cleaned_data
    return services.MeetingRecord(
        held_at=data["held_at"],
        place=data["place"],
        chair=data["chair"],
        question=data["question"],
        minutes=data["minutes"],
        outcome=data["outcome"],
        participants=[
            services.ParticipantEntry(
                role=row.cleaned_data["role"],
                name=row.cleaned_data["name"],
                organisation=row.cleaned_data["organisation"],
                volunteer=row.cleaned_data.get("volunteer"),
            )
            for row in participants.forms
            if not row.is_blank()
        ],
        terms=[
            services.TermEntry(
                party=row.cleaned_data["party"],
                action=row.cleaned_data["action"],
                due=row.cleaned_data["due"],
            )
            for row in terms.forms
            if not row.is_blank()
        ],
    )


def _put_errors(form: MeetingForm, section_errors: dict[str, list[str]], exc: ValidationError) -> None:
    """Place the service's errors beside the fields they name; participants' and terms' above their rows."""
    by_field = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    for field, field_messages in by_field.items():
        if field in section_errors:
            section_errors[field].extend(field_messages)
        elif field in form.fields and field != "expected_status":
            form.add_error(field, field_messages)
        else:
            form.add_error(None, field_messages)


def _already_recorded(case: Case, token: str | None) -> bool:
    """Whether a round of this case was saved with this form's token."""
    found = posted_record(Meeting, token)
    return found is not None and found.case_id == case.pk


def _stale_message(case: Case) -> str:
    return _("该工单已变为“%(status)s”，本轮协商未保存。请查看工单后再操作。") % {
        "status": case.get_status_display()
    }


@dataclass(frozen=True)
class MeetingSubject:
    """What the one meeting page needs to know of what the meeting is about: a case or a deliberation."""

    status: str  # its state as the page is drawn (the form's expected_status)
    statuses: list  # the choices of that state
    back_url: str
    crumb: str  # the breadcrumb's link text
    heading: str
    text: str
    previous: Meeting | None  # its last meeting, whose place, chair, question and people are copied
    first_people: list[dict]  # the rows a first meeting offers
    # Saves the meeting through its owner's service: (actor, record, expected_status, token) -> Meeting.
    save: Callable[..., Meeting]
    conflict: type[Exception]  # what that service raises when the owner moved on meanwhile
    community_id: int  # whose volunteers a participant may be


def meeting_page(request, subject: MeetingSubject):
    """The meeting form for a case's round or a deliberation's meeting: the same form, rules and page."""
    data = request.POST if request.method == "POST" else None
    meeting_initial, participants_initial = _initial(subject)
    form = MeetingForm(data, initial=meeting_initial, statuses=subject.statuses)
    # Posted rows are read as sent: every row with something typed in it is checked, suggested or not.
    participants = ParticipantFormSet(
        data,
        initial=participants_initial if data is None else None,
        prefix="participants",
        form_kwargs={
            "volunteers": Volunteer.objects.filter(community_id=subject.community_id, active=True).order_by(
                "name", "id"
            )
        },
    )
    terms = TermFormSet(data, prefix="terms")
    section_errors: dict[str, list[str]] = {"participants": [], "terms": []}
    if request.method == "POST" and all([form.is_valid(), participants.is_valid(), terms.is_valid()]):
        try:
            meeting = subject.save(
                request.user,
                _record(form, participants, terms),
                form.cleaned_data["expected_status"],
                form.cleaned_data["submission_token"],
            )
        except AlreadySubmitted:
            messages.info(request, _("已保存，未重复登记。"))
            return redirect(subject.back_url)
        except subject.conflict as exc:
            messages.error(request, str(exc))
            return redirect(subject.back_url)
        except ValidationError as exc:
            _put_errors(form, section_errors, exc)
        else:
            messages.success(
                request,
                _("已记录第%(round)d轮协商：%(outcome)s。")
                % {"round": meeting.round, "outcome": meeting.get_outcome_display()},
            )
            return redirect(subject.back_url)

    outcome = form["outcome"].value()
    return render(
        request,
        "cases/meeting_form.html",
        {
            "subject": subject,
            "round": subject.previous.round + 1 if subject.previous is not None else 1,
            "form": form,
            "participants": participants,
            "terms": terms,
            "participant_errors": section_errors["participants"],
            "term_errors": section_errors["terms"],
            "agreement_outcomes": [str(o) for o in AGREEMENT_OUTCOMES],
            # Without script the terms stay visible; the script hides them unless an agreement is chosen.
            "show_terms": outcome in AGREEMENT_OUTCOMES or not outcome or bool(section_errors["terms"]),
        },
    )


@require_http_methods(["GET", "POST"])
def meeting_new(request, pk: int):
    """Record the next consultation round of a case in consultation (the handler or the community desk)."""
    case = _case_or_404(request.user, pk)
    case_url = reverse("cases:detail", args=[case.pk])
    if request.method == "POST" and _already_recorded(case, request.POST.get("submission_token")):
        # A resend of a round already saved (which may have moved the case on): not a stale form.
        messages.info(request, _("已保存，未重复登记。"))
        return redirect(case_url)
    # A form drawn before someone else moved the case (resolved it, sent it to the street) is refused
    # with what happened, before asking whether the user may still record a round in the new state.
    if request.method == "POST" and request.POST.get("expected_status") != case.status:
        messages.error(request, _stale_message(case))
        return redirect(case_url)
    if not permissions.may(request.user, case, Action.RECORD_MEETING):
        raise PermissionDenied
    first_people = [{"role": role} for role in FIRST_ROUND_ROLES]
    if not case.anonymous:
        first_people[0]["name"] = case.requester_label
    subject = MeetingSubject(
        status=case.status,
        statuses=Status.choices,
        back_url=case_url,
        crumb=_("工单 %(number)s") % {"number": case.number},
        heading=f"{case.category} · {case.requester_label or _('未留姓名')}",
        text=case.description,
        previous=case.meetings.order_by("-round").prefetch_related("participants").first(),
        first_people=first_people,
        save=lambda actor, record, expected, token: services.meeting_record(
            case=case, actor=actor, record=record, expected_status=expected, submission_token=token
        ),
        conflict=services.CaseConflict,
        community_id=case.grid.community_id,
    )
    return meeting_page(request, subject)


def _by_role(people: list[Participant]) -> list[tuple[str, list[Participant]]]:
    """The participants grouped by role, the parties first, in the order the roles are listed."""
    order = {role: i for i, role in enumerate(Participant.Role.values)}
    groups: dict[str, list[Participant]] = {}
    for person in sorted(people, key=lambda p: (order.get(p.role, len(order)), p.pk)):
        groups.setdefault(person.role, []).append(person)
    return [(Participant.Role(role).label, members) for role, members in groups.items()]


@require_GET
def agreement(request, pk: int):
    """The agreement of one meeting, a case's round or a deliberation's, printed for the parties and the
    mediator to sign (调解协议书 / 协商协议书): one page for both kinds."""
    in_scope = Q(case__in=Case.objects.visible_to(request.user)) | Q(
        deliberation__in=Deliberation.objects.visible_to(request.user)
    )
    try:
        meeting = (
            Meeting.objects.filter(in_scope, outcome__in=AGREEMENT_OUTCOMES)
            .select_related("case__category", "case__grid__community", "deliberation__community")
            .prefetch_related("participants", "terms")
            .get(pk=pk)
        )
    except Meeting.DoesNotExist:
        raise Http404 from None
    people = list(meeting.participants.all())
    if meeting.case is not None:
        back_url = reverse("cases:detail", args=[meeting.case_id])
        crumb = _("工单 %(number)s") % {"number": meeting.case.number}
        reference = _("工单编号：%(number)s · 第%(round)d轮协商") % {
            "number": meeting.case.number,
            "round": meeting.round,
        }
    else:
        back_url = reverse("cases:deliberation_detail", args=[meeting.deliberation_id])
        crumb = meeting.deliberation.title
        reference = _("居民议事：%(title)s · 第%(round)d轮协商") % {
            "title": meeting.deliberation.title,
            "round": meeting.round,
        }
    return render(
        request,
        "cases/agreement.html",
        {
            "meeting": meeting,
            "case": meeting.case,
            "deliberation": meeting.deliberation,
            "community": meeting.community,
            "back_url": back_url,
            "crumb": crumb,
            "reference": reference,
            "parties": _by_role(people),
            "mediated": any(p.role == Participant.Role.MEDIATOR for p in people),
            # The chair signs too, unless they already sign as one of the participants.
            "chair_signs_apart": meeting.chair not in {p.name for p in people},
        },
    )
