"""Admin: staff manage the category catalogue; cases are read-only (they move only through the workflow)."""

from django.contrib import admin

from .models import Case, CaseEvent, Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "kind",
        "default_urgency",
        "response_hours",
        "resolution_hours",
        "active",
        "sort_order",
    )
    list_filter = ("kind", "active")
    list_editable = ("active", "sort_order")
    search_fields = ("name",)


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = ("at", "action", "actor", "from_status", "to_status", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: a case changes only through cases.services.case_transition, which keeps its timeline."""

    list_display = ("number", "category", "status", "grid", "created_at", "outcome")
    list_filter = ("status", "outcome", "category")
    search_fields = ("number",)
    list_select_related = ("category", "grid")
    show_full_result_count = False
    inlines = [CaseEventInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
