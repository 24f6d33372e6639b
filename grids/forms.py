from django import forms

from portal.forms import StyledFormMixin

from .models import Building


class BuildingForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Building
        fields = ["address"]
        widgets = {"address": forms.TextInput(attrs={"placeholder": "靖远路9号"})}
