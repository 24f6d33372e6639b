from django.contrib import admin
from django.urls import include, path

from grids import views as grid_views

from . import views, views_dashboard, views_home

grid_patterns = (
    [
        path("", views.grid_list, name="list"),
        path("<int:pk>/", views.grid_detail, name="detail"),
        path("<int:pk>/buildings/new/", grid_views.building_create, name="building_new"),
    ],
    "grids",
)

dashboard_patterns = (
    [
        path("", views_dashboard.dashboard_index, name="index"),
        path("export/", views_dashboard.dashboard_export_view, name="export"),
        path("report/", views_dashboard.monthly_report, name="report"),
        path("households/", views_dashboard.coverage_households, name="households"),
    ],
    "dashboard",
)

urlpatterns = [
    path("", views_home.home, name="home"),
    path("dashboard/", include(dashboard_patterns)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("grids/", include(grid_patterns)),
    path("residents/households/<int:pk>/", views.household_file, name="household_file"),
    path("residents/", include("residents.urls")),
    path("visits/", include("visits.urls")),
    path("cases/", include("cases.urls")),
]
