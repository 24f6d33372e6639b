"""Admin for superusers: the visit schedule's intervals are configured here; visits are read here.

A visit is changed only through the portal, which keeps its earlier state as a revision and moves the
household's next due date; the admin therefore shows visits without letting anyone edit or delete them.
"""

from django.contrib import admin

from .models import Patrol, PatrolFinding, Visit, VisitGift, VisitInterval, VisitPlan, VisitRevision


@admin.register(VisitInterval)
class VisitIntervalAdmin(admin.ModelAdmin):
    list_display = ["rule", "days"]
    list_editable = ["days"]
    list_display_links = ["rule"]


@admin.register(VisitPlan)
class VisitPlanAdmin(admin.ModelAdmin):
    list_display = ["household", "interval_override_days", "override_reason", "last_visited_at"]
    list_select_related = ["household__dwelling__building"]
    raw_id_fields = ["household"]
    # Kept by the portal from the household's latest visit.
    readonly_fields = ["last_visited_at"]
    search_fields = ["household__dwelling__building__address"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class VisitGiftInline(ReadOnlyInline):
    model = VisitGift
    fields = ["item", "quantity", "value"]
    readonly_fields = fields


class VisitRevisionInline(ReadOnlyInline):
    model = VisitRevision
    fields = ["at", "kind", "by", "note", "before"]
    readonly_fields = fields


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["visited_at", "household", "kind", "outcome", "condition", "author"]
    list_filter = ["kind", "outcome", "condition"]
    list_select_related = ["household__dwelling__building", "author"]
    date_hierarchy = "visited_at"
    search_fields = ["household__dwelling__building__address"]
    raw_id_fields = ["household", "author", "residents_met", "visitors", "team_members"]
    inlines = [VisitGiftInline, VisitRevisionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PatrolFindingInline(admin.TabularInline):
    model = PatrolFinding
    extra = 0


@admin.register(Patrol)
class PatrolAdmin(admin.ModelAdmin):
    list_display = ["started_at", "grid", "worker", "route"]
    list_select_related = ["grid", "worker"]
    list_filter = ["grid__community"]
    date_hierarchy = "started_at"
    raw_id_fields = ["grid", "worker"]
    inlines = [PatrolFindingInline]
