"""The staff's pages (`hotline:`) and the platform's API (`open311:`, every view behind `api.gated`)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import views
from .api import api, gated

app_name = "hotline"

urlpatterns = [
    path("keys/", views.client_list, name="clients"),
    path("keys/new/", views.client_create, name="client_new"),
    path("keys/<int:pk>/revoke/", views.client_revoke, name="client_revoke"),
    path("updates/", views.update_list, name="updates"),
    path("updates/<int:pk>/retry/", views.update_retry, name="update_retry"),
    path("cases/<int:pk>/", views.case_updates, name="case_updates"),
]

# The document and its page describe the API, no data: open to all, like the spec itself (ninja's root
# only names the docs' address: a 404). The rest is the platform's: its key, not a session.
_DOCS = {"openapi-json", "openapi-view", "api-root"}


def _open311_patterns():
    patterns, _app_name, namespace = api.urls
    for pattern in patterns:
        if pattern.name in _DOCS:
            pattern.callback = login_not_required(pattern.callback)
        else:
            pattern.callback = gated(pattern.callback)
    return patterns, namespace


open311_patterns = _open311_patterns()
