"""Every write to households, residents, enrolments and links, and the records of reveals and exports."""

import datetime
import uuid
from dataclasses import replace

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from common.submissions import create_once
from grids.models import Dwelling

from . import identity, permissions, selectors
from .models import (
    CareEnrolment,
    ExportRecord,
    Household,
    LiaisonLink,
    Resident,
    RevealReason,
    RevealRecord,
    SensitiveField,
)


def household_create(
    *, dwelling: Dwelling, note: str = "", submission_token: uuid.UUID | None = None
) -> Household:
    """Open a household file at a dwelling; its grid is the dwelling's building's grid. A form sent twice
    opens one file (AlreadySubmitted names it)."""
    household = Household(
        dwelling=dwelling, grid_id=dwelling.building.grid_id, note=note, submission_token=submission_token
    )
    return create_once(Household, submission_token, lambda: _checked_save(household))


@transaction.atomic
def _checked_save(record: Household | Resident):
    # The token's uniqueness is create_once's to answer (with the record saved first), not a form error.
    record.full_clean(exclude=["submission_token"])
    record.save()
    return record


@transaction.atomic
def household_update(*, household: Household, dwelling: Dwelling, note: str) -> Household:
    """Correct a household's dwelling or note; the grid follows the dwelling, and the members the grid."""
    household.dwelling = dwelling
    household.grid_id = dwelling.building.grid_id
    household.note = note
    household.full_clean()
    household.save()
    household.members.exclude(grid_id=household.grid_id).update(grid_id=household.grid_id)
    return household


@transaction.atomic
def household_move_out(*, household: Household, on: datetime.date) -> Household:
    """The whole household left: it and its current members are kept, dated as moved out."""
    if on > timezone.localdate():
        raise ValidationError({"moved_out_on": _("日期不能晚于今天。")})
    household.status = Household.Status.MOVED_OUT
    household.moved_out_on = on
    household.save(update_fields=["status", "moved_out_on", "updated_at"])
    household.members.filter(status=Resident.Status.ACTIVE).update(
        status=Resident.Status.MOVED_OUT, status_date=on
    )
    return household


def resident_save(*, resident: Resident, user=None, submission_token: uuid.UUID | None = None) -> Resident:
    """Create or update a resident after the checks of Resident.clean (ID, birth date, sex, phone).

    With `user` (the resident form's author), an ID number they typed is checked for being taken as a
    full-number search is: throttled and recorded (see typed_id_number_check). A new resident's form sent
    twice registers one person (AlreadySubmitted names them).
    """
    if user is not None:
        typed_id_number_check(user=user, resident=resident)
    if resident.pk is not None or submission_token is None:
        return _checked_save(resident)
    resident.submission_token = submission_token
    return create_once(Resident, submission_token, lambda: _checked_save(resident))


@transaction.atomic
def enrolment_save(*, enrolment: CareEnrolment) -> CareEnrolment:
    """Create or update a care enrolment after its category's rules are checked."""
    enrolment.full_clean()
    enrolment.save()
    return enrolment


@transaction.atomic
def liaison_link(*, party_member: Resident, household: Household, since: datetime.date) -> LiaisonLink:
    """Link a Party member to a household (联户), ending the household's previous link."""
    if party_member.political_status not in (
        Resident.PoliticalStatus.PARTY_MEMBER,
        Resident.PoliticalStatus.PROBATIONARY,
    ):
        raise ValidationError({"party_member": _("联户党员须是中共党员或预备党员。")})
    if party_member.status != Resident.Status.ACTIVE:
        raise ValidationError({"party_member": _("该党员已迁出或去世。")})
    current = LiaisonLink.objects.select_for_update().filter(household=household, until__isnull=True)
    for link in current:
        if link.party_member_id == party_member.pk:
            return link
        link.until = max(since, link.since)
        link.save(update_fields=["until"])
    link = LiaisonLink(party_member=party_member, household=household, since=since)
    link.full_clean()
    link.save()
    return link


def resident_reveal(*, user, resident: Resident, field: SensitiveField, reason: RevealReason) -> str:
    """Return a resident's full ID number or phone to a user allowed to see it, and record that."""
    if not permissions.can_reveal_resident(user, resident):
        raise PermissionDenied
    RevealRecord.objects.create(user=user, resident=resident, field=field, reason=reason)
    return getattr(resident, field)


# Full-number searches a user may make in an hour: enough for a desk's day of callers, far too few to
# walk the 10,000 middle digits of a masked phone.
FULL_NUMBER_SEARCHES_PER_HOUR = 30


