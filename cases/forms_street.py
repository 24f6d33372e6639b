"""The street inbox's filters: a community of the street, and the clock (超期 only, or 临期)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import PlainSelect, StyledFormMixin
from grids.models import Community

CLOCK_CHOICES = [("", _("全部")), ("overdue", _("仅看超期")), ("warning", _("仅看临期"))]


class StreetInboxForm(StyledFormMixin, forms.Form):
    community = forms.ModelChoiceField(
        label=_("社区"),
        queryset=Community.objects.none(),
        required=False,
        empty_label=_("全部社区"),
        widget=PlainSelect,
    )
    clock = forms.ChoiceField(label=_("时限"), required=False, choices=CLOCK_CHOICES, widget=PlainSelect)

    def __init__(self, *args, street_ids: list[int] | None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the communities of the user's streets: another street's community is not a choice.
        communities = Community.objects.order_by("name", "pk")
        if street_ids is not None:  # None: a superuser, every street
            communities = communities.filter(street_id__in=street_ids)
        field = self.fields["community"]
        if street_ids is None or len(street_ids) > 1:
            # Over several streets two communities may share a name (two 南河社区): each names its street.
            communities = communities.select_related("street")
            field.label_from_instance = lambda community: f"{community.name} · {community.street.name}"
        field.queryset = communities
