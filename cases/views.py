"""Case pages: intake, the worker's queue, the community desk, the case page with its actions, the list."""

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.pagination import paginate
from common.replica import reads_from_replica
from common.submissions import AlreadySubmitted
from common.views import export_response, render_partial_or_page
from grids.models import Building, Grid
from residents import selectors as resident_selectors
from residents import services as resident_services
from visits.models import PatrolFinding, Visit
from visits.selectors import request_draft_from_finding, request_draft_from_visit

from . import exports, intake_photos, permissions, selectors, services
from .forms import ActionForm, BulkActionForm, CaseFilterForm, IntakeForm, RequesterMode
from .forms_meetings import TermDoneForm
from .models import Action, AgreementTerm, Case, CaseAttachment, Channel, Deliberation, Status
from .workflow import ACTIONS

QUEUE_LIMIT = 100
REQUESTER_RESULTS = 8
# Actions shown as one big button: they need no more than a press.


def _case_or_404(user, pk: int) -> Case:
    try:
        return selectors.case_for_user(user, pk)
    except Case.DoesNotExist:
        raise Http404 from None


# --- intake ------------------------------------------------------------------------------------------


def _origin(request) -> tuple[Visit | None, PatrolFinding | None]:
    """The visit or patrol finding a request is raised from (?visit= / ?finding=), in the user's grids."""
    source = request.POST if request.method == "POST" else request.GET
    visit_id = source.get("origin_visit") or source.get("visit")
    finding_id = source.get("origin_finding") or source.get("finding")
    grids = Grid.objects.visible_to(request.user)
    visit = finding = None
    if visit_id:
        visit = (
            Visit.objects.filter(pk=visit_id if str(visit_id).isdigit() else 0, household__grid__in=grids)
            .select_related("household__dwelling__building", "household__grid")
            .first()
        )
        if visit is None:
            raise Http404
    if finding_id:
        finding = (
            PatrolFinding.objects.filter(
                pk=finding_id if str(finding_id).isdigit() else 0, patrol__grid__in=grids
            )
            .select_related("patrol__grid")
            .first()
        )
        if finding is None:
            raise Http404
    return visit, finding


