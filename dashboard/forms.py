"""The dashboard's choices: the period (this week / month / quarter, or chosen days), the ranking, the
report's month. The scope is checked against the user's units by dashboard.selectors.ScopeTree.parse."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.measures import MEASURES, RATE_KEYS
from common.forms import FIRST_YEAR, DateInput, DateRangeMixin, StyledFormMixin, guard_fields
from visits.measures import COVERAGE

from .selectors import MAX_CUSTOM_DAYS, PERIOD_KINDS, Period, last_month, month_period, period_of

RANK_CHOICES = [(key, MEASURES[key].label) for key in RATE_KEYS] + [(COVERAGE.key, COVERAGE.label)]


class DashboardForm(DateRangeMixin, StyledFormMixin, forms.Form):
    period = forms.ChoiceField(label=_("统计时段"), required=False, choices=list(PERIOD_KINDS.items()))
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DateInput())
    rank = forms.ChoiceField(label=_("排名依据"), required=False, choices=RANK_CHOICES)

    DEFAULT_PERIOD = "month"

    def __init__(self, data=None, *args, today: datetime.date, **kwargs):
        # The form shows the period the figures are for: this month until another is chosen, also when a
        # link or the scope's form sends no period (a select showing its first choice would say 本周).
        if data is not None and not data.get("period"):
            data = data.copy()
            data["period"] = self.DEFAULT_PERIOD
        super().__init__(data, *args, initial={"period": self.DEFAULT_PERIOD}, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        if data.get("period") != "custom" or self.errors:
            return data
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from is None:
            self.add_error("date_from", _("自定义时段请填写起始日期。"))
        if date_to is None:
            self.add_error("date_to", _("自定义时段请填写截止日期。"))
        if date_from and date_to:
            if date_from > self.today:
                self.add_error("date_from", _("起始日期不能晚于今天。"))
            elif Period(date_from, date_to).days > MAX_CUSTOM_DAYS:
                self.add_error("date_to", _("时段最长 %(days)s 天，请缩短。") % {"days": MAX_CUSTOM_DAYS})
        return data

    def chosen_period(self) -> Period:
        """The period asked for; this month while the form is empty or wrong (the page says so)."""
        if not self.is_bound or not self.is_valid():
            return period_of(self.DEFAULT_PERIOD, self.today)
        data = self.cleaned_data
        if data["period"] == "custom":
            return Period(data["date_from"], min(data["date_to"], self.today))
        return period_of(data["period"], self.today)

    def rank_by(self) -> str:
        if self.is_bound and self.is_valid() and self.cleaned_data["rank"]:
            return self.cleaned_data["rank"]
        return "resolution"


class ReportForm(forms.Form):
    """月报: a calendar month up to the current one."""

    month = forms.CharField(
        label=_("月份"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "class": "form-control"}),
    )

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        guard_fields(self)
        self.today = today

    def clean_month(self) -> Period:
        value = self.cleaned_data["month"].strip()
        if not value:
            return last_month(self.today)
        try:
            first = datetime.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("请按“年-月”填写月份，如 2026-10。")) from None
        if first.year < FIRST_YEAR:  # year 1's first day overflows when it becomes a time in UTC
            raise forms.ValidationError(_("请选择 %(first)s 年至今的月份。") % {"first": FIRST_YEAR})
        if first > self.today:
            raise forms.ValidationError(_("所选月份尚未开始。"))
        month = month_period(first.year, first.month)
        return Period(month.first, min(month.last, self.today))  # the current month: up to today
