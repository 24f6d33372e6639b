from django.contrib import admin
from django.urls import include, path

from accounts import urls as account_urls
from accounts import views as account_views
from grids import views as grid_views
from hotline.urls import open311_patterns
from shops import urls as shop_urls

from . import views, views_health, views_home, views_shops

grid_patterns = (
    [
        path("", views.grid_list, name="list"),
        path("<int:pk>/", views.grid_detail, name="detail"),
        path("<int:pk>/buildings/new/", grid_views.building_create, name="building_new"),
    ],
    "grids",
)

# The shop's page composes visits and cases (its inspections and their cases), so it is served from here.
shop_patterns = (
    [*shop_urls.urlpatterns, path("<int:pk>/", views_shops.shop_detail, name="detail")],
    "shops",
)

urlpatterns = [
    path("", views_home.home, name="home"),
    path("dashboard/", include("dashboard.urls")),
    path("accounts/", include(account_urls.auth_patterns)),
    path("accounts/", include("accounts.urls")),
    path("i18n/setlang/", account_views.language, name="set_language"),
    path("admin/", admin.site.urls),
    path("grids/", include(grid_patterns)),
    path("residents/households/<int:pk>/", views.household_file, name="household_file"),
    path("shops/", include(shop_patterns)),
    path("residents/", include("residents.urls")),
    path("volunteers/", include("volunteers.urls")),
    path("visits/", include("visits.urls")),
    path("cases/", include("cases.urls")),
    path("projects/", include("projects.urls")),
    path("q/", include("public.urls")),
    path("notifications/", include("notifications.urls")),
    path("audit/", include("audit.urls")),
    path("hotline/", include("hotline.urls")),
    path("open311/v2/", include(open311_patterns)),
    # For the load balancer (database and migrations) and for monitoring (the task worker too): README.
    path("health/", views_health.health_check, name="health"),
    path("health/worker/", views_health.health_worker, name="health_worker"),
]
