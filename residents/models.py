"""Households, residents, care enrolments, Party-member links, and the record of who saw what."""

import datetime
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.crypto import EncryptedTextField
from common.submissions import submission_token_column
from grids.models import Dwelling, Grid

from . import identity


class HouseholdQuerySet(models.QuerySet):
    def visible_to(self, user) -> Self:
        return self.filter(grid__in=Grid.objects.visible_to(user))


class Household(models.Model):
    """户: the people living together at one dwelling; its page is the household file (一户一档)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("在册")
        MOVED_OUT = "moved_out", _("已迁出")

    dwelling = models.ForeignKey(
        Dwelling, on_delete=models.PROTECT, related_name="households", verbose_name=_("房屋")
    )
    # Always the dwelling's building's grid (set by residents.services); kept on the row because
    # every list is scoped and filtered by grid, and a district holds a million residents.
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="households", verbose_name=_("网格")
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status, default=Status.ACTIVE)
    moved_out_on = models.DateField(_("迁出日期"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("建档时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # The token of the form that created it: a form sent twice saves once (common.submissions).
    submission_token = submission_token_column()

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["id"]
        constraints = [
            # Unique by itself through id; as a pair it serves the grid's lists in id order and is what
            # each resident's (household, grid) refers to (migration 0003).
            models.UniqueConstraint(fields=["grid", "id"], name="household_grid_id"),
            models.CheckConstraint(
                condition=Q(status="active", moved_out_on__isnull=True)
                | Q(status="moved_out", moved_out_on__isnull=False),
                name="household_moved_out_is_dated",
            ),
        ]

    def __str__(self) -> str:
        return str(self.dwelling)


class ResidentQuerySet(models.QuerySet):
    def visible_to(self, user) -> Self:
        return self.filter(grid__in=Grid.objects.visible_to(user))

    def current(self) -> Self:
        return self.filter(status=Resident.Status.ACTIVE)

    def with_id_number(self, number: str) -> Self:
        """The resident holding this ID number (in canonical form), found by its blind index."""
        return self.filter(id_number_index=identity.id_number_index(number))

    def with_phone(self, phone: str) -> Self:
        """Residents with this phone (national digits, as normalize_phone gives), by its blind index."""
        return self.filter(phone_index=identity.phone_index(phone))

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for resident in objs:
            resident.store_identity_parts()
        return super().bulk_create(objs, *args, **kwargs)


class Resident(models.Model):
    """居民: a person in a household. Moving out and death are dated statuses, never deletions."""

    class Sex(models.TextChoices):
        MALE = identity.MALE, _("男")
        FEMALE = identity.FEMALE, _("女")

    class Relation(models.TextChoices):
        HEAD = "head", _("户主")
        SPOUSE = "spouse", _("配偶")
        CHILD = "child", _("子女")
        PARENT = "parent", _("父母")
        GRANDCHILD = "grandchild", _("孙子女")
        SIBLING = "sibling", _("兄弟姐妹")
        OTHER = "other", _("其他")

    class PoliticalStatus(models.TextChoices):
        PARTY_MEMBER = "party_member", _("中共党员")
        PROBATIONARY = "probationary_party_member", _("中共预备党员")
        LEAGUE_MEMBER = "league_member", _("共青团员")
        DEMOCRATIC_PARTY = "democratic_party", _("民主党派")
        MASSES = "masses", _("群众")

    class ResidenceType(models.TextChoices):
        REGISTERED = "registered", _("户籍")
        PERMANENT = "permanent", _("常住")
        FLOATING = "floating", _("流动")

    class Status(models.TextChoices):
        ACTIVE = "active", _("在册")
        MOVED_OUT = "moved_out", _("已迁出")
        DECEASED = "deceased", _("已故")

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="members", verbose_name=_("所属户")
    )
    # Always the household's grid: set by clean() and by residents.services.household_update, and on
    # PostgreSQL held there by a foreign key on (household, grid) (migration 0003). Kept on the row so
    # a search checks the user's scope on the rows its index finds, without a join per match.
    grid = models.ForeignKey(
        Grid,
        on_delete=models.PROTECT,
        related_name="residents",
        verbose_name=_("网格"),
        blank=True,
        editable=False,
        db_index=False,
    )
    name = models.CharField(_("姓名"), max_length=50)
    # The ID number and the phone are stored encrypted (common.crypto) and read in clear. What finds
    # and masks them is stored beside them: a keyed blind index for the whole number (unique for the ID
    # number), the region and last four ID digits, the phone's first three and last four digits. All of
    # them follow the clear values on every save (store_identity_parts).
    id_number = EncryptedTextField(_("身份证号"), max_length=18)
    id_number_index = models.CharField(max_length=64, unique=True, editable=False)
    id_region = models.CharField(max_length=6, editable=False)
    id_last4 = models.CharField(max_length=4, editable=False)
    sex = models.CharField(_("性别"), max_length=8, choices=Sex)
    birth_date = models.DateField(_("出生日期"))
    phone = EncryptedTextField(_("联系电话"), max_length=20, blank=True)
    phone_index = models.CharField(max_length=64, blank=True, editable=False)
    phone_prefix = models.CharField(max_length=3, blank=True, editable=False)
    phone_last4 = models.CharField(max_length=4, blank=True, editable=False)
    relation_to_head = models.CharField(
        _("与户主关系"), max_length=16, choices=Relation, default=Relation.HEAD
    )
    political_status = models.CharField(
        _("政治面貌"), max_length=32, choices=PoliticalStatus, default=PoliticalStatus.MASSES
    )
    residence_type = models.CharField(
        _("居住类型"), max_length=16, choices=ResidenceType, default=ResidenceType.REGISTERED
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status, default=Status.ACTIVE)
    status_date = models.DateField(_("迁出/去世日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # The token of the form that created it: a form sent twice saves once (common.submissions).
    submission_token = submission_token_column()

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ["id"]
        indexes = [
            # Search by the last four ID digits or the phone tail the resident reads out, and by a
            # whole phone number (reveal roles only: residents.services.full_number_search).
            models.Index(fields=["id_last4"], name="resident_id_last4"),
            models.Index(fields=["phone_last4"], name="resident_phone_last4"),
            models.Index(fields=["phone_index"], name="resident_phone_index"),
            models.Index(fields=["grid", "id"], name="resident_grid_id"),
            # The name-fragment index (pg_trgm) is PostgreSQL-only: see migration 0002.
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    id_number_index__regex=r"^[0-9a-f]{64}$",
                    id_region__regex=r"^[0-9]{6}$",
                    id_last4__regex=r"^[0-9]{3}[0-9X]$",
                ),
                name="resident_id_number_parts",
            ),
            models.CheckConstraint(
                condition=Q(status="active", status_date__isnull=True)
                | Q(status__in=["moved_out", "deceased"], status_date__isnull=False),
                name="resident_status_is_dated",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.store_identity_parts()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"id_number", "phone"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, *IDENTITY_PARTS}
        super().save(*args, **kwargs)

    def store_identity_parts(self) -> None:
        """Set the blind indexes and the stored parts from the clear ID number and phone."""
        number, phone = self.id_number or "", self.phone or ""
        self.id_number_index = identity.id_number_index(number) if number else ""
        self.id_region, self.id_last4 = number[:6], number[-4:]
        self.phone_index = identity.phone_index(phone) if phone else ""
        self.phone_prefix, self.phone_last4 = phone[:3], phone[-4:]

    def validate_unique(self, exclude=None) -> None:
        """The ID number is unique through its blind index; the error belongs to the ID number."""
        exclude = set(exclude or ())
        super().validate_unique(exclude=exclude | {"id_number_index"})
        if "id_number" in exclude or not self.id_number:
            return
        taken = Resident.objects.with_id_number(self.id_number).exclude(pk=self.pk)
        if taken.exists():
            raise ValidationError({"id_number": gettext("该身份证号已在平台中登记。")}, code="unique")

    def validate_constraints(self, exclude=None) -> None:
        # The stored parts follow the ID number: when it is wrong, its own error is enough.
        exclude = set(exclude or ())
        if "id_number" in exclude:
            exclude |= {"id_number_index", "id_region", "id_last4"}
        super().validate_constraints(exclude=exclude)

    def clean(self) -> None:
        """The grid is the household's; the ID number is the source of truth for birth date and sex."""
        if self.household_id is not None:
            self.grid_id = self.household.grid_id
        errors: dict[str, list[str]] = {}
        try:
            self.id_number = identity.normalize_id_number(self.id_number)
        except ValidationError as exc:
            errors["id_number"] = exc.messages
        else:
            expected_birth = identity.id_birth_date(self.id_number)
            if self.birth_date and self.birth_date != expected_birth:
                errors["birth_date"] = [
                    gettext("出生日期与身份证号不一致：身份证号显示为 %(date)s。")
                    % {"date": expected_birth.isoformat()}
                ]
            expected_sex = identity.id_sex(self.id_number)
            if self.sex and self.sex != expected_sex:
                errors["sex"] = [
                    gettext("性别与身份证号不一致：身份证号显示为%(sex)s。")
                    % {"sex": self.Sex(expected_sex).label}
                ]
        if self.phone:
            try:
                self.phone = identity.normalize_phone(self.phone)
            except ValidationError as exc:
                errors["phone"] = exc.messages
        if self.status != self.Status.ACTIVE and not self.status_date:
            errors["status_date"] = [gettext("迁出或去世须填写日期。")]
        if self.status == self.Status.ACTIVE:
            self.status_date = None
        if self.status_date and self.status_date > timezone.localdate():
            errors["status_date"] = [gettext("日期不能晚于今天。")]
        self.store_identity_parts()
        if errors:
            raise ValidationError(errors)

    @property
    def masked_id_number(self) -> str:
        return identity.mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return identity.mask_phone(self.phone)

    def age_on(self, day: datetime.date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())