def _initial_from(visit, finding) -> dict:
    if visit is not None:
        draft = request_draft_from_visit(visit)
    elif finding is not None:
        draft = request_draft_from_finding(finding)
    else:
        return {}
    initial = {
        "channel": draft.channel,
        "grid": draft.grid,
        "description": draft.description,
        "address": draft.location,
        "origin_visit": visit.pk if visit else None,
        "origin_finding": finding.pk if finding else None,
    }
    if draft.household is not None:
        initial["building"] = draft.household.dwelling.building_id
        head = next(iter(resident_selectors.household_file(draft.household).members), None)
        if head is not None:
            initial["requester"] = head.pk
            initial["requester_label"] = head.name
    else:
        initial["requester_mode"] = RequesterMode.ANONYMOUS
    return initial


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            target = field if field in form.fields else None
            if field == "files":
                target = "attachments"
            if target == "duplicate_choice":
                target = None  # a hidden choice: its message goes to the top, where it is seen
            for message in messages_:
                form.add_error(target if target in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


@require_http_methods(["GET", "POST"])
def case_create(request):
    """登记诉求: fast intake at the desk, at a door (?visit=) or on patrol (?finding=)."""
    grids = Grid.objects.visible_to(request.user)
    visit, finding = _origin(request)
    initial = _initial_from(visit, finding)
    if not initial.get("grid") and grids[:2].count() == 1:
        initial["grid"] = grids.first()
    if not initial.get("channel") and permissions.is_desk(request.user):
        initial["channel"] = Channel.WALK_IN  # at the desk, people come in (来访)
    workers = selectors.workers_in(grids, with_grids=True)
    form = IntakeForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        grids=grids,
        workers=workers,
        initial=initial,
    )
    duplicates = []
    drop = request.POST.getlist("drop_kept")  # kept photos the user took off the form
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        token = data["submission_token"]
        try:
            case = services.case_intake(
                intake=form.intake(origin_visit=visit, origin_finding=finding),
                actor=request.user,
                attachments=[
                    *data["attachments"],
                    *intake_photos.files(user=request.user, token=token, drop=drop),
                ],
                accept=data["accept_now"] and permissions.is_desk(request.user, data["grid"]),
                worker=data["worker"],
                duplicate_choice=data["duplicate_choice"],
                submission_token=data["submission_token"],
            )
        except AlreadySubmitted as earlier:
            # A double tap or a resend of a request already registered: show the case it became.
            intake_photos.discard(user=request.user, token=token)
            messages.info(request, _("已保存，未重复登记。"))
            return redirect("cases:detail", earlier.record.pk)
        except services.PossibleDuplicates as found:
            duplicates = found.cases
        except ValidationError as error:
            _apply_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error) or _("您不能在该网格登记或受理诉求。"))
        else:
            intake_photos.discard(user=request.user, token=token)
            if case.merged_into is not None:
                messages.success(
                    request,
                    _("已登记为工单 %(number)s，并合并到工单 %(target)s。")
                    % {"number": case.number, "target": case.merged_into.number},
                )
                return redirect("cases:detail", case.merged_into_id)
            messages.success(
                request,
                _("已登记工单 %(number)s（%(status)s）。")
                % {"number": case.number, "status": case.get_status_display()},
            )
            return redirect("cases:detail", case.pk)
    cleaned = getattr(form, "cleaned_data", {})
    kept_photos, photos_dropped = [], 0
    if request.method == "POST":
        _forget_merge_choice(form)
        # The browser does not send chosen files again: they are kept under the form's one-time token and
        # shown as kept; a form without a token (drawn before tokens) says beside the field they are lost.
        uploads, token = request.FILES.getlist("attachments"), cleaned.get("submission_token")
        if token is None:
            photos_dropped = len(uploads)
        else:
            intake_photos.keep(user=request.user, token=token, uploads=uploads, drop=drop)
            kept_photos = intake_photos.kept(user=request.user, token=token)
    grid = cleaned.get("grid")
    return render(
        request,
        "cases/intake.html",
        {
            "form": form,
            "categories": form.categories,
            "duplicates": duplicates,
            # Only the desk merges (the workflow table); a worker sees the duplicate and may register anew.
            "can_merge": grid is not None and permissions.can_merge_at_intake(request.user, grid),
            "kept_photos": kept_photos,
            "photos_dropped": photos_dropped,
            "field_errors": any(name != NON_FIELD_ERRORS for name in form.errors),
            "origin_visit": visit,
            "origin_finding": finding,
            "requester_label": _requester_label(request, form, initial),
            # Only the desk accepts; others' requests wait for it, so they are not offered the choice.
            "can_accept": permissions.is_desk(request.user),
        },
    )


def _forget_merge_choice(form) -> None:
    """A form drawn again never carries a merge choice: it is made by pressing a duplicate's button, and
    kept in the hidden field it would repeat a refused merge at every press of 登记."""
    if form.data.get("duplicate_choice") not in (services.NOT_ASKED, services.REGISTER_ANEW):
        form.data = form.data.copy()
        form.data["duplicate_choice"] = services.NOT_ASKED


def _requester_label(request, form, initial) -> str:
    """The chosen resident's name, so a re-drawn form still shows whom the request is from."""
    if request.method == "POST":
        resident = form.cleaned_data.get("requester") if hasattr(form, "cleaned_data") else None
        return resident.name if resident else ""
    return initial.get("requester_label", "")


@require_POST
def requester_search(request):
    """htmx: residents of the user's grids matching a name, address or phone tail, to pick as requester.

    POST, so that a full number never travels in a URL; a full number is a reveal-level search
    (residents.services.full_number_search: reveal roles only, throttled, recorded).
    """
    q = request.POST.get("q", "").strip()[:50]
    residents, refusal = [], ""
    if len(q) >= 1:
        try:
            filters = resident_services.full_number_search(
                user=request.user, filters=resident_selectors.ResidentFilters(q=q)
            )
        except resident_services.NumberSearchRefused as exc:
            refusal = exc.message
        else:
            residents = list(resident_selectors.search_residents(request.user, filters)[:REQUESTER_RESULTS])
    context = {"residents": residents, "q": q, "refusal": refusal}
    return render(request, "cases/_requester_results.html", context)


