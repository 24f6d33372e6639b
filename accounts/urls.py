from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .decorators import second_factor_exempt

# Django's sign-in pages keep their global names (LOGIN_URL = "login", {% url 'logout' %}). Resetting a
# password by e-mail is left out: the portal sends no e-mail; the admin sets a new password instead.
auth_patterns = [
    path("login/", second_factor_exempt(auth_views.LoginView.as_view()), name="login"),
    path("logout/", second_factor_exempt(auth_views.LogoutView.as_view()), name="logout"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]

app_name = "accounts"
urlpatterns = [
    path("security/", views.security, name="security"),
    path("two-factor/enrol/", views.enrol, name="enrol"),
    path("two-factor/verify/", views.verify, name="verify"),
    path("two-factor/backup-codes/", views.backup_codes, name="backup_codes"),
]
