"""The residents' forms: raising a request from a poster's link, and what they send on the tracking page."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.forms import MultipleFileField
from cases.models import Category, Satisfaction
from common.forms import PlainSelect, StyledFormMixin, SubmissionTokenField
from grids.models import Building

from .services import PHOTOS_PER_REQUEST


def _photo_help() -> str:
    """In the language of the request (a module-level `%` would fix it at import)."""
    return gettext("可选，JPEG、PNG 或 WebP，每张不超过 5 MB，最多 %(n)d 张。") % {"n": PHOTOS_PER_REQUEST}


class RaiseForm(StyledFormMixin, forms.Form):
    category = forms.ModelChoiceField(
        label=_("反映什么事"),
        queryset=Category.objects.filter(active=True, for_residents=True),
        empty_label=_("请选择"),
        widget=PlainSelect,
    )
    building = forms.ModelChoiceField(
        label=_("楼栋"),
        queryset=Building.objects.none(),
        required=False,
        empty_label=_("不在楼栋内 / 不确定"),
    )
    address = forms.CharField(
        label=_("具体位置"), max_length=200, required=False, help_text=_("选填，如：3单元门口、小区东门。")
    )
    description = forms.CharField(
        label=_("问题描述"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4})
    )
    photos = MultipleFileField(label=_("照片"), required=False)
    name = forms.CharField(label=_("您的称呼"), max_length=50, help_text=_("如：王女士。"))
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("仅社区办理本诉求时联系您使用，不会公开。"),
    )
    consent = forms.BooleanField(
        label=_("我同意社区为办理本诉求使用我的称呼和联系电话。"),
        error_messages={"required": _("请勾选同意后再提交。")},
    )
    submission_token = SubmissionTokenField()

    def __init__(self, *args, place, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].help_text = _photo_help()
        self.place = place
        if place.building_id is not None:
            del self.fields["building"]  # the poster hangs on the building
        else:
            self.fields["building"].queryset = Building.objects.filter(grid_id=place.grid_id).order_by(
                "address"
            )


class SupplementForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label=_("补充说明"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultipleFileField(label=_("照片"), required=False)


class RateForm(StyledFormMixin, forms.Form):
    resolved = forms.TypedChoiceField(
        label=_("问题解决了吗？"),
        choices=[("yes", _("已解决")), ("no", _("没有解决"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(
        label=_("您对办理结果满意吗？"), choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("您的意见（选填）"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class WithdrawForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label=_("撤回原因（选填）"), max_length=200, required=False)
