from django.urls import path

from . import views, views_meetings

app_name = "cases"
urlpatterns = [
    # Intake, the worker's queue and the community desk.
    path("new/", views.case_create, name="new"),
    path("new/requester/", views.requester_search, name="requester_search"),
    path("new/buildings/", views.building_options, name="building_options"),
    path("queue/", views.queue, name="queue"),
    path("desk/", views.desk, name="desk"),
    path("bulk/", views.cases_bulk, name="bulk"),
    # One case: its page, its actions, its photos.
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/act/<str:action>/", views.case_act, name="act"),
    path("<int:pk>/photos/", views.attachment_add, name="attachment_add"),
    path("photos/<int:pk>/", views.attachment, name="attachment"),
    # The list of cases and its export.
    path("", views.case_list, name="list"),
    path("export/", views.case_export, name="export"),
    # Consultation meetings.
    path("<int:pk>/meetings/new/", views_meetings.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/agreement/", views_meetings.agreement, name="agreement"),
    path("terms/<int:pk>/done/", views.term_done, name="term_done"),
]
