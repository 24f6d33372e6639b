"""Shops and units in a grid (实有单位) and their 门前三包 pledges (责任书).

A shop belongs to one grid (its building's, when it has one); it is read in the scope of its grid
(GridQuerySet.visible_to). Its pledge is renewed by signing a new one: the pledges form its history, the
latest signed is the current one.
"""

from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc

from common.phones import mask_phone
from common.submissions import submission_token_column
from grids.models import Building, Grid


def check_licence_number(value: str) -> None:
    """统一社会信用代码 (18 characters, GB 32100 check character) or an old 营业执照注册号 (15 digits)."""
    if len(value) == 15 and value.isdigit():
        return
    if not uscc.is_valid(value):
        raise ValidationError(
            gettext("请填写18位统一社会信用代码（或15位营业执照注册号），校验位须正确。"),
            code="licence_invalid",
        )


class ShopQuerySet(models.QuerySet):
    def visible_to(self, user) -> Self:
        """The shops of the grids the user sees (GridQuerySet.visible_to)."""
        return self.filter(grid__in=Grid.objects.visible_to(user))

    def open(self) -> Self:
        return self.filter(closed_on__isnull=True)

    def with_current_pledge(self) -> Self:
        """Each shop with the signing date of its latest pledge (`pledge_signed_on`, None without one)."""
        latest = ShopPledge.objects.filter(shop=OuterRef("pk")).order_by("-signed_on", "-id")
        return self.annotate(pledge_signed_on=Subquery(latest.values("signed_on")[:1]))


class Shop(models.Model):
    """实有单位: a shop, a business or an institution in a grid, with its contact."""

    class Kind(models.TextChoices):
        CATERING = "catering", _("餐饮")
        RETAIL = "retail", _("零售")
        SERVICE = "service", _("生活服务")
        LODGING = "lodging", _("住宿")
        INSTITUTION = "institution", _("机关事业单位")
        ENTERPRISE = "enterprise", _("企业")
        OTHER = "other", _("其他")

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="shops", verbose_name=_("网格"))
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shops",
        verbose_name=_("所在楼栋"),
    )
    address = models.CharField(
        _("门牌地址"),
        max_length=200,
        blank=True,
        help_text=_("不在已登记楼栋里时填写，如：滨河路金城关段12号。"),
    )
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind, default=Kind.OTHER)
    licence_number = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        blank=True,
        validators=[check_licence_number],
        help_text=_("营业执照上的18位代码；老执照可填15位注册号。"),
    )
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    closed_on = models.DateField(_("停业日期"), null=True, blank=True, help_text=_("仍在经营的留空。"))
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    # The token of the form that created it: a form sent twice saves once (common.submissions).
    submission_token = submission_token_column()

    objects = ShopQuerySet.as_manager()

    class Meta:
        verbose_name = _("实有单位")
        verbose_name_plural = _("实有单位")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["grid", "name"], name="shop_grid_name")]
        constraints = [
            models.CheckConstraint(
                condition=Q(building__isnull=False) | ~Q(address=""), name="shop_has_a_place"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.building_id is None and not self.address.strip():
            raise ValidationError({"address": gettext("请选择所在楼栋，或填写门牌地址。")})
        if (
            self.building_id is not None
            and self.grid_id is not None
            and self.building.grid_id != self.grid_id
        ):
            raise ValidationError({"building": gettext("所选楼栋不在该网格。")})

    @property
    def place(self) -> str:
        """Where it is: the address written, else its building's."""
        return self.address or (self.building.address if self.building_id else "")

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact_phone)


class ShopPledge(models.Model):
    """门前三包责任书: what a shop undertakes for the frontage in front of it, from the day it signs."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="pledges", verbose_name=_("单位"))
    signed_on = models.DateField(_("签订日期"))
    frontage = models.CharField(
        _("责任区域"), max_length=200, help_text=_("如：门前至人行道边缘，东西各至相邻店铺分界。")
    )
    cleanliness = models.BooleanField(_("包市容环境卫生"), default=True)
    order = models.BooleanField(_("包秩序"), default=True)
    greenery = models.BooleanField(_("包绿化"), default=True)
    signed_by = models.CharField(_("单位签字人"), max_length=50)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    submission_token = submission_token_column()

    class Meta:
        verbose_name = _("门前三包责任书")
        verbose_name_plural = _("门前三包责任书")
        ordering = ["-signed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cleanliness=True) | Q(order=True) | Q(greenery=True),
                name="shop_pledge_covers_a_duty",
            ),
            models.UniqueConstraint(fields=["shop", "signed_on"], name="shop_pledge_one_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.shop} · {self.signed_on:%Y-%m-%d}"

    def clean(self) -> None:
        if not (self.cleanliness or self.order or self.greenery):
            raise ValidationError(gettext("责任书至少要包一项：市容环境卫生、秩序或绿化。"))

    @property
    def duties(self) -> list[str]:
        labels = [(self.cleanliness, _("市容环境卫生")), (self.order, _("秩序")), (self.greenery, _("绿化"))]
        return [str(label) for held, label in labels if held]
