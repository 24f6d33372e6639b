"""Admin for superusers. It shows full ID numbers, so it is for system administrators only; day-to-day
work goes through the portal's pages, which mask them and record each reveal."""

from django.contrib import admin
from django.core.exceptions import ValidationError

from . import identity, services
from .models import CareEnrolment, ExportRecord, Household, LiaisonLink, Resident, RevealRecord


class ResidentInline(admin.TabularInline):
    model = Resident
    fields = ["name", "relation_to_head", "sex", "birth_date", "status", "status_date"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["id", "dwelling", "grid", "status"]
    list_filter = ["status"]
    search_fields = ["dwelling__building__address"]
    raw_id_fields = ["dwelling"]
    readonly_fields = ["grid"]
    inlines = [ResidentInline]

    def save_model(self, request, obj, form, change):
        # The grid follows the dwelling and the members follow the grid, as everywhere else.
        services.household_update(household=obj, dwelling=obj.dwelling, note=obj.note)


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    list_display = ["name", "sex", "birth_date", "household", "status"]
    list_filter = ["status", "political_status", "residence_type"]
    search_fields = ["name"]
    raw_id_fields = ["household"]
    list_select_related = ["household__dwelling__building"]

    def get_search_results(self, request, queryset, search_term):
        # ID numbers are stored encrypted: a whole one is found by its blind index, never by its text.
        try:
            number = identity.normalize_id_number(search_term.strip())
        except ValidationError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.with_id_number(number), False


@admin.register(CareEnrolment)
class CareEnrolmentAdmin(admin.ModelAdmin):
    list_display = ["category", "household", "resident", "since", "until"]
    list_filter = ["category"]
    raw_id_fields = ["household", "resident"]


@admin.register(LiaisonLink)
class LiaisonLinkAdmin(admin.ModelAdmin):
    list_display = ["party_member", "household", "since", "until"]
    raw_id_fields = ["party_member", "household"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of who saw what are evidence: nobody edits or deletes them, not even a superuser."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RevealRecord)
class RevealRecordAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "resident", "field", "reason"]
    list_filter = ["field", "reason"]
    list_select_related = ["user", "resident"]


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "kind", "row_count", "unmasked"]
    list_filter = ["kind", "unmasked"]
