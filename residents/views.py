"""Resident search, the household file (一户一档) and the forms that keep the registry."""

import secrets
from dataclasses import replace

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.pagination import paginate
from common.submissions import AlreadySubmitted, posted_record
from common.views import render_partial_or_page
from grids.models import Building
from grids.permissions import communities_for_ledger_import, grids_editable_by

from . import permissions, selectors, services
from .forms import (
    DwellingForm,
    EnrolmentForm,
    HouseholdFilterForm,
    LiaisonForm,
    MoveOutForm,
    ResidentForm,
    ResidentSearchForm,
    ResidentStatusForm,
    RevealForm,
)
from .models import CareEnrolment, Household, Resident, RevealReason, SensitiveField


def _household_or_404(user, pk: int) -> Household:
    try:
        return selectors.household_for_user(user, pk)
    except Household.DoesNotExist:
        raise Http404 from None


def _editable_household(user, pk: int) -> Household:
    household = _household_or_404(user, pk)
    if not permissions.can_edit_household(user, household):
        raise PermissionDenied
    return household


def _resident_or_404(user, pk: int) -> Resident:
    try:
        return (
            Resident.objects.visible_to(user)
            .select_related("household__grid__community", "household__dwelling__building")
            .get(pk=pk)
        )
    except Resident.DoesNotExist:
        raise Http404 from None


def _editable_buildings(user):
    return Building.objects.filter(grid__in=grids_editable_by(user))


# A search by a full number is sent by POST and answered with a redirect to a GET page that names it by
# a random token kept in the session: pagination, the back button and the export work on that URL, and
# the number itself never appears in a URL, a server log or the browser's history.
NUMBER_SEARCH_SESSION_KEY = "resident_number_searches"
NUMBER_SEARCHES_KEPT = 20


def number_search_from_session(request, filters: selectors.ResidentFilters) -> selectors.ResidentFilters:
    """The filters with the full-number search the URL's `n` token names (unchanged without one)."""
    token = request.GET.get("n", "")
    if not token:
        return filters
    # A token of another session (or one forgotten) finds nobody rather than every resident.
    found = request.session.get(NUMBER_SEARCH_SESSION_KEY, {}).get(token, {"ids": [], "label": "—"})
    return replace(filters, q="", number_ids=tuple(found["ids"]), number_label=found["label"])


def _remember_number_search(request, filters: selectors.ResidentFilters) -> str:
    kept = request.session.get(NUMBER_SEARCH_SESSION_KEY, {})
    token = secrets.token_urlsafe(12)
    kept[token] = {"ids": list(filters.number_ids or ()), "label": filters.number_label}
    request.session[NUMBER_SEARCH_SESSION_KEY] = dict(list(kept.items())[-NUMBER_SEARCHES_KEPT:])
    return token


def number_in_url_message(filters: selectors.ResidentFilters) -> str:
    """Why a GET search by a full or partial number finds nobody (empty for any other search)."""
    number = filters.number
    if number is None or number.kind == "tail" or filters.number_ids is not None:
        return ""
    if number.kind == "partial":
        return _("号码不完整：请输入后四位，或完整的手机号、身份证号。")
    return _("为保护居民信息，完整号码不能通过网址查询：请在查询框中输入后点击“查询”。")


@require_http_methods(["GET", "POST"])
def search(request):
    if request.method == "POST":
        return _search_post(request)
    form = ResidentSearchForm(request.GET or None, user=request.user)
    filters = number_search_from_session(request, form.filters())
    return _search_page(request, form, filters, number_in_url_message(filters))


def _search_page(request, form, filters, search_error: str = ""):
    results = selectors.search_results(request.user, filters) if not search_error else []
    page = paginate(request, results)
    query = request.GET.copy()
    query.pop("page", None)
    if search_error:
        query.pop("q", None)
    context = {
        "form": form,
        "page": page,
        "filters": filters,
        "search_error": search_error,
        "export_query": query.urlencode(),
        "can_import": communities_for_ledger_import(request.user).exists(),
    }
    return render_partial_or_page(request, "residents/search.html", context)


