from django.contrib import admin

from .models import Shop, ShopPledge


class PledgeInline(admin.TabularInline):
    model = ShopPledge
    extra = 0
    raw_id_fields = ["recorded_by"]


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "grid", "closed_on"]
    list_filter = ["kind"]
    search_fields = ["name"]
    raw_id_fields = ["grid", "building"]
    inlines = [PledgeInline]
