"""The audit in the admin: read only, even for superusers (no add, change or delete)."""

from django.contrib import admin

from . import models
from .selectors import SOURCES


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit rows are evidence: the admin shows them and offers nothing that would alter them."""

    actions = None

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "kind", "username", "path", "status", "record_model", "record_id", "address")
    list_filter = ("kind",)
    search_fields = ("username", "path")
    date_hierarchy = "at"


class HistoryAdmin(ReadOnlyAdmin):
    list_display = ("pgh_created_at", "pgh_label", "pgh_obj_id", "pgh_context_id")
    list_filter = ("pgh_label",)
    search_fields = ("=pgh_obj_id",)


for _source in SOURCES.values():
    admin.site.register(_source.history, HistoryAdmin)
