from django import forms
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from common.forms import PlainSelect, StyledFormMixin

from .models import Building, Community, Grid, Street


class BuildingForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Building
        fields = ["address"]
        widgets = {"address": forms.TextInput(attrs={"placeholder": "靖远路9号"})}


PLACE_FIELDS = ("street", "community", "grid")


def grid_label(grid: Grid) -> str:
    return f"{grid.name} · {grid.code}"


def _place_select(label, model, empty_label) -> forms.ModelChoiceField:
    none = model.objects.none()
    return forms.ModelChoiceField(
        label=label, queryset=none, required=False, empty_label=empty_label, widget=PlainSelect
    )


class PlaceFilterForm(forms.Form):
    """A list's place filter as three linked selects, 街道 → 社区 → 网格 (三级联动).

    A district leader serves thousands of grids: one select listing them all is slow to render and
    useless to scroll. Each select here lists only the places inside the choice above it, so none is
    longer than one street's communities or one community's grids; a level where the user's scope
    offers a single place is not shown. The choice stands for its narrowest level (`place_filter()`).

    A link may name only the narrowest place (`?grid=5`, `?community=3`): the levels above it are
    then taken from it. When the form itself is sent, a level it sent empty means all places, and a
    choice below it that no longer lies inside the level above (the street was changed) is dropped.
    The form takes the user whose scope it offers (`user=`).
    """

    street = _place_select(_("街道"), Street, _("全部街道"))
    community = _place_select(_("社区"), Community, _("全部社区"))
    grid = _place_select(_("网格"), Grid, _("全部网格"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        grids = self._grids = Grid.objects.visible_to(user)
        communities = Community.objects.visible_to(user)
        # Validation accepts any place in the scope; the options shown are narrowed in place_fields().
        self.fields["street"].queryset = Street.objects.filter(pk__in=communities.values("street"))
        self.fields["community"].queryset = communities.select_related("street")
        self.fields["grid"].queryset = grids.select_related("community__street")
        self.fields["grid"].label_from_instance = grid_label

    def clean(self):
        data = super().clean()
        street, community, grid = data.get("street"), data.get("community"), data.get("grid")
        sent = self.data
        if grid is not None and "community" not in sent:
            community = grid.community
        if community is not None and "street" not in sent:
            street = community.street
        if community is not None and (street is None or community.street_id != street.pk):
            community = grid = None
        if grid is not None and (community is None or grid.community_id != community.pk):
            grid = None
        data.update(street=street, community=community, grid=grid)
        # The selects show the places resolved here, also those taken from a link's narrower place.
        self.data = sent.copy()
        for name in PLACE_FIELDS:
            self.data[name] = data[name].pk if data[name] is not None else ""
        return data

    def place_filter(self) -> dict:
        """The chosen street, community and grid (None for "all"), for grids.selectors.within()."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {name: data.get(name) for name in PLACE_FIELDS}

    def chosen_place(self):
        """The narrowest place chosen (a grid, a community or a street), or None."""
        place = self.place_filter()
        return place["grid"] or place["community"] or place["street"]

    # Fields whose options depend on the place (a list of the people serving it); shown with the selects.
    place_dependents: tuple[str, ...] = ()

    def narrow_to_place(self, grids: QuerySet[Grid] | None) -> None:
        """Narrow the dependent fields' options to these grids (None: no community or grid is chosen)."""

    @cached_property
    def place_fields(self) -> list:
        """The place selects to show, each listing only the places inside the choice above it."""
        chosen = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        street, community, grid = chosen.get("street"), chosen.get("community"), chosen.get("grid")
        # The scope's communities with their streets, in one query: a district has a few hundred at most.
        in_scope = list(self.fields["community"].queryset.order_by("street__name", "name"))
        streets = list({community.street_id: community.street for community in in_scope}.values())
        if street is None and len(streets) == 1:
            street = streets[0]
        communities = [c for c in in_scope if street is not None and c.street_id == street.pk]
        if community is None and len(communities) == 1:
            community = communities[0]
            self._show_chosen("community", community)  # so that a grid chosen next is sent with it
        grids = list(self._grids.filter(community=community).order_by("code")) if community else []
        levels = [
            ("street", streets, None),
            ("community", communities, _("请先选择街道")),
            ("grid", grids, _("请先选择社区")),
        ]
        if len(streets) < 2:
            levels = levels[1:] if len(communities) > 1 else levels[2:]
        shown = []
        for name, options, before in levels:
            field = self.fields[name]
            field.widget.choices = [("", field.empty_label if options else before)]
            field.widget.choices += [(place.pk, field.label_from_instance(place)) for place in options]
            if not options:
                field.widget.attrs["disabled"] = True
            shown.append(self[name])
        if grid is not None:
            self.narrow_to_place(self._grids.filter(pk=grid.pk))
        elif community is not None:
            self.narrow_to_place(self._grids.filter(community=community))
        else:
            self.narrow_to_place(None)
        return shown + [self[name] for name in self.place_dependents]

    def _show_chosen(self, name: str, place) -> None:
        if self.is_bound:
            self.data = self.data.copy()
            self.data[name] = place.pk
        else:
            self.initial[name] = place.pk

    @property
    def other_fields(self) -> list:
        """The form's visible fields other than the place selects."""
        placed = {*PLACE_FIELDS, *self.place_dependents}
        return [field for field in self.visible_fields() if field.name not in placed]
