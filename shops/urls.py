from django.urls import path

from . import views

app_name = "shops"

urlpatterns = [
    path("", views.shop_list, name="list"),
    path("grid/<int:grid>/new/", views.shop_create, name="new"),
    path("<int:pk>/edit/", views.shop_edit, name="edit"),
    path("<int:pk>/pledges/new/", views.pledge_create, name="pledge_new"),
]
