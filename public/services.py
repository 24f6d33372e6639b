"""Every write of the residents' own channel: a poster's link, a request raised, and what the requester
does on the tracking page (withdraw, send what was asked for, answer the follow-up).

The requester's moves go through the case workflow's one transition service as the residents' channel
account (cases.services.outside_actor with cases.workflow.REQUESTER_ACTOR), which wears the REQUESTER hat
and nothing else; this module is the only code that acts as it, and only for the case whose tracking
token the resident holds.
"""

import datetime
import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from cases import services as case_services
from cases.models import Action, Case, Category, Channel
from cases.workflow import REQUESTER_ACTOR
from common.phones import normalize_phone
from common.submissions import create_once
from grids.models import Building

from .models import PlaceLink, ResidentRequest

# What one phone and one network address may raise (the requests counted are the ones recorded here, so
# the limits hold across processes and servers).
PER_PHONE_PER_DAY = 3
PER_ADDRESS_PER_HOUR = 10
# A resident's photos: fewer than the desk's, each through the same check (common.photos).
PHOTOS_PER_REQUEST = 3


class TooManyRequests(Exception):  # noqa: N818 (an outcome the resident is told about, not a fault)
    """The phone or the network address has raised as many requests as the limits allow."""


# The account's name as timelines show it: stored once, like every account's name, so not translated.
REQUESTER_ACTOR_NAME = "诉求人（线上）"


def requester_actor():
    return case_services.outside_actor(REQUESTER_ACTOR, REQUESTER_ACTOR_NAME)


def _digest(kind: str, value: str) -> str:
    """A keyed digest: equal values match, and the value cannot be read back or guessed from it offline."""
    return salted_hmac(f"public.{kind}", value, algorithm="sha256").hexdigest()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_code() -> str:
    return secrets.token_urlsafe(9)  # 12 characters, 72 random bits


def place_link_for(*, grid, building: Building | None = None, code: str | None = None) -> PlaceLink:
    """The poster link of a grid (building None) or of one of its buildings, made once (with `code` when
    given: the demo's links are published; any other is random)."""
    if building is not None and building.grid_id != grid.pk:
        raise ValidationError(_("该楼栋不属于所选网格。"))
    found = PlaceLink.objects.filter(grid=grid, building=building).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return PlaceLink.objects.create(code=code or _new_code(), grid=grid, building=building)
    except IntegrityError:  # printed at the same moment by someone else
        return PlaceLink.objects.get(grid=grid, building=building)


@dataclass(frozen=True)
class ResidentIntake:
    category: Category
    description: str
    name: str
    phone: str
    building: Building | None = None
    address: str = ""


@dataclass(frozen=True)
class Raised:
    case: Case
    token: str  # the private tracking link's token: shown once, stored only as its digest


def _throttle(*, phone_digest: str, address_digest: str, now: datetime.datetime) -> None:
    recent = ResidentRequest.objects.filter
    if recent(phone_digest=phone_digest, created_at__gte=now - datetime.timedelta(days=1)).count() >= (
        PER_PHONE_PER_DAY
    ):
        raise TooManyRequests(
            _("同一电话号码一天内最多提交 %(n)d 件诉求。已提交的诉求请用查询链接查看；急事请直接致电社区。")
            % {"n": PER_PHONE_PER_DAY}
        )
    if recent(address_digest=address_digest, created_at__gte=now - datetime.timedelta(hours=1)).count() >= (
        PER_ADDRESS_PER_HOUR
    ):
        raise TooManyRequests(_("提交过于频繁，请一小时后再试；急事请直接致电社区。"))


def _check(intake: ResidentIntake, place: PlaceLink) -> str:
    errors: dict[str, list[str]] = {}
    if not intake.category.active or not intake.category.for_residents:
        errors["category"] = [_("请选择诉求类别。")]
    if intake.building is not None and intake.building.grid_id != place.grid_id:
        errors["building"] = [_("该楼栋不属于本网格。")]
    if not intake.description.strip():
        errors["description"] = [_("请写明您反映的问题。")]
    if not intake.name.strip():
        errors["name"] = [_("请填写您的称呼，便于社区联系您。")]
    phone = ""
    try:
        phone = normalize_phone(intake.phone)
    except ValidationError as error:
        errors["phone"] = error.messages
    if errors:
        raise ValidationError(errors)
    return phone


