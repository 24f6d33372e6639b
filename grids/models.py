"""Places (street -> community -> grid -> building -> dwelling) and the people assigned to serve them."""

from collections.abc import Iterable
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .roles import COMMUNITY_ROLES, GRID_ROLES, STREET_ROLES, Role


class Street(models.Model):
    """街道: the sub-district office above communities."""

    name = models.CharField(_("名称"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("街道")
        verbose_name_plural = _("街道")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def held_assignments(user) -> list[tuple[str, int | None, int | None, int | None]]:
    """The user's assignments as (role, grid id, community id, street id), read once a request and kept on
    the user object (a request's own): the rows every scope of the portal is drawn from.

    Scopes are built from these ids (`held_places`) rather than from a subquery over the assignments:
    a page asks for several scopes (its rows, the menu, the bell's reminders), and each subquery cost
    Django a few milliseconds to compile and PostgreSQL to plan, on every page."""
    if "_held_assignments" not in user.__dict__:
        user.__dict__["_held_assignments"] = list(
            Assignment.objects.filter(user=user)
            .order_by("pk")
            .values_list("role", "grid_id", "community_id", "street_id")
        )
    return user.__dict__["_held_assignments"]


def held_places(user, roles: Iterable[str] | None = None) -> tuple[list[int], list[int], list[int]]:
    """The grids, communities and streets where the user holds any role, or one of `roles`."""
    rows = [row for row in held_assignments(user) if roles is None or row[0] in roles]

    def ids(level: int) -> list[int]:
        return sorted({row[level] for row in rows if row[level] is not None})

    return ids(1), ids(2), ids(3)


def served_grids(user, roles: Iterable[str] | None = None) -> "list[int] | GridQuerySet":
    """The grids the user serves (in any role or one of `roles`), to filter with `grid__in=`: the ids
    themselves when the user holds single grids only (a worker), else `Grid.objects.served_by`. The ids
    come with the assignments already read; a literal list costs the ORM no subquery to build (the bell
    builds three) and PostgreSQL none to plan."""
    if user.is_authenticated and not user.is_superuser:
        grids, communities, streets = held_places(user, roles)
        if not communities and not streets:
            return grids
    return Grid.objects.served_by(user, roles)


def _filter_any(rows: models.QuerySet, branches: list[Q]) -> models.QuerySet:
    """The rows meeting any of the conditions (none when there are none)."""
    if not branches:
        return rows.none()
    condition = branches[0]
    for branch in branches[1:]:
        condition |= branch
    return rows.filter(condition)


class CommunityQuerySet(models.QuerySet):
    def visible_to(self, user) -> Self:
        """The communities of the user's grids (GridQuerySet.visible_to), read from the assignments.

        Going through the grids would scan every grid of a district leader's scope.
        """
        return self._held_by(user, with_single_grids=True)

    def held_whole_by(self, user) -> Self:
        """The communities whose every grid the user serves: held themselves or through their street (every
        one for a superuser). The rest of `visible_to` are communities where the user holds single grids."""
        return self._held_by(user, with_single_grids=False)

    def _held_by(self, user, *, with_single_grids: bool) -> Self:
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        grids, communities, streets = held_places(user)
        branches = [
            Q(pk__in=Grid.objects.filter(pk__in=grids).values("community"))
            if grids and with_single_grids
            else None,
            Q(pk__in=communities) if communities else None,
            Q(street__in=streets) if streets else None,
        ]
        return _filter_any(self, [branch for branch in branches if branch is not None])


class Community(models.Model):
    """社区: a residents' community led by its Party committee."""

    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, related_name="communities", verbose_name=_("街道")
    )
    name = models.CharField(_("名称"), max_length=100)

    objects = CommunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["street", "name"], name="community_unique_name_in_street")
        ]

    def __str__(self) -> str:
        return self.name


class GridQuerySet(models.QuerySet):
    def visible_to(self, user) -> Self:
        """The rows a user may see: the grids they serve (all of them for a superuser)."""
        return self.served_by(user)

    def served_by(self, user, roles: Iterable[str] | None = None) -> Self:
        """Grids the user serves, in any role or in one of `roles`: the other side of
        AssignmentQuerySet.serving (a grid, its community or its street). A superuser serves every grid.
        """
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        grids, communities, streets = held_places(user, roles)
        branches = [
            Q(pk__in=grids) if grids else None,
            Q(community__in=communities) if communities else None,
            Q(community__street__in=streets) if streets else None,
        ]
        # Only the levels the user holds one of these roles at: a branch for a level with none would only
        # cost PostgreSQL a worse plan (the bell asks for the grid roles' grids and the desk's on every page).
        return _filter_any(self, [branch for branch in branches if branch is not None])


