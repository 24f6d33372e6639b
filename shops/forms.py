"""The shop pages' forms: shape only; the rules are shops.services' and the models'."""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import DateInput, PlainSelect, StyledFormMixin, SubmissionTokenField
from grids.forms import PlaceFilterForm
from grids.models import Building, Grid

from .models import Shop, ShopPledge


class ShopFilterForm(StyledFormMixin, PlaceFilterForm):
    q = forms.CharField(
        label=_("单位名称"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("如：黄河食渡")}),
    )
    kind = forms.ChoiceField(
        label=_("类型"), required=False, choices=[("", _("全部类型")), *Shop.Kind.choices], widget=PlainSelect
    )
    closed = forms.BooleanField(label=_("只看已停业"), required=False)


class ShopForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Shop
        fields = [
            "name",
            "kind",
            "building",
            "address",
            "licence_number",
            "contact_name",
            "contact_phone",
            "note",
        ]
        widgets = {
            "name": forms.TextInput(attrs={"placeholder": _("如：黄河食渡·牛肉面馆")}),
            "contact_phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, grid: Grid, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = Building.objects.filter(grid=grid).order_by("address")
        self.fields["building"].empty_label = _("（不在已登记楼栋）")
        self.fields["licence_number"].validators = []  # checked once, by the model, after upper-casing

    def _post_clean(self):
        """The model's checks run in shops.services (after the phone and code are normalised)."""


class NewShopForm(ShopForm):
    submission_token = SubmissionTokenField()


class ShopEditForm(ShopForm):
    closed_on = forms.DateField(
        label=_("停业日期"), required=False, widget=DateInput(), help_text=_("仍在经营的留空。")
    )

    class Meta(ShopForm.Meta):
        fields = [*ShopForm.Meta.fields, "closed_on"]


class PledgeForm(StyledFormMixin, forms.ModelForm):
    submission_token = SubmissionTokenField()

    class Meta:
        model = ShopPledge
        fields = ["signed_on", "frontage", "cleanliness", "order", "greenery", "signed_by", "note"]
        widgets = {"signed_on": DateInput(), "note": forms.Textarea(attrs={"rows": 2})}

    def _post_clean(self):
        """The pledge's rules run in shops.services.pledge_sign."""

    def clean(self):
        data = super().clean()
        if not (data.get("cleanliness") or data.get("order") or data.get("greenery")):
            self.add_error(None, _("责任书至少要包一项：市容环境卫生、秩序或绿化。"))
        return data
