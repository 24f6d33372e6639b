from django.contrib import admin

from .models import Assignment, Building, Community, Dwelling, Grid, Street, WorkTeam, WorkTeamMember


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "street"]
    list_filter = ["street"]
    search_fields = ["name"]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "community"]
    list_filter = ["community"]
    search_fields = ["code", "name"]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["address", "grid"]
    search_fields = ["address", "grid__code"]
    autocomplete_fields = ["grid"]


@admin.register(Dwelling)
class DwellingAdmin(admin.ModelAdmin):
    list_display = ["building", "unit", "room"]
    search_fields = ["building__address"]
    autocomplete_fields = ["building"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "grid", "community", "street"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__first_name", "grid__code"]
    autocomplete_fields = ["user", "grid", "community", "street"]


class WorkTeamMemberInline(admin.TabularInline):
    model = WorkTeamMember
    autocomplete_fields = ["user", "grid"]
    extra = 0


@admin.register(WorkTeam)
class WorkTeamAdmin(admin.ModelAdmin):
    list_display = ["name", "street"]
    inlines = [WorkTeamMemberInline]
