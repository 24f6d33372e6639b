"""Community deliberation (居民议事) pages: the list, a new topic, one deliberation with its timeline,
actions and meetings, its actions, and its meetings (the case's meeting form and page)."""

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.pagination import paginate
from common.submissions import AlreadySubmitted, posted_record
from grids.models import Community

from . import permissions, selectors_deliberations, services_deliberations
from .deliberation_workflow import STEPS, move_for
from .forms_deliberations import DeliberationActionForm, DeliberationFilterForm, TopicForm
from .models import Deliberation, DeliberationAction, DeliberationStatus, Meeting, Participant
from .views_meetings import MeetingSubject, meeting_page

# Who a deliberation's first meeting usually brings together.
FIRST_MEETING_ROLES = [
    Participant.Role.RESIDENT_REPRESENTATIVE,
    Participant.Role.RESIDENT_REPRESENTATIVE,
    Participant.Role.PARTY_MEMBER,
    Participant.Role.PARTNER_UNIT,
    Participant.Role.STAFF,
]


def _deliberation_or_404(user, pk: int) -> Deliberation:
    try:
        return selectors_deliberations.deliberation_for_user(user, pk)
    except Deliberation.DoesNotExist:
        raise Http404 from None


@require_GET
def deliberation_list(request):
    """The deliberations of the user's communities: by community, state and words, newest first."""
    communities = Community.objects.visible_to(request.user).order_by("name")
    form = DeliberationFilterForm(request.GET, communities=communities)
    filters = form.filters()
    rows = (
        Deliberation.objects.none()
        if filters is None
        else selectors_deliberations.deliberations_for(request.user, filters)
    )
    return render(
        request,
        "cases/deliberation_list.html",
        {
            "form": form,
            "page": paginate(request, rows),
            "filters": filters,
            "may_gather": selectors_deliberations.communities_to_gather_in(request.user).exists(),
        },
    )


