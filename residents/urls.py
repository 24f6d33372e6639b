from django.urls import path

app_name = "residents"
urlpatterns = []
