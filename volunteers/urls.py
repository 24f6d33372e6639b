from django.urls import path

from . import views

app_name = "volunteers"
urlpatterns = [
    path("activities/", views.activity_list, name="activities"),
    path("activities/new/", views.activity_create, name="activity_new"),
    path("activities/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/sign-up/", views.sign_up, name="sign_up"),
    path("sign-ups/<int:pk>/cancel/", views.sign_up_cancel, name="sign_up_cancel"),
    path("activities/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("activities/<int:pk>/report/", views.report, name="report"),
    path("activities/<int:pk>/photos/", views.photo_add, name="photo_add"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("", views.volunteer_list, name="volunteers"),
    path("new/", views.volunteer_create, name="volunteer_new"),
    path("<int:pk>/", views.volunteer_detail, name="volunteer_detail"),
    path("<int:pk>/edit/", views.volunteer_edit, name="volunteer_edit"),
    path("<int:pk>/certificate/<int:year>/", views.certificate, name="certificate"),
    path("teams/", views.team_list, name="teams"),
    path("teams/new/", views.team_create, name="team_new"),
    path("teams/<int:pk>/", views.team_detail, name="team_detail"),
    path("teams/<int:pk>/edit/", views.team_edit, name="team_edit"),
    path("units/", views.unit_list, name="units"),
    path("units/new/", views.unit_create, name="unit_new"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("members/", views.member_list, name="members"),
    path("members/new/", views.member_create, name="member_new"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
]
