from django.urls import path

from . import views, views_photos, views_records

app_name = "visits"
urlpatterns = [
    # A worker's visits: what is due, logging a visit, one visit with its edits and corrections.
    path("due/", views.due_list, name="due"),
    path("new/", views.visit_create, name="new"),
    path("<int:pk>/", views.visit_detail, name="detail"),
    path("<int:pk>/edit/", views.visit_edit, name="edit"),
    path("<int:pk>/correct/", views.visit_correct, name="correct"),
    path("plan/<int:household>/", views.visit_plan, name="plan"),
    # Records for staff and leaders: the visits list and export, overdue overview, patrols.
    path("", views_records.visit_list, name="list"),
    path("export/", views_records.visit_export, name="export"),
    path("overdue/", views_records.overdue_overview, name="overdue"),
    path("patrols/", views_records.patrol_list, name="patrols"),
    path("patrols/new/", views_records.patrol_create, name="patrol_new"),
    path("patrols/<int:pk>/", views_records.patrol_detail, name="patrol_detail"),
    # Photos of a visit or a patrol finding: added on the record's page, served in scope only.
    path("<int:pk>/photos/", views_photos.visit_photo_add, name="photo_add"),
    path("findings/<int:pk>/photos/", views_photos.finding_photo_add, name="finding_photo_add"),
    path("photos/<int:pk>/", views_photos.photo, name="photo"),
]
