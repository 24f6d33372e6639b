from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard_index, name="index"),
    path("export/", views.dashboard_export_view, name="export"),
    path("report/", views.monthly_report, name="report"),
    path("households/", views.coverage_households, name="households"),
]
