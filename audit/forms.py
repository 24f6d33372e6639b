"""The audit page's filters: person, record, kind and days."""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from common.forms import DateInput, DateRangeMixin, StyledFormMixin

from .selectors import KIND_CHOICES, SOURCES, AuditFilters

# Days outside these years are typing mistakes, and the ends of the calendar overflow a day's bounds.
FIRST_DAY = datetime.date(2000, 1, 1)
LAST_DAY = datetime.date(2100, 12, 31)
# Larger than any row id yet within the database's bigint.
MAX_RECORD_ID = 2**62
DAY_LIMITS = [MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)]


class AuditFilterForm(DateRangeMixin, StyledFormMixin, forms.Form):
    username = forms.CharField(label=_("操作人（用户名）"), max_length=150, required=False)
    record_model = forms.ChoiceField(label=_("记录类型"), required=False)
    record_id = forms.IntegerField(
        label=_("记录编号"),
        required=False,
        min_value=1,
        max_value=MAX_RECORD_ID,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=[("", _("全部")), *KIND_CHOICES])
    date_from = forms.DateField(
        label=_("起始日期"), required=False, widget=DateInput(), validators=DAY_LIMITS
    )
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DateInput(), validators=DAY_LIMITS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record_model"].choices = [
            ("", _("全部")),
            *((key, source.label) for key, source in SOURCES.items()),
        ]

    def filters(self) -> AuditFilters | None:
        """The filters to apply, or None when the form is wrong (the page then says so)."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        username = data["username"].strip()
        user = get_user_model().objects.filter(username__iexact=username).first() if username else None
        return AuditFilters(
            user=user,
            username=username,
            record_model=data["record_model"],
            record_id=data["record_id"],
            kind=data["kind"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