class Grid(models.Model):
    """网格: the smallest unit of service; a few buildings and a few hundred households."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="grids", verbose_name=_("社区")
    )
    code = models.CharField(_("网格编号"), max_length=32, unique=True)
    name = models.CharField(_("网格名称"), max_length=100)
    boundary = models.JSONField(
        _("边界"),
        null=True,
        blank=True,
        help_text=_("可选：GeoJSON 多边形，用于地图显示。"),
    )

    objects = GridQuerySet.as_manager()

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} · {self.code}"


class Building(models.Model):
    """楼栋: a building in a grid, known by its street address (e.g. 靖远路9号)."""

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("网格"))
    address = models.CharField(_("地址"), max_length=200)

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["address"]
        constraints = [models.UniqueConstraint(fields=["grid", "address"], name="building_unique_address")]

    def __str__(self) -> str:
        return self.address


class Dwelling(models.Model):
    """房屋: one dwelling in a building, by entrance (单元) and room number; both may be blank."""

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="dwellings", verbose_name=_("楼栋")
    )
    unit = models.CharField(_("单元"), max_length=20, blank=True)
    room = models.CharField(_("门牌/室号"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        ordering = ["building", "unit", "room"]
        constraints = [
            models.UniqueConstraint(fields=["building", "unit", "room"], name="dwelling_unique_in_building")
        ]

    def __str__(self) -> str:
        return self.label(self.building.address)

    def label(self, address: str) -> str:
        parts = [address]
        if self.unit:
            parts.append(_("%(unit)s单元") % {"unit": self.unit})
        if self.room:
            parts.append(_("%(room)s室") % {"room": self.room})
        return " ".join(str(p) for p in parts)


# Where an assignment is held, nearest the grid first.
LEVEL_GRID, LEVEL_COMMUNITY, LEVEL_STREET = 0, 1, 2


class AssignmentQuerySet(models.QuerySet):
    def with_level(self) -> Self:
        """Each assignment with `level`: LEVEL_GRID, LEVEL_COMMUNITY or LEVEL_STREET."""
        return self.annotate(
            level=models.Case(
                models.When(grid__isnull=False, then=models.Value(LEVEL_GRID)),
                models.When(community__isnull=False, then=models.Value(LEVEL_COMMUNITY)),
                default=models.Value(LEVEL_STREET),
                output_field=models.IntegerField(),
            )
        )

    def serving(self, grids: "Grid | models.QuerySet[Grid]") -> Self:
        """Assignments that serve a grid (or any of a queryset of grids): held on the grid itself, on its
        community or on its street.

        The portal's one answer to "who serves this grid": a street-level role (街道领导) serves every grid
        of its street, as it sees them (GridQuerySet.served_by is the same rule read the other way).
        """
        if isinstance(grids, Grid):
            return self.filter(
                Q(grid_id=grids.pk)
                | Q(community_id=grids.community_id)
                | Q(street__communities__grids=grids.pk)
            )
        return self.filter(
            Q(grid__in=grids)
            | Q(community__in=grids.values("community"))
            | Q(street__in=grids.values("community__street"))
        )


class Assignment(models.Model):
    """A user serving a grid, a community or a street in one role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("用户"),
    )
    role = models.CharField(_("岗位"), max_length=32, choices=Role)
    grid = models.ForeignKey(
        Grid,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("网格"),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("社区"),
    )
    street = models.ForeignKey(
        Street,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("街道"),
    )

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("岗位分配")
        verbose_name_plural = _("岗位分配")
        constraints = [
            # Each role is held at exactly one level: grid roles on a grid, and so on.
            models.CheckConstraint(
                condition=(
                    Q(
                        role__in=sorted(GRID_ROLES),
                        grid__isnull=False,
                        community__isnull=True,
                        street__isnull=True,
                    )
                    | Q(
                        role__in=sorted(COMMUNITY_ROLES),
                        grid__isnull=True,
                        community__isnull=False,
                        street__isnull=True,
                    )
                    | Q(
                        role__in=sorted(STREET_ROLES),
                        grid__isnull=True,
                        community__isnull=True,
                        street__isnull=False,
                    )
                ),
                name="assignment_role_matches_level",
            ),
            *(
                models.UniqueConstraint(
                    fields=["user", "role", level],
                    condition=Q(**{f"{level}__isnull": False}),
                    name=f"assignment_unique_{level}",
                )
                for level in ("grid", "community", "street")
            ),
        ]

    def __str__(self) -> str:
        place = self.grid or self.community or self.street
        return f"{self.user} · {self.get_role_display()} · {place}"


class WorkTeam(models.Model):
    """工作队 ("一亲三心"): street leaders, Party members and returning locals, grouped by street."""

    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, related_name="work_teams", verbose_name=_("街道")
    )
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        verbose_name = _("工作队")
        verbose_name_plural = _("工作队")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkTeamMember(models.Model):
    class Kind(models.TextChoices):
        STREET_LEADER = "street_leader", _("街道包抓领导")
        PARTY_MEMBER = "party_member", _("基层党员")
        RETURNING_LOCAL = "returning_local", _("返乡乡贤")
        CADRE = "cadre", _("机关干部")

    team = models.ForeignKey(
        WorkTeam, on_delete=models.CASCADE, related_name="members", verbose_name=_("工作队")
    )
    name = models.CharField(_("姓名"), max_length=50)
    kind = models.CharField(_("身份"), max_length=32, choices=Kind)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="work_team_memberships",
        verbose_name=_("平台账号"),
    )
    grid = models.ForeignKey(
        Grid,
        on_delete=models.PROTECT,
        related_name="work_team_members",
        verbose_name=_("包联网格"),
    )

    class Meta:
        verbose_name = _("工作队成员")
        verbose_name_plural = _("工作队成员")
        ordering = ["team", "name"]

    def __str__(self) -> str:
        return f"{self.name} · {self.get_kind_display()}"