IDENTITY_PARTS = ("id_number_index", "id_region", "id_last4", "phone_index", "phone_prefix", "phone_last4")


class CareCategory(models.TextChoices):
    """关爱对象 categories from DOMAIN.md."""

    ELDERLY_LIVING_ALONE = "elderly_living_alone", _("独居老人")
    EMPTY_NEST_ELDERLY = "empty_nest_elderly", _("空巢老人")
    VERY_OLD = "very_old", _("高龄老人")
    BEREAVED_PARENTS = "bereaved_parents", _("失独家庭")
    DISABLED = "disabled", _("残疾人")
    MINIMUM_ALLOWANCE = "minimum_allowance", _("低保户")
    EXTREME_POVERTY_SUPPORT = "extreme_poverty_support", _("特困供养")
    PARTY_MEMBER_IN_HARDSHIP = "party_member_in_hardship", _("困难党员")


ALLOWANCE_CATEGORIES = frozenset({CareCategory.MINIMUM_ALLOWANCE, CareCategory.EXTREME_POVERTY_SUPPORT})


class DisabilityType(models.TextChoices):
    VISION = "vision", _("视力残疾")
    HEARING = "hearing", _("听力残疾")
    SPEECH = "speech", _("言语残疾")
    PHYSICAL = "physical", _("肢体残疾")
    INTELLECTUAL = "intellectual", _("智力残疾")
    MENTAL = "mental", _("精神残疾")
    MULTIPLE = "multiple", _("多重残疾")


