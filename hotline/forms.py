from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import StyledFormMixin
from grids.models import Community, Street
from grids.roles import Role


def scopes_for(user) -> list[tuple[str, str]]:
    """The streets and communities a user may make keys for: every one for a superuser, a street leader's
    street and its communities."""
    streets = Street.objects.all()
    if not user.is_superuser:
        streets = streets.filter(assignments__user=user, assignments__role=Role.STREET_LEADER)
    streets = list(streets.distinct())
    communities = Community.objects.filter(street__in=streets).order_by("street__name", "name")
    choices = [(f"street:{s.pk}", _("街道：%(name)s") % {"name": s.name}) for s in streets]
    choices += [(f"community:{c.pk}", _("社区：%(name)s") % {"name": c.name}) for c in communities]
    return choices


class ClientForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("平台名称"), max_length=100)
    scope = forms.ChoiceField(label=_("范围"), help_text=_("密钥只能派单到、查询该街道或社区内的网格。"))
    callback_url = forms.URLField(
        label=_("回传地址"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("办理反馈（接单、办结、回访、归档）以 JSON POST 到此地址。"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = scopes_for(user)

    def place(self) -> dict:
        """The chosen scope as the service's keyword: street= or community=."""
        level, _sep, pk = self.cleaned_data["scope"].partition(":")
        model = Street if level == "street" else Community
        return {level: model.objects.get(pk=int(pk))}