def _search_post(request):
    """The search form's submission: a full number is looked up here (allowed, throttled, recorded), any
    other search is sent on to its GET page."""
    form = ResidentSearchForm(request.POST, user=request.user)
    filters = form.filters()
    # The form's data after validation: the places it resolved, without a community or grid that no longer
    # lies in the chosen street (the next page, without a street, would otherwise take it from them).
    form.is_valid()
    query = QueryDict(mutable=True)
    for name in ("category", "include_inactive", "street", "community", "grid"):
        if value := form.data.get(name):
            query[name] = value
    number = filters.number
    if number is None or number.kind == "tail":
        if filters.q:
            query["q"] = filters.q
        elif request.POST.get("n"):  # a filter changed under a full-number search: keep its result
            query["n"] = request.POST["n"]
    else:
        try:
            filters = services.full_number_search(user=request.user, filters=filters)
        except services.NumberSearchRefused as exc:
            # Answered here, with the reason where the results would be (no redirect: the number
            # would have to travel to the next page).
            return _search_page(request, form, filters, exc.message)
        else:
            query["n"] = _remember_number_search(request, filters)
    url = reverse("residents:search")
    return redirect(f"{url}?{query.urlencode()}" if query else url, permanent=False)


@require_GET
def household_list(request):
    form = HouseholdFilterForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():
        raise Http404  # a place outside the user's scope, or no place at all
    page = paginate(request, selectors.household_list(request.user, **form.place_filter()))
    context = {"page": page, "form": form, "place": form.chosen_place()}
    return render(request, "residents/household_list.html", context)