class DisabilityGrade(models.IntegerChoices):
    GRADE_1 = 1, _("一级")
    GRADE_2 = 2, _("二级")
    GRADE_3 = 3, _("三级")
    GRADE_4 = 4, _("四级")


class CareEnrolmentQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date) -> Self:
        return self.filter(Q(until__isnull=True) | Q(until__gte=day), since__lte=day)

    def visible_to(self, user) -> Self:
        return self.filter(household__grid__in=Grid.objects.visible_to(user))


class CareEnrolment(models.Model):
    """关爱对象: a household (and, where it is about one person, a resident) in a care category."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("户")
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolments",
        verbose_name=_("对象"),
        help_text=_("针对个人的类别（如残疾人、独居老人）填写；针对全户的（如低保户）可留空。"),
    )
    category = models.CharField(_("类别"), max_length=32, choices=CareCategory)
    since = models.DateField(_("起始日期"))
    until = models.DateField(_("截止日期"), null=True, blank=True)
    disability_type = models.CharField(_("残疾类别"), max_length=16, choices=DisabilityType, blank=True)
    disability_grade = models.PositiveSmallIntegerField(
        _("残疾等级"), choices=DisabilityGrade, null=True, blank=True
    )
    allowance_monthly_amount = models.DecimalField(
        _("月保障金额（元）"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    allowance_certificate = models.CharField(_("证件编号"), max_length=40, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = CareEnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("关爱对象登记")
        verbose_name_plural = _("关爱对象登记")
        ordering = ["-since", "id"]
        indexes = [models.Index(fields=["category", "household"], name="enrolment_category")]
        constraints = [
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                name="enrolment_until_after_since",
            ),
            models.CheckConstraint(
                condition=(
                    Q(category="disabled", disability_grade__isnull=False) & ~Q(disability_type="")
                    | ~Q(category="disabled") & Q(disability_grade__isnull=True, disability_type="")
                ),
                name="enrolment_disability_details",
            ),
            models.CheckConstraint(
                condition=Q(allowance_monthly_amount__isnull=True) | Q(allowance_monthly_amount__gte=0),
                name="enrolment_allowance_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.household}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.until and self.since and self.until < self.since:
            errors["until"] = gettext("截止日期不能早于起始日期。")
        if self.category == CareCategory.DISABLED:
            if not self.disability_type:
                errors["disability_type"] = gettext("残疾人须填写残疾类别。")
            if not self.disability_grade:
                errors["disability_grade"] = gettext("残疾人须填写残疾等级。")
            if not self.resident_id:
                errors["resident"] = gettext("残疾人登记须指明是哪位居民。")
        else:
            if self.disability_type or self.disability_grade:
                errors["disability_type"] = gettext("只有残疾人类别才填写残疾类别和等级。")
        if self.category not in ALLOWANCE_CATEGORIES and (
            self.allowance_monthly_amount is not None or self.allowance_certificate
        ):
            errors["allowance_monthly_amount"] = gettext("只有低保户和特困供养才填写保障金额和证件编号。")
        if self.resident_id and self.household_id and self.resident.household_id != self.household_id:
            errors["resident"] = gettext("该居民不属于这一户。")
        if errors:
            raise ValidationError(errors)

    def is_active_on(self, day: datetime.date) -> bool:
        return self.since <= day and (self.until is None or self.until >= day)


class LiaisonLink(models.Model):
    """联户: a Party member linked to a household they keep in touch with (党员联系户)."""

    party_member = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        related_name="liaison_links",
        verbose_name=_("联户党员"),
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        related_name="liaison_links",
        verbose_name=_("联系户"),
    )
    since = models.DateField(_("起始日期"))
    until = models.DateField(_("截止日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("党员联户")
        verbose_name_plural = _("党员联户")
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(until__isnull=True),
                name="liaison_one_current_per_household",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                name="liaison_until_after_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party_member} → {self.household}"


class SensitiveField(models.TextChoices):
    ID_NUMBER = "id_number", _("身份证号")
    PHONE = "phone", _("联系电话")


class RevealReason(models.TextChoices):
    CONTACT = "contact", _("联系居民")
    SERVICE = "service", _("办理业务")
    VERIFY = "verify", _("核实信息")
    VISIT = "visit", _("入户走访")
    EDIT = "edit", _("修改居民信息")  # recorded by the edit form, which shows the full values to edit them


class RevealRecord(models.Model):
    """Each time someone saw a full ID number or phone: who, whose, which, when and why.

    A search by a full number is recorded here too (reason SEARCH): one row per resident it found, all
    with the same time, or one row without a resident when it found nobody (a guess that missed).
    """

    SEARCH = "search"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reveal_records",
        verbose_name=_("查看人"),
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reveal_records",
        verbose_name=_("居民"),
    )
    field = models.CharField(_("字段"), max_length=16, choices=SensitiveField)
    reason = models.CharField(
        _("事由"), max_length=16, choices=[*RevealReason.choices, (SEARCH, _("按完整号码查询"))]
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("敏感信息查看记录")
        verbose_name_plural = _("敏感信息查看记录")
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "reason", "at"], name="reveal_user_reason_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(resident__isnull=False) | Q(reason="search"),
                name="reveal_resident_unless_search",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.resident or '—'} · {self.get_field_display()}"


class ExportRecord(models.Model):
    """Each export (a ledger, the dashboard's workbook, the monthly report): what, who, when, which filters,
    how many rows, in full or masked."""

    class Kind(models.TextChoices):
        RESIDENTS = "residents", _("居民台账")
        VISITS = "visits", _("走访记录")
        CASES = "cases", _("诉求工单")
        DASHBOARD = "dashboard", _("数据看板")
        MONTHLY_REPORT = "monthly_report", _("月度报告")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="export_records",
        verbose_name=_("导出人"),
    )
    kind = models.CharField(_("导出内容"), max_length=16, choices=Kind)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("行数"))
    unmasked = models.BooleanField(_("含完整证件号和电话"), default=False)

    class Meta:
        verbose_name = _("台账导出记录")
        verbose_name_plural = _("台账导出记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.at:%Y-%m-%d %H:%M} · {self.row_count}"
