from django.contrib import admin

from .models import Notification, VisitAlert


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: notifications are written by the actions they tell of (notifications.services)."""

    list_display = ("recipient", "kind", "case", "visit", "created_at", "read_at")
    list_filter = ("kind",)
    list_select_related = ("recipient", "case", "visit")
    raw_id_fields = ("recipient", "case", "visit", "actor")
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(VisitAlert)
class VisitAlertAdmin(admin.ModelAdmin):
    """Read-only: raised by a 紧急 visit, acknowledged at the desk."""

    list_display = ("visit", "grid", "raised_at", "acknowledged_by", "acknowledged_at")
    list_select_related = ("visit", "grid", "acknowledged_by")
    raw_id_fields = ("visit", "grid", "acknowledged_by")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
