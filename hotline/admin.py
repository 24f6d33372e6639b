from django.contrib import admin

from .models import ApiCall, ApiClient, Update, WorkOrder


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Read only: keys are made and revoked on the key page or by `manage.py hotline_key` (the digest is
    made there, and the key shown once)."""

    list_display = ["name", "key_prefix", "street", "community", "created_at", "revoked_at"]
    exclude = ["key_hash"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin):
    list_display = ["at", "key_prefix", "client", "method", "path", "status", "remote_addr"]
    list_filter = ["status"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = ["order_id", "client", "case", "received_at"]
    raw_id_fields = ["case"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Update)
class UpdateAdmin(admin.ModelAdmin):
    list_display = ["work_order", "kind", "created_at", "attempts", "delivered_at", "last_error"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
