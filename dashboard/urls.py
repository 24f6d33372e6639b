from django.urls import path

from . import views, views_workload

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard_index, name="index"),
    path("export/", views.dashboard_export_view, name="export"),
    path("report/", views.monthly_report, name="report"),
    path("households/", views.coverage_households, name="households"),
    path("cogovernance/", views.cogovernance_records, name="cogovernance"),
    path("cogovernance/panel/", views.cogovernance_panel, name="cogovernance_panel"),
    path("workload/", views_workload.workload, name="workload"),
    path("workload/cases/", views_workload.workload_cases, name="workload_cases"),
]
