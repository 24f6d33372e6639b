from django.urls import path

from . import views, views_ledger

app_name = "residents"
urlpatterns = [
    path("", views.search, name="search"),
    path("households/", views.household_list, name="household_list"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:pk>/move-out/", views.household_move_out, name="household_move_out"),
    path("households/<int:household>/members/new/", views.resident_create, name="resident_create"),
    path("households/<int:household>/enrolments/new/", views.enrolment_create, name="enrolment_create"),
    path("households/<int:household>/liaison/", views.liaison_set, name="liaison_set"),
    path("people/<int:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("people/<int:pk>/status/", views.resident_status, name="resident_status"),
    path("people/<int:pk>/reveal/", views.resident_reveal, name="resident_reveal"),
    path("enrolments/<int:pk>/edit/", views.enrolment_edit, name="enrolment_edit"),
    path("ledger/template/", views_ledger.ledger_template, name="ledger_template"),
    path("ledger/import/", views_ledger.ledger_import, name="ledger_import"),
    path("export/", views_ledger.ledger_export, name="ledger_export"),
]
