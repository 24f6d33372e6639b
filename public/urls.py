from django.urls import path

from . import views

app_name = "public"
urlpatterns = [
    path("r/<str:code>/", views.raise_request, name="raise"),
    path("t/<str:token>/", views.track, name="track"),
    path("t/<str:token>/<str:action>/", views.track_act, name="track_act"),
    path("posters/grid/<int:pk>/", views.poster_grid, name="poster_grid"),
    path("posters/building/<int:pk>/", views.poster_building, name="poster_building"),
]