@require_http_methods(["GET", "POST"])
def deliberation_new(request):
    """征集议题: a grid worker or the desk writes down a topic residents raised."""
    communities = selectors_deliberations.communities_to_gather_in(request.user)
    if not communities.exists():
        raise PermissionDenied
    if request.method == "POST":
        already = posted_record(Deliberation, request.POST.get("submission_token"))
        if already is not None and already.created_by_id == request.user.pk:
            messages.info(request, _("已保存，未重复登记。"))
            return redirect("cases:deliberation_detail", already.pk)
    form = TopicForm(
        request.POST or None, communities=communities, initial={"community": communities.first()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        topic = services_deliberations.Topic(
            community=data["community"],
            grid=data["grid"],
            title=data["title"],
            description=data["description"],
            suggestions=data["suggestions"],
        )
        try:
            deliberation = services_deliberations.deliberation_gather(
                topic=topic, actor=request.user, submission_token=data["submission_token"]
            )
        except AlreadySubmitted as exc:
            messages.info(request, _("已保存，未重复登记。"))
            return redirect("cases:deliberation_detail", exc.record.pk)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("已征集议题：%(title)s。") % {"title": deliberation.title})
            return redirect("cases:deliberation_detail", deliberation.pk)
    return render(request, "cases/deliberation_form.html", {"form": form})


def _render_detail(
    request, deliberation: Deliberation, bound: DeliberationActionForm | None = None, status=200
):
    actions = permissions.deliberation_actions(request.user, deliberation)
    action_forms = []
    for action in actions:
        step = STEPS[action]
        if step.page:
            continue  # a meeting has its own page
        if bound is not None and bound.action == action:
            form = bound
        else:
            form = DeliberationActionForm(action=action, initial={"expected_status": deliberation.status})
        required = move_for(deliberation.status, action)
        action_forms.append((action, step.label, form, bool(required and required.note_required)))
    meetings = list(deliberation.meetings.all())
    open_terms = [term for meeting in meetings for term in meeting.terms.all() if term.done_at is None]
    return render(
        request,
        "cases/deliberation_detail.html",
        {
            "deliberation": deliberation,
            "events": list(deliberation.events.all()),
            "meetings": meetings,
            "open_terms": open_terms,
            "suggestion_lines": [line for line in deliberation.suggestions.splitlines() if line.strip()],
            "action_forms": action_forms,
            "open_action": bound.action if bound is not None else "",
            "can_record_meeting": DeliberationAction.RECORD_MEETING in actions,
            "can_mark_terms": permissions.can_mark_deliberation_terms_done(request.user, deliberation),
            "today": timezone.localdate(),
        },
        status=status,
    )


@require_GET
def deliberation_detail(request, pk: int):
    return _render_detail(request, _deliberation_or_404(request.user, pk))


@require_POST
def deliberation_act(request, pk: int, action: str):
    """One action of the table from the deliberation's page (a meeting: its own page)."""
    deliberation = _deliberation_or_404(request.user, pk)
    # Gathering is the new-topic form, a meeting its own page: neither is an action of this URL.
    if action not in DeliberationAction.values or action == DeliberationAction.GATHER or STEPS[action].page:
        raise Http404
    detail_url = reverse("cases:deliberation_detail", args=[deliberation.pk])
    form = DeliberationActionForm(request.POST, action=action)
    if not form.is_valid():
        return _render_detail(request, deliberation, bound=form, status=400)
    try:
        services_deliberations.deliberation_transition(
            deliberation=deliberation,
            action=action,
            actor=request.user,
            note=form.cleaned_data["note"],
            expected_status=form.cleaned_data["expected_status"],
        )
    except services_deliberations.DeliberationConflict as exc:
        messages.error(request, str(exc))
        return redirect(detail_url)
    except ValidationError as exc:
        by_field = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
        for field, errors in by_field.items():
            form.add_error("note" if field == "note" else None, errors)
        return _render_detail(request, deliberation, bound=form, status=400)
    messages.success(request, _("已%(action)s。") % {"action": DeliberationAction(action).label})
    return redirect(detail_url)


def _already_recorded(deliberation: Deliberation, token: str | None) -> bool:
    found = posted_record(Meeting, token)
    return found is not None and found.deliberation_id == deliberation.pk


@require_http_methods(["GET", "POST"])
def deliberation_meeting_new(request, pk: int):
    """Record a meeting of a deliberation (议事会): the same form and rules as a case's consultation round."""
    deliberation = _deliberation_or_404(request.user, pk)
    detail_url = reverse("cases:deliberation_detail", args=[deliberation.pk])
    if request.method == "POST" and _already_recorded(deliberation, request.POST.get("submission_token")):
        messages.info(request, _("已保存，未重复登记。"))
        return redirect(detail_url)
    if request.method == "POST" and request.POST.get("expected_status") != deliberation.status:
        messages.error(
            request,
            _("该议事已变为“%(status)s”，本次议事会未保存。请查看后再操作。")
            % {"status": deliberation.get_status_display()},
        )
        return redirect(detail_url)
    if not permissions.may_deliberate(request.user, deliberation, DeliberationAction.RECORD_MEETING):
        raise PermissionDenied
    meetings = list(deliberation.meetings.all())
    first_people = [{"role": role} for role in FIRST_MEETING_ROLES]
    subject = MeetingSubject(
        status=deliberation.status,
        statuses=DeliberationStatus.choices,
        back_url=detail_url,
        crumb=deliberation.title,
        heading=f"{_('居民议事')} · {deliberation.community.name}",
        text=deliberation.description,
        previous=meetings[-1] if meetings else None,
        first_people=first_people,
        save=lambda actor, record, expected, token: services_deliberations.deliberation_meeting_record(
            deliberation=deliberation,
            actor=actor,
            record=record,
            expected_status=expected,
            submission_token=token,
        ),
        conflict=services_deliberations.DeliberationConflict,
        community_id=deliberation.community_id,
    )
    return meeting_page(request, subject)