@require_http_methods(["GET", "POST"])
def household_create(request):
    buildings = _editable_buildings(request.user)
    if not buildings.exists():
        raise PermissionDenied
    form = DwellingForm(request.POST or None, buildings=buildings)
    if request.method == "POST" and form.is_valid():
        try:
            household = services.household_create(
                dwelling=form.dwelling(),
                note=form.cleaned_data["note"],
                submission_token=form.cleaned_data["submission_token"],
            )
        except AlreadySubmitted as earlier:
            messages.info(request, _("已保存，未重复登记。"))
            return redirect("household_file", pk=earlier.record.pk)
        messages.success(request, _("已建档，请登记家庭成员。"))
        return redirect("residents:resident_create", household=household.pk)
    return render(request, "residents/household_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def household_edit(request, pk: int):
    household = _editable_household(request.user, pk)
    buildings = _editable_buildings(request.user)
    initial = {
        "building": household.dwelling.building,
        "unit": household.dwelling.unit,
        "room": household.dwelling.room,
        "note": household.note,
    }
    form = DwellingForm(request.POST or None, buildings=buildings, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.household_update(
            household=household, dwelling=form.dwelling(), note=form.cleaned_data["note"]
        )
        messages.success(request, _("户信息已保存。"))
        return redirect("household_file", pk=household.pk)
    return render(request, "residents/household_form.html", {"form": form, "household": household})


@require_http_methods(["GET", "POST"])
def household_move_out(request, pk: int):
    household = _editable_household(request.user, pk)
    form = MoveOutForm(request.POST or None, initial={"moved_out_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.household_move_out(household=household, on=form.cleaned_data["moved_out_on"])
        except ValidationError as exc:
            form.add_error("moved_out_on", exc.messages[0])
        else:
            messages.success(request, _("该户已登记迁出，档案保留。"))
            return redirect("household_file", pk=household.pk)
    return render(request, "residents/household_move_out.html", {"form": form, "household": household})


def _save_through(form, save):
    """Validate the form, then save its instance through the service; a rule the service enforces
    becomes a form error, with the user's input kept."""
    if not form.is_valid():
        return None
    try:
        return save(form.instance)
    except ValidationError as exc:
        form.add_error(None, exc)
        return None


def _save_resident(form, user):
    return _save_through(form, lambda resident: services.resident_save(resident=resident, user=user))


def _save_enrolment(form):
    return _save_through(form, lambda enrolment: services.enrolment_save(enrolment=enrolment))


@require_http_methods(["GET", "POST"])
def resident_create(request, household: int):
    household = _editable_household(request.user, household)
    relation = Resident.Relation.HEAD if not household.members.exists() else ""
    form = ResidentForm(
        request.POST or None,
        instance=Resident(household=household),
        initial={"relation_to_head": relation} if relation else None,
    )
    # Looked up before the form is checked: the form would refuse a resend for its ID number, now taken.
    earlier = request.method == "POST" and posted_record(Resident, request.POST.get("submission_token"))
    if earlier and earlier.household_id == household.pk:
        messages.info(request, _("已保存，未重复登记。"))
        return redirect("household_file", pk=household.pk)

    def save(new):
        return services.resident_save(
            resident=new, user=request.user, submission_token=form.cleaned_data["submission_token"]
        )

    resident = None
    if request.method == "POST":
        try:
            resident = _save_through(form, save)
        except AlreadySubmitted:  # the same form sent twice at the same moment
            messages.info(request, _("已保存，未重复登记。"))
            return redirect("household_file", pk=household.pk)
    if resident:
        messages.success(request, _("已登记居民 %(name)s。") % {"name": resident.name})
        if "add_another" in request.POST:
            return redirect("residents:resident_create", household=household.pk)
        return redirect("household_file", pk=household.pk)
    return render(request, "residents/resident_form.html", {"form": form, "household": household})


@require_http_methods(["GET", "POST"])
def resident_edit(request, pk: int):
    resident = _resident_or_404(request.user, pk)
    household = resident.household
    if not permissions.can_edit_household(request.user, household):
        raise PermissionDenied
    # Editing is no way around revealing: without the right the form shows the masks, and with it the
    # full values it shows are a reveal, recorded as one.
    may_reveal = permissions.can_reveal_resident(request.user, resident)
    form = ResidentForm(request.POST or None, instance=resident, masked=not may_reveal)
    if request.method == "POST" and _save_resident(form, request.user):
        messages.success(request, _("居民信息已保存。"))
        return redirect("household_file", pk=household.pk)
    if may_reveal and request.method == "GET":
        _record_reveal_for_editing(request.user, resident)
    return render(
        request,
        "residents/resident_form.html",
        {"form": form, "household": household, "resident": resident},
    )


def _record_reveal_for_editing(user, resident: Resident) -> None:
    for field in (SensitiveField.ID_NUMBER, SensitiveField.PHONE):
        if getattr(resident, field):
            services.resident_reveal(user=user, resident=resident, field=field, reason=RevealReason.EDIT)


@require_http_methods(["GET", "POST"])
def resident_status(request, pk: int):
    resident = _resident_or_404(request.user, pk)
    if not permissions.can_edit_household(request.user, resident.household):
        raise PermissionDenied
    form = ResidentStatusForm(request.POST or None, instance=resident)
    if request.method == "POST" and _save_resident(form, request.user):
        messages.success(request, _("已更新 %(name)s 的状态。") % {"name": resident.name})
        return redirect("household_file", pk=resident.household_id)
    return render(request, "residents/resident_status.html", {"form": form, "resident": resident})


@require_POST
def resident_reveal(request, pk: int):
    """Show one full ID number or phone, deliberately, and record who saw it and why."""
    resident = _resident_or_404(request.user, pk)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return render(request, "residents/_reveal_error.html", {"message": _("请选择查看事由。")}, status=400)
    field = SensitiveField(form.cleaned_data["field"])
    value = services.resident_reveal(
        user=request.user, resident=resident, field=field, reason=form.cleaned_data["reason"]
    )
    template = (
        "residents/_revealed.html" if request.headers.get("HX-Request") else "residents/reveal_page.html"
    )
    return render(request, template, {"value": value, "field": field, "resident": resident})


def _enrolments_editable(user, pk: int) -> Household:
    """The enrolment forms show every detail: the registry's keepers who may see them."""
    household = _editable_household(user, pk)
    if not permissions.can_see_care_details(user, household):
        raise PermissionDenied
    return household


@require_http_methods(["GET", "POST"])
def enrolment_create(request, household: int):
    household = _enrolments_editable(request.user, household)
    form = EnrolmentForm(
        request.POST or None,
        household=household,
        initial={"since": timezone.localdate()},
    )
    if request.method == "POST" and _save_enrolment(form):
        messages.success(request, _("关爱对象已登记。"))
        return redirect("household_file", pk=household.pk)
    return render(request, "residents/enrolment_form.html", {"form": form, "household": household})


@require_http_methods(["GET", "POST"])
def enrolment_edit(request, pk: int):
    try:
        enrolment = CareEnrolment.objects.visible_to(request.user).get(pk=pk)
    except CareEnrolment.DoesNotExist:
        raise Http404 from None
    household = _enrolments_editable(request.user, enrolment.household_id)
    form = EnrolmentForm(request.POST or None, instance=enrolment, household=household)
    if request.method == "POST" and _save_enrolment(form):
        messages.success(request, _("关爱对象登记已保存。"))
        return redirect("household_file", pk=household.pk)
    return render(
        request,
        "residents/enrolment_form.html",
        {"form": form, "household": household, "enrolment": enrolment},
    )


@require_http_methods(["GET", "POST"])
def liaison_set(request, household: int):
    household = _editable_household(request.user, household)
    party_members = Resident.objects.visible_to(request.user).filter(
        grid__community_id=household.grid.community_id,
        status=Resident.Status.ACTIVE,
        political_status__in=[
            Resident.PoliticalStatus.PARTY_MEMBER,
            Resident.PoliticalStatus.PROBATIONARY,
        ],
    )
    form = LiaisonForm(
        request.POST or None, party_members=party_members, initial={"since": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.liaison_link(household=household, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("联户党员已设定。"))
            return redirect("household_file", pk=household.pk)
    return render(request, "residents/liaison_form.html", {"form": form, "household": household})
