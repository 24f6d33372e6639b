"""Forms check shape; the rules of the registry live in the models' clean() and in services."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from common.forms import DateInput, StyledFormMixin, SubmissionTokenField
from grids.forms import PlaceFilterForm
from grids.models import Building, Dwelling

from . import identity
from .models import CareCategory, CareEnrolment, Resident, RevealReason, SensitiveField
from .selectors import ResidentFilters


class ResidentSearchForm(StyledFormMixin, PlaceFilterForm):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={"placeholder": _("姓名、地址、电话尾号或身份证后四位"), "type": "search"}
        ),
    )
    category = forms.ChoiceField(
        label=_("关爱类别"),
        required=False,
        choices=[("", _("全部居民"))] + list(CareCategory.choices),
    )
    include_inactive = forms.BooleanField(label=_("含已迁出/已故"), required=False)

    def filters(self) -> ResidentFilters:
        """The filters to apply; an invalid field is ignored rather than failing the whole page."""
        data = self.cleaned_data if self.is_valid() else {}
        return ResidentFilters(
            q=data.get("q", "") or "",
            street=data.get("street"),
            community=data.get("community"),
            grid=data.get("grid"),
            category=data.get("category", "") or "",
            include_inactive=bool(data.get("include_inactive")),
        )


class HouseholdFilterForm(StyledFormMixin, PlaceFilterForm):
    """The household list's place filter."""


class DwellingForm(StyledFormMixin, forms.Form):
    """Where a household lives: a building of the user's grids, and the unit and room."""

    building = forms.ModelChoiceField(label=_("楼栋"), queryset=Building.objects.none())
    unit = forms.CharField(label=_("单元"), max_length=20, required=False)
    room = forms.CharField(label=_("门牌/室号"), max_length=20, required=False)
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    submission_token = SubmissionTokenField()  # read when the household is new

    def __init__(self, *args, buildings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = buildings.select_related("grid")
        self.fields["building"].label_from_instance = lambda b: f"{b.address} · {b.grid.name}"

    def dwelling(self) -> Dwelling:
        dwelling, _created = Dwelling.objects.get_or_create(
            building=self.cleaned_data["building"],
            unit=self.cleaned_data["unit"].strip(),
            room=self.cleaned_data["room"].strip(),
        )
        return dwelling


class ResidentForm(StyledFormMixin, forms.ModelForm):
    submission_token = SubmissionTokenField()  # read when the resident is new

    class Meta:
        model = Resident
        fields = [
            "name",
            "id_number",
            "sex",
            "birth_date",
            "phone",
            "relation_to_head",
            "political_status",
            "residence_type",
        ]
        widgets = {
            "birth_date": DateInput(),
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }
        help_texts = {
            "id_number": _("18位，末位可为X；出生日期和性别须与之一致。"),
            "phone": _("手机号或带区号的固定电话。"),
        }

    # The fields a user who may not reveal sees masked when editing.
    MASKED = ("id_number", "phone")

    def __init__(self, *args, masked: bool = False, **kwargs):
        """`masked`: editing for a user who may not see the full ID number and phone, since editing must
        not be a way around revealing. They see the masks; a field left as its mask keeps the stored
        value, and only what is typed changes."""
        super().__init__(*args, **kwargs)
        stored = self.instance
        # Left as its mask, a field keeps the stored value (a user who may reveal may post a mask too).
        self.masks = (
            {name: mask for name in self.MASKED if (mask := _mask(stored, name))} if stored.pk else {}
        )
        self.masked = masked and stored.pk is not None
        if self.masked:
            for name in self.MASKED:
                self.initial[name] = self.masks.get(name, "")
            # The birth date is eight of the ID number's digits: beside the mask it would give the number
            # back. It follows the ID number instead (see clean), and the age is shown wherever it is masked.
            del self.fields["birth_date"]
            self.fields["id_number"].help_text = _(
                "中间8位已隐藏。不修改则保留原号码；如需更正，请输入完整的18位号码（出生日期随之更新）。"
            )
            self.fields["phone"].help_text = _(
                "中间几位已隐藏。不修改则保留原号码；如需更正，请输入完整号码。"
            )

    def _kept_or_typed(self, name: str) -> str:
        value = (self.cleaned_data.get(name) or "").strip()
        if name in self.masks and value == self.masks[name]:
            return getattr(self.instance, name)
        return value

    def clean_id_number(self) -> str:
        return self._kept_or_typed("id_number")

    def clean_phone(self) -> str:
        return self._kept_or_typed("phone")

    def validate_unique(self) -> None:
        # Whether a typed ID number is taken is answered by the service, which throttles and records the
        # question (residents.services.typed_id_number_check); the form checks the rest.
        try:
            self.instance.validate_unique(exclude=self._get_validation_exclusions() | {"id_number"})
        except ValidationError as exc:
            self._update_errors(exc)

    def clean(self):
        data = super().clean()
        if "birth_date" not in self.fields:
            try:
                number = identity.normalize_id_number(data.get("id_number", ""))
            except ValidationError:
                pass  # Resident.clean names the ID number's error; the birth date waits for a valid one
            else:
                self.instance.birth_date = identity.id_birth_date(number)
        return data


def _mask(resident: Resident, name: str) -> str:
    return {"id_number": resident.masked_id_number, "phone": resident.masked_phone}[name]


class ResidentStatusForm(StyledFormMixin, forms.ModelForm):
    """Moving out or death: a dated status, never a deletion."""

    class Meta:
        model = Resident
        fields = ["status", "status_date"]
        widgets = {"status_date": DateInput()}


class EnrolmentForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = CareEnrolment
        fields = [
            "category",
            "resident",
            "since",
            "until",
            "disability_type",
            "disability_grade",
            "allowance_monthly_amount",
            "allowance_certificate",
            "note",
        ]
        widgets = {"since": DateInput(), "until": DateInput()}

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.household = household
        self.fields["resident"].queryset = household.members.filter(status=Resident.Status.ACTIVE)


class LiaisonForm(StyledFormMixin, forms.Form):
    party_member = forms.ModelChoiceField(label=_("联户党员"), queryset=Resident.objects.none())
    since = forms.DateField(label=_("起始日期"), widget=DateInput())

    def __init__(self, *args, party_members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party_member"].queryset = party_members.select_related("household__dwelling__building")
        self.fields["party_member"].label_from_instance = lambda r: (
            f"{r.name} · {r.household.dwelling.building.address}"
        )


class RevealForm(StyledFormMixin, forms.Form):
    field = forms.ChoiceField(choices=SensitiveField.choices)
    # Editing is recorded by the edit form itself, not chosen as a reason here.
    reason = forms.ChoiceField(
        label=_("查看事由"), choices=[c for c in RevealReason.choices if c[0] != RevealReason.EDIT]
    )


class MoveOutForm(StyledFormMixin, forms.Form):
    moved_out_on = forms.DateField(label=_("迁出日期"), widget=DateInput())