@transaction.atomic
def request_raise(
    *,
    place: PlaceLink,
    intake: ResidentIntake,
    photos: Sequence[UploadedFile] = (),
    remote_address: str,
    submission_token: uuid.UUID | None = None,
    now: datetime.datetime | None = None,
    token: str | None = None,
) -> Raised:
    """A resident's request from a poster's link: a case 待受理 with channel 线上 on the community's desk,
    and the token of its private tracking link.

    Throttled by phone and by network address, counted under a lock on the poster's link row, so two
    requests sent through one poster at once are counted one after the other. A form sent twice saves once
    (AlreadySubmitted names the case; its tracking link is not shown again). `token` is the demo's
    published one; every other request gets a random one.
    """
    now = now or timezone.now()
    phone = _check(intake, place)
    if len(photos) > PHOTOS_PER_REQUEST:
        raise ValidationError({"photos": [_("最多上传 %(n)d 张照片。") % {"n": PHOTOS_PER_REQUEST}]})
    place = (
        PlaceLink.objects.select_for_update(of=("self",)).select_related("grid", "building").get(pk=place.pk)
    )
    phone_digest, address_digest = _digest("phone", phone), _digest("address", remote_address or "")
    token = token or secrets.token_urlsafe(24)

    def create() -> Case:
        _throttle(phone_digest=phone_digest, address_digest=address_digest, now=now)
        building = place.building or intake.building
        case = case_services.case_register_outside(
            intake=case_services.Intake(
                channel=Channel.ONLINE,
                grid=place.grid,
                category=intake.category,
                urgency=intake.category.default_urgency,
                description=intake.description,
                requester=case_services.Requester(name=intake.name.strip(), phone=phone),
                building=building,
                address=intake.address.strip(),
            ),
            actor=requester_actor(),
            attachments=photos,
            now=now,
            submission_token=submission_token,
        )
        ResidentRequest.objects.create(
            case=case,
            place=place,
            token_digest=token_digest(token),
            phone_digest=phone_digest,
            address_digest=address_digest,
            created_at=now,
        )
        return case

    try:
        case = create_once(Case, submission_token, create)
    except ValidationError as error:  # the photos are checked by the registration, as the desk's are
        if hasattr(error, "error_dict") and "attachments" in error.error_dict:
            raise ValidationError({"photos": error.error_dict["attachments"]}) from None
        raise
    return Raised(case=case, token=token)


def case_for_token(token: str) -> Case | None:
    """The case this tracking token opens, or None (a wrong token and a bare case number open nothing)."""
    if not token or len(token) > 64:
        return None
    found = (
        ResidentRequest.objects.filter(token_digest=token_digest(token))
        .select_related("case__category", "case__grid__community", "case__building")
        .first()
    )
    return found.case if found is not None else None


def request_withdraw(*, case: Case, note: str = "", now: datetime.datetime | None = None) -> Case:
    """撤回: the requester takes back a request the community has not yet accepted."""
    return case_services.case_transition(
        case=case,
        action=Action.WITHDRAW,
        actor=requester_actor(),
        note=note,
        expected_status=case.status,
        now=now,
    )


def request_supplement(
    *, case: Case, note: str, photos: Sequence[UploadedFile] = (), now: datetime.datetime | None = None
) -> Case:
    """补充材料: what the community asked for while the clock waits on the requester; it resumes the clock."""
    if len(photos) > PHOTOS_PER_REQUEST:
        raise ValidationError({"photos": [_("最多上传 %(n)d 张照片。") % {"n": PHOTOS_PER_REQUEST}]})
    return case_services.case_transition_with_photos(
        case=case,
        photos=photos,
        action=Action.SUPPLEMENT,
        actor=requester_actor(),
        note=note,
        expected_status=case.status,
        now=now,
    )


def request_rate(
    *,
    case: Case,
    resolved: bool | None,
    satisfaction: str,
    note: str = "",
    now: datetime.datetime | None = None,
) -> Case:
    """The requester's own follow-up: counted exactly as the desk's call (the same move of the table)."""
    return case_services.case_transition(
        case=case,
        action=Action.FOLLOW_UP,
        actor=requester_actor(),
        note=note,
        resolved=resolved,
        satisfaction=satisfaction,
        expected_status=case.status,
        now=now,
    )
