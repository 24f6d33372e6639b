from django.urls import path

from . import views, views_deliberations, views_meetings, views_street

app_name = "cases"
urlpatterns = [
    # Intake, the worker's queue and the community desk.
    path("new/", views.case_create, name="new"),
    path("new/requester/", views.requester_search, name="requester_search"),
    path("new/buildings/", views.building_options, name="building_options"),
    path("queue/", views.queue, name="queue"),
    path("desk/", views.desk, name="desk"),
    path("bulk/", views.cases_bulk, name="bulk"),
    # The street's inbox of escalated cases and its actions.
    path("street/", views_street.street_inbox, name="street_inbox"),
    path("street/<int:pk>/act/<str:action>/", views_street.street_act, name="street_act"),
    # One case: its page, its actions, its photos.
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/act/<str:action>/", views.case_act, name="act"),
    path("<int:pk>/photos/", views.attachment_add, name="attachment_add"),
    path("<int:pk>/requester-phone/", views.requester_phone, name="requester_phone"),
    path("photos/<int:pk>/", views.attachment, name="attachment"),
    # The list of cases and its export.
    path("", views.case_list, name="list"),
    path("export/", views.case_export, name="export"),
    # Consultation meetings.
    path("<int:pk>/meetings/new/", views_meetings.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/agreement/", views_meetings.agreement, name="agreement"),
    path("terms/<int:pk>/done/", views.term_done, name="term_done"),
    # Community deliberations (居民议事); their meetings are the meetings above, and so is the agreement.
    path("deliberations/", views_deliberations.deliberation_list, name="deliberation_list"),
    path("deliberations/new/", views_deliberations.deliberation_new, name="deliberation_new"),
    path("deliberations/<int:pk>/", views_deliberations.deliberation_detail, name="deliberation_detail"),
    path(
        "deliberations/<int:pk>/act/<str:action>/",
        views_deliberations.deliberation_act,
        name="deliberation_act",
    ),
    path(
        "deliberations/<int:pk>/meetings/new/",
        views_deliberations.deliberation_meeting_new,
        name="deliberation_meeting_new",
    ),
]