@require_GET
def building_options(request):
    """htmx: the buildings of the chosen grid, for the intake form's building picker."""
    grid_id = request.GET.get("grid", "")
    buildings = []
    if grid_id.isdigit():
        buildings = list(
            Building.objects.filter(grid_id=grid_id, grid__in=Grid.objects.visible_to(request.user)).order_by(
                "address"
            )
        )
    return render(request, "cases/_building_options.html", {"buildings": buildings})


# --- the worker's queue and the desk ------------------------------------------------------------------


@require_GET
def queue(request):
    """我的工单: cases waiting to be taken in my grids and the ones I hold, overdue and 临期 first."""
    now = timezone.now()
    sections = selectors.worker_queue(request.user, now)
    waiting = list(sections["waiting"][: QUEUE_LIMIT + 1])
    mine = list(sections["mine"][: QUEUE_LIMIT + 1])
    return render(
        request,
        "cases/queue.html",
        {
            "now": now,
            "waiting": waiting[:QUEUE_LIMIT],
            "mine": mine[:QUEUE_LIMIT],
            "more_waiting": len(waiting) > QUEUE_LIMIT,
            "more_mine": len(mine) > QUEUE_LIMIT,
            "limit": QUEUE_LIMIT,
        },
    )


@require_GET
def desk(request):
    """社区受理台: open cases by state, follow-up calls due, overdue agreement terms, one state listed."""
    now = timezone.now()
    today = timezone.localdate(now)
    state = request.GET.get("state", Status.SUBMITTED)
    if state not in Status.values or state == Status.CLOSED:
        state = Status.SUBMITTED
    cases = selectors.cases_for_user(request.user)
    board = selectors.desk(cases, now, caller=request.user)
    return render(
        request,
        "cases/desk.html",
        {
            "now": now,
            "board": board,
            "state": state,
            "state_label": Status(state).label,
            "follow_ups": list(board["follow_ups"][:QUEUE_LIMIT]),
            "page": paginate(request, selectors.open_cases_in_state(cases, state, now)),
            "bulk": bulk_form(request),
            "overdue_terms": list(
                selectors.agreement_terms_due(request.user, today=today).filter(due__lt=today)[:QUEUE_LIMIT]
            ),
            "today": today,
        },
    )


# --- several cases at once ----------------------------------------------------------------------------


def bulk_form(request, data=None) -> BulkActionForm | None:
    """The form acting on the cases ticked in a list, for users who may act on several (else None)."""
    actions = permissions.bulk_actions(request.user)
    if not actions:
        return None
    grids = workers = None
    if Action.DISPATCH in actions:
        grids = Grid.objects.visible_to(request.user)
        workers = selectors.workers_in(grids)
    return BulkActionForm(
        data,
        # The ticked cases are looked up in the user's scope when posted; the page draws no case choices.
        cases=selectors.cases_for_user(request.user) if data is not None else Case.objects.none(),
        actions=actions,
        grids=grids,
        workers=workers,
        initial={"next": request.get_full_path()},
    )


def _back(request, form: BulkActionForm) -> str:
    target = form.data.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("cases:desk")


@require_POST
def cases_bulk(request):
    """Dispatch, urge or archive the ticked cases: each through the workflow table, all or none."""
    form = bulk_form(request, request.POST)
    if form is None or request.POST.get("action") not in dict(form.fields["action"].choices):
        raise PermissionDenied(_("您不能批量执行该操作。"))
    if not form.is_valid() and (
        form.has_error("cases", "invalid_choice") or form.has_error("cases", "invalid_pk_value")
    ):
        raise Http404  # a case outside the user's grids: not found, like its page
    if not form.is_valid():
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, message)
        return redirect(_back(request, form))
    data = form.cleaned_data
    try:
        moved = services.cases_bulk_transition(
            cases=data["cases"], action=data["action"], actor=request.user, note=data["note"], **form.params()
        )
    except services.BulkActionRefused as refused:
        reasons = _("；").join(
            _("%(number)s：%(why)s") % {"number": case.number, "why": why} for case, why in refused.refusals
        )
        messages.error(
            request,
            _("没有工单被改动，因为以下工单不能这样处理：%(reasons)s") % {"reasons": reasons},
        )
    else:
        messages.success(
            request,
            _("已对 %(n)d 件工单执行“%(action)s”。")
            % {"n": len(moved), "action": Action(data["action"]).label},
        )
    return redirect(_back(request, form))


