"""Co-governance: partner units (大党委成员单位), reporting Party members (双报到), volunteers and their
teams, and activities with sign-up, attendance and service hours (志愿服务时长)."""

import datetime
from decimal import Decimal
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from common.crypto import EncryptedTextField
from common.submissions import submission_token_column
from grids.models import Community, Grid
from residents import identity
from residents.models import Resident


class CommunityScopedQuerySet(models.QuerySet):
    def visible_to(self, user) -> Self:
        """Rows of the communities the user sees (grids.models.CommunityQuerySet.visible_to)."""
        return self.filter(community__in=Community.objects.visible_to(user))


class PartnerUnit(models.Model):
    """大党委成员单位: a unit paired with the community that offers it help (venue, funds, advice...)."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="partner_units", verbose_name=_("社区")
    )
    name = models.CharField(_("单位名称"), max_length=100)
    contact_person = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    offers = models.TextField(
        _("可提供的资源"), blank=True, help_text=_("如场地、资金、法律咨询、维修、陪诊等。")
    )
    active = models.BooleanField(_("在册"), default=True)

    objects = CommunityScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("大党委成员单位")
        verbose_name_plural = _("大党委成员单位")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name"], name="partner_unit_unique_name_in_community"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ReportingMemberQuerySet(models.QuerySet):
    def visible_to(self, user) -> Self:
        """Members serving the grids of the communities the user sees (like the other records here)."""
        return self.filter(grid__community__in=Community.objects.visible_to(user))


class ReportingMember(models.Model):
    """在职党员 (双报到): an in-service Party member who reported to the community and serves a grid."""

    name = models.CharField(_("姓名"), max_length=50)
    phone = EncryptedTextField(_("联系电话"), max_length=20, blank=True)
    unit = models.ForeignKey(
        PartnerUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reporting_members",
        verbose_name=_("所在单位（成员单位）"),
    )
    unit_name = models.CharField(
        _("所在单位"), max_length=100, blank=True, help_text=_("不是成员单位时填写。")
    )
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="reporting_members", verbose_name=_("服务网格")
    )
    reported_on = models.DateField(_("报到日期"))
    resident = models.ForeignKey(
        Resident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reporting_memberships",
        verbose_name=_("本社区居民"),
    )

    objects = ReportingMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("在职党员")
        verbose_name_plural = _("在职党员")
        ordering = ["-reported_on", "name"]
        indexes = [models.Index(fields=["grid", "reported_on"], name="reporting_member_grid_date")]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_phone(self) -> str:
        return identity.mask_phone(self.phone)

    @property
    def unit_label(self) -> str:
        return self.unit.name if self.unit_id else self.unit_name

    def clean(self) -> None:
        if self.phone:
            try:
                self.phone = identity.normalize_phone(self.phone)
            except ValidationError as exc:
                raise ValidationError({"phone": exc.messages}) from exc
        if self.unit_id and self.grid_id and self.unit.community_id != self.grid.community_id:
            raise ValidationError({"unit": _("成员单位不属于该网格所在的社区。")})


class Skill(models.TextChoices):
    LEGAL = "legal", _("法律咨询")
    MEDICAL = "medical", _("医疗健康")
    REPAIR = "repair", _("维修")
    ESCORT = "escort", _("陪诊陪护")
    CARE = "care", _("助老助残")
    TUTORING = "tutoring", _("课业辅导")
    CULTURE = "culture", _("文体活动")
    ENVIRONMENT = "environment", _("环境整治")
    PSYCHOLOGY = "psychology", _("心理疏导")
    OTHER = "other", _("其他")


class VolunteerTeam(models.Model):
    """志愿服务队, e.g. 石榴花开邻里互助队; members through Volunteer.teams."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="volunteer_teams", verbose_name=_("社区")
    )
    name = models.CharField(_("队名"), max_length=100)
    leader = models.ForeignKey(
        "Volunteer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teams_led",
        verbose_name=_("队长"),
    )
    description = models.TextField(_("简介"), blank=True)

    objects = CommunityScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("志愿服务队")
        verbose_name_plural = _("志愿服务队")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name"], name="volunteer_team_unique_name_in_community"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Volunteer(models.Model):
    """A volunteer: a registered resident, a reporting Party member, or an outsider (name and phone)."""

    class Kind(models.TextChoices):
        RESIDENT = "resident", _("本社区居民")
        REPORTING_MEMBER = "reporting_member", _("在职党员")
        OUTSIDER = "outsider", _("社会志愿者")

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="volunteers", verbose_name=_("社区")
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="volunteer_records",
        verbose_name=_("居民"),
    )
    reporting_member = models.ForeignKey(
        ReportingMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="volunteer_records",
        verbose_name=_("在职党员"),
    )
    # An outsider's name and phone; for the others, the name is copied from the record for lists and search.
    name = models.CharField(_("姓名"), max_length=50)
    phone = EncryptedTextField(_("联系电话"), max_length=20, blank=True)
    skills = models.JSONField(_("特长"), default=list, blank=True)
    teams = models.ManyToManyField(
        VolunteerTeam, blank=True, related_name="members", verbose_name=_("所属服务队")
    )
    active = models.BooleanField(_("在册"), default=True)
    joined_on = models.DateField(_("登记日期"), default=datetime.date.today)
    submission_token = submission_token_column()

    objects = CommunityScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resident__isnull=True) | Q(reporting_member__isnull=True),
                name="volunteer_is_one_kind",
            ),
            models.UniqueConstraint(
                fields=["community", "resident"],
                condition=Q(resident__isnull=False),
                name="volunteer_unique_resident",
            ),
            models.UniqueConstraint(
                fields=["community", "reporting_member"],
                condition=Q(reporting_member__isnull=False),
                name="volunteer_unique_reporting_member",
            ),
        ]
        indexes = [models.Index(fields=["community", "name"], name="volunteer_community_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def kind(self) -> str:
        if self.resident_id:
            return self.Kind.RESIDENT
        if self.reporting_member_id:
            return self.Kind.REPORTING_MEMBER
        return self.Kind.OUTSIDER

    def get_kind_display(self) -> str:
        return str(self.Kind(self.kind).label)

    @property
    def skill_labels(self) -> list[str]:
        return [str(Skill(value).label) for value in self.skills if value in Skill.values]

    @property
    def masked_phone(self) -> str:
        """The phone as every page shows it (masked like residents' phones)."""
        return identity.mask_phone(self.contact_phone)

    @property
    def contact_phone(self) -> str:
        if self.resident_id:
            return self.resident.phone
        if self.reporting_member_id:
            return self.reporting_member.phone
        return self.phone

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.resident_id and self.reporting_member_id:
            errors.setdefault("__all__", []).append(_("志愿者只能是居民、在职党员或社会志愿者中的一种。"))
        if self.phone:
            try:
                self.phone = identity.normalize_phone(self.phone)
            except ValidationError as exc:
                errors.setdefault("phone", []).extend(exc.messages)
        unknown = [value for value in self.skills or [] if value not in Skill.values]
        if unknown:
            errors.setdefault("skills", []).append(_("未知的特长。"))
        if errors:
            raise ValidationError(errors)


def activity_photo_path(instance: "ActivityPhoto", filename: str) -> str:
    return f"activities/{instance.activity_id}/{filename}"


class Activity(models.Model):
    """志愿服务 / 睦邻活动: sign-up with a capacity, attendance on the day, hours per attendee."""

    class Kind(models.TextChoices):
        VOLUNTEER_SERVICE = "volunteer_service", _("志愿服务")
        NEIGHBOURHOOD = "neighbourhood", _("睦邻活动")

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="activities", verbose_name=_("社区")
    )
    grid = models.ForeignKey(
        Grid,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("服务网格"),
        help_text=_("不填为全社区。"),
    )
    title = models.CharField(_("活动名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=32, choices=Kind, default=Kind.VOLUNTEER_SERVICE)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=200)
    team = models.ForeignKey(
        VolunteerTeam,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("组织服务队"),
    )
    partner_units = models.ManyToManyField(
        PartnerUnit, blank=True, related_name="activities", verbose_name=_("参与成员单位")
    )
    capacity = models.PositiveIntegerField(_("招募人数"), null=True, blank=True, help_text=_("不填为不限。"))
    description = models.TextField(_("活动内容"), blank=True)
    report = models.TextField(_("活动总结"), blank=True)
    attendance_taken_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submission_token = submission_token_column()

    objects = CommunityScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="activity_ends_after_start"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1), name="activity_capacity_positive"
            ),
        ]
        indexes = [models.Index(fields=["community", "-starts_at"], name="activity_community_start")]

    def __str__(self) -> str:
        return self.title

    @property
    def duration_hours(self) -> Decimal:
        """The activity's length in hours (two decimals): the most an attendee can be credited."""
        seconds = Decimal((self.ends_at - self.starts_at).total_seconds())
        return (seconds / Decimal(3600)).quantize(Decimal("0.01"), rounding="ROUND_DOWN")

    def clean(self) -> None:
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("结束时间须晚于开始时间。")
        if self.grid_id and self.community_id and self.grid.community_id != self.community_id:
            errors["grid"] = _("网格不属于该社区。")
        if self.team_id and self.community_id and self.team.community_id != self.community_id:
            errors["team"] = _("服务队不属于该社区。")
        if errors:
            raise ValidationError(errors)


