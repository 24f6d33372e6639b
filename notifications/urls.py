from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("bell/", views.bell, name="bell"),
    path("<int:pk>/read/", views.notification_read, name="read"),
    path("read-all/", views.notification_read_all, name="read_all"),
    path("urgent-visits/", views.visit_alerts, name="visit_alerts"),
    path(
        "urgent-visits/<int:pk>/acknowledge/", views.visit_alert_acknowledge, name="visit_alert_acknowledge"
    ),
]