# --- the case page and its actions -------------------------------------------------------------------


def _action_forms(request, case: Case, actions: list[str], bound: ActionForm | None = None) -> list:
    """(action, label, form, one-press?) for each action the user may take now."""
    grids = workers = None
    if "accept" in actions or "dispatch" in actions:
        grids = Grid.objects.visible_to(request.user).order_by("code")
        workers = selectors.workers_in(Grid.objects.filter(pk=case.grid_id))
    candidates = selectors.merge_candidates(case, timezone.now()) if "merge" in actions else []
    forms = []
    for action in actions:
        record = ACTIONS[action]
        if record.page:
            continue  # the case page links to the action's own page instead
        if bound is not None and bound.action == action:
            form = bound
        else:
            form = ActionForm(
                action=action, case=case, grids=grids, workers=workers, candidates=candidates, prefix=action
            )
        forms.append((action, record.label, form, record.one_press))
    return forms


def _labelled(events) -> list:
    events = list(events)
    for event in events:
        event.action_label = Action(event.action).label if event.action in Action.values else ""
    return events


def _render_case(request, case: Case, bound: ActionForm | None = None, status: int = 200):
    now = timezone.now()
    actions = permissions.allowed_actions(request.user, case)
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "now": now,
            "clock": case.clock_state(now),
            "events": _labelled(case.events.all()),
            "meetings": list(case.meetings.all()),
            "attachments": list(case.attachments.all()),
            "merged_cases": list(case.merged_cases.all()),
            "action_forms": _action_forms(request, case, actions, bound),
            "open_action": bound.action if bound is not None else "",
            "can_record_meeting": "record_meeting" in actions,
            "can_add_photos": permissions.can_add_photos(request.user, case),
            "can_mark_terms": permissions.can_mark_terms_done(request.user, case),
            "today": timezone.localdate(now),
            "may_call": permissions.can_reveal_requester_phone(request.user, case),
        },
        status=status,
    )


@require_GET
def case_detail(request, pk: int):
    return _render_case(request, _case_or_404(request.user, pk))


@require_POST
def case_act(request, pk: int, action: str):
    """Apply one action from the case page; a refused or stale action says why and changes nothing."""
    case = _case_or_404(request.user, pk)
    if action not in ACTIONS or ACTIONS[action].page:
        raise Http404
    if not permissions.may(request.user, case, action) and case.status == request.POST.get(
        f"{action}-expected_status"
    ):
        raise PermissionDenied(_("您不能对该工单执行此操作。"))
    grids = workers = None
    if action in ("accept", "dispatch"):
        grids = Grid.objects.visible_to(request.user)
        workers = selectors.workers_in(grids)
    # A merge joins one of the open duplicates the page suggested (the choice is checked against them).
    candidates = selectors.merge_candidates(case, timezone.now()) if action == "merge" else []
    form = ActionForm(
        request.POST,
        request.FILES or None,
        action=action,
        case=case,
        grids=grids,
        workers=workers,
        candidates=candidates,
        prefix=action,
    )
    if not form.is_valid():
        return _render_case(request, case, bound=form, status=400)
    params = form.params()
    if action == "merge":
        params["target"] = next(c for c in candidates if c.pk == form.cleaned_data["target"])
    photos = params.pop("photos", None) or []
    try:
        move = {
            "case": case,
            "action": action,
            "actor": request.user,
            "note": form.cleaned_data.get("note", ""),
            "expected_status": form.cleaned_data["expected_status"],
            **params,
        }
        if photos:
            services.case_transition_with_photos(photos=photos, **move)
        else:
            services.case_transition(**move)
    except services.CaseConflict as conflict:
        messages.error(request, str(conflict))
        return redirect("cases:detail", case.pk)
    except ValidationError as error:
        _apply_errors(form, error)
        return _render_case(request, case, bound=form, status=400)
    messages.success(request, _("已%(action)s。") % {"action": Action(action).label})
    return redirect("cases:detail", case.pk)