class ActivitySignUp(models.Model):
    """A volunteer signed up for an activity; after the day, whether they came and the hours credited."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="sign_ups", verbose_name=_("活动")
    )
    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.PROTECT, related_name="sign_ups", verbose_name=_("志愿者")
    )
    signed_up_at = models.DateTimeField(_("报名时间"), auto_now_add=True)
    attended = models.BooleanField(_("到场"), null=True, blank=True)
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=5, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("活动报名")
        verbose_name_plural = _("活动报名")
        ordering = ["signed_up_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "volunteer"], name="sign_up_unique_volunteer"),
            models.CheckConstraint(condition=Q(hours__gte=0), name="sign_up_hours_not_negative"),
            models.CheckConstraint(
                condition=Q(attended=True) | Q(hours=0), name="sign_up_hours_only_if_attended"
            ),
        ]
        indexes = [models.Index(fields=["volunteer", "attended"], name="sign_up_volunteer_attended")]

    def __str__(self) -> str:
        return f"{self.activity} · {self.volunteer}"


class ActivityPhoto(models.Model):
    """A photo of an activity (checked and re-encoded by common.photos)."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="photos", verbose_name=_("活动")
    )
    file = models.FileField(_("文件"), upload_to=activity_photo_path)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=50)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("活动照片")
        verbose_name_plural = _("活动照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name