class NumberSearchRefused(Exception):
    """A search by a full number that the user may not make (now or at all); `message` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def full_number_search(*, user, filters: selectors.ResidentFilters) -> selectors.ResidentFilters:
    """Resolve a search by a full ID number or phone: allowed, throttled and recorded, like a reveal.

    Any other search comes back unchanged. Only roles that may reveal search by a full number, and only
    in the grids where they may; at most FULL_NUMBER_SEARCHES_PER_HOUR an hour, counted from the
    recorded searches (so the limit holds across processes and servers; the user's row is locked while
    counting, so parallel requests are counted one after the other). Each search is recorded, found or not.
    Raises NumberSearchRefused; returns the filters with the ids found (ResidentFilters.number_ids).
    """
    number = filters.number
    if number is None or number.kind == "tail":
        return filters
    if number.kind == "partial":
        raise NumberSearchRefused(_("号码不完整：请输入后四位，或完整的手机号、身份证号。"))
    if not permissions.can_search_full_numbers(user):
        raise NumberSearchRefused(
            _("您的岗位只能按号码后四位查询；按完整身份证号或电话查询须由可查看完整信息的岗位办理。")
        )
    with transaction.atomic():
        if _full_number_searches_left(user) <= 0:
            raise NumberSearchRefused(
                _(
                    "一小时内最多按完整号码查询 %(limit)s 次，您已达到上限，请稍后再试；"
                    "按姓名或后四位查询不受此限。"
                )
                % {"limit": FULL_NUMBER_SEARCHES_PER_HOUR}
            )
        scope = selectors.search_scope(user, filters).filter(grid__in=permissions.grids_revealable_by(user))
        ids = selectors.ids_with_full_number(scope, number)
        at = timezone.now()
        found: list[int | None] = [*ids] or [None]  # a search that found nobody is recorded too
        # One save per row (a full number finds one resident, a shared phone a household): bulk_create
        # sends no post_save, and the audit copies each reveal when it is saved.
        for pk in found:
            RevealRecord.objects.create(
                user=user, resident_id=pk, field=number.kind, reason=RevealRecord.SEARCH, at=at
            )
    return replace(filters, number_ids=tuple(ids), number_label=number.masked)


def _full_number_searches_left(user) -> int:
    """How many more full-number searches the user may make this hour. Call inside a transaction: the
    user's row is locked, so parallel requests are counted one after the other."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    since = timezone.now() - datetime.timedelta(hours=1)
    searches = RevealRecord.objects.filter(user=user, reason=RevealRecord.SEARCH, at__gte=since)
    # The rows of one search share their time: each search counts once however many it found.
    return FULL_NUMBER_SEARCHES_PER_HOUR - searches.aggregate(n=Count("at", distinct=True))["n"]


def typed_id_number_check(*, user, resident: Resident) -> None:
    """An ID number typed on the resident form: refused when someone else holds it, counted as a search.

    "Already registered" confirms that a typed number is someone's, so typing numbers would find people
    as searching by them does: each refusal is recorded as a full-number search of the resident who holds
    the number (whoever the user is), and once the hour's searches are spent no typed number is checked
    at all, since saving or not would answer the same question. A number left as stored is not checked.
    Raises ValidationError on the ID number.
    """
    if not resident.id_number:
        return
    try:
        index = identity.id_number_index(identity.normalize_id_number(resident.id_number))
    except ValidationError:
        return  # Resident.clean names what is wrong with it
    others = Resident.objects.filter(id_number_index=index)
    if resident.pk is not None:
        if others.filter(pk=resident.pk).exists():
            return
        others = others.exclude(pk=resident.pk)
    with transaction.atomic():
        if _full_number_searches_left(user) <= 0:
            raise ValidationError(
                {
                    "id_number": _(
                        "一小时内按完整号码查询（含登记时身份证号查重）已达 %(limit)s 次上限，"
                        "请稍后再录入身份证号。"
                    )
                    % {"limit": FULL_NUMBER_SEARCHES_PER_HOUR}
                }
            )
        holder = others.values_list("pk", flat=True).first()
        if holder is not None:
            RevealRecord.objects.create(
                user=user, resident_id=holder, field=SensitiveField.ID_NUMBER, reason=RevealRecord.SEARCH
            )
    if holder is not None:  # raised once the record is committed
        raise ValidationError({"id_number": _("该身份证号已在平台中登记。")}, code="unique")


def export_record(
    *, user, kind: ExportRecord.Kind, filters: dict, row_count: int, unmasked: bool
) -> ExportRecord:
    """Record that a ledger was exported, so every copy that left the portal is accounted for."""
    return ExportRecord.objects.create(
        user=user, kind=kind, filters=filters, row_count=row_count, unmasked=unmasked
    )