@require_POST
def requester_phone(request, pk: int):
    """Show the requester's full phone to call them back (a tel: link), and record who saw it."""
    case = _case_or_404(request.user, pk)
    number = services.requester_phone_reveal(user=request.user, case=case)
    template = (
        "cases/_requester_phone.html" if request.headers.get("HX-Request") else "cases/requester_phone.html"
    )
    return render(request, template, {"case": case, "revealed": number})


@require_POST
def attachment_add(request, pk: int):
    case = _case_or_404(request.user, pk)
    files = request.FILES.getlist("files")
    if not files:
        messages.error(request, _("请选择要上传的照片。"))
        return redirect("cases:detail", case.pk)
    try:
        added = services.attachments_add(case=case, actor=request.user, files=files)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("已上传 %(n)d 张照片。") % {"n": len(added)})
    return redirect("cases:detail", case.pk)


@require_GET
def attachment(request, pk: int):
    """A case photo, only for users who may see the case (photos are never served by a public URL)."""
    found = CaseAttachment.objects.filter(pk=pk, case__in=selectors.cases_for_user(request.user)).first()
    if found is None:
        raise Http404
    try:
        handle = found.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # Never cached, like every response to a signed-in user (portal.middleware.NoStoreForUsersMiddleware).
    return FileResponse(handle, content_type=found.content_type)


@require_POST
def term_done(request, pk: int):
    """Confirm that one agreed term was done (after the case is archived too); back to its case."""
    # A term of a case's meeting, or of a deliberation's (the same terms, tracked the same way).
    in_scope = Q(meeting__case__in=selectors.cases_for_user(request.user)) | Q(
        meeting__deliberation__in=Deliberation.objects.visible_to(request.user)
    )
    term = (
        AgreementTerm.objects.filter(in_scope, pk=pk)
        .select_related("meeting__case__grid", "meeting__deliberation__community")
        .first()
    )
    if term is None:
        raise Http404
    if not permissions.can_mark_term_done(request.user, term):
        raise PermissionDenied(_("您不能确认该协议条款的完成情况。"))
    form = TermDoneForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.agreement_term_done(term=term, actor=request.user, note=note)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("已确认完成：%(party)s，%(action)s。") % {"party": term.party, "action": term.action}
        )
    if term.meeting.deliberation_id is not None:
        return redirect(
            reverse("cases:deliberation_detail", args=[term.meeting.deliberation_id]) + "#meetings"
        )
    return redirect(reverse("cases:detail", args=[term.meeting.case_id]) + "#meetings")


# --- the case list and its export ---------------------------------------------------------------------


@require_GET
def case_list(request):
    form = CaseFilterForm(request.GET, user=request.user)
    filters = form.filters()
    now = timezone.now()
    cases = Case.objects.none() if filters is None else selectors.filtered_cases(request.user, filters, now)
    exact = filters is not None and bool(filters.measure)
    context = {
        "form": form,
        "page": paginate(request, cases, exact=exact),
        "filters": filters,
        "now": now,
        "bulk": bulk_form(request),
    }
    return render_partial_or_page(request, "cases/case_list.html", context)


@require_GET
@reads_from_replica
def case_export(request):
    return export_response(
        request,
        filters=CaseFilterForm(request.GET, user=request.user).filters(),
        build=lambda filters: exports.case_export(user=request.user, filters=filters),
        too_large=exports.CaseExportTooLarge,
        too_large_message=_(
            "符合条件的工单有 %(count)s 件，一次最多导出 %(max)s 件："
            "请缩小筛选范围（如按网格或日期）后分批导出。"
        ),
        max_rows=exports.MAX_EXPORT_ROWS,
        back=reverse("cases:list"),
        filename="诉求工单",
        fallback="cases",
    )
