"""The residents' own channel (线上): the links printed on each grid's and building's poster, and the
requests residents raised through them, each with the digest of its private tracking link.

A resident has no account. The poster's link names a place (PlaceLink: a random code, never an id to
count through); the request becomes a case like any other (cases.services.case_register_outside), and
the resident follows it through a link only they were given (ResidentRequest.token_digest: the token is
shown once and stored as its digest). What the throttle counts (the phone, the network address) is kept
as keyed digests, never as the values.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from grids.models import Building, Grid


class PlaceLink(models.Model):
    """The link on one poster: a grid's (the building chosen on the form) or one building's."""

    code = models.CharField(_("链接编码"), max_length=16, unique=True)
    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="+", verbose_name=_("网格"))
    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("楼栋")
    )
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)

    class Meta:
        verbose_name = _("扫码链接")
        verbose_name_plural = _("扫码链接")
        constraints = [
            models.UniqueConstraint(
                fields=["grid"], condition=models.Q(building__isnull=True), name="place_link_one_per_grid"
            ),
            models.UniqueConstraint(fields=["building"], name="place_link_one_per_building"),
        ]

    def __str__(self) -> str:
        return self.building.address if self.building_id else self.grid.name


class ResidentRequest(models.Model):
    """A request raised on the residents' pages: its case and how the resident reaches it again."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="resident_request", verbose_name=_("工单")
    )
    place = models.ForeignKey(
        PlaceLink, on_delete=models.PROTECT, related_name="requests", verbose_name=_("扫码链接")
    )
    token_digest = models.CharField(_("查询链接摘要"), max_length=64, unique=True)
    phone_digest = models.CharField(_("电话摘要"), max_length=64)
    address_digest = models.CharField(_("网络地址摘要"), max_length=64)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    class Meta:
        verbose_name = _("居民线上诉求")
        verbose_name_plural = _("居民线上诉求")
        indexes = [
            models.Index(fields=["phone_digest", "created_at"], name="resident_request_phone"),
            models.Index(fields=["address_digest", "created_at"], name="resident_request_address"),
        ]

    def __str__(self) -> str:
        return str(self.case_id)
