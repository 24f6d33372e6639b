"""Session lifetimes and the second factor, checked before every view of a signed-in user."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import user_has_device

from .permissions import second_factor_required

LOGGED_IN_AT = "accounts.logged_in_at"
LAST_SEEN_AT = "accounts.last_seen_at"
# When the user was last found to need no second factor (no device, no role requiring one).
NO_SECOND_FACTOR_AT = "accounts.no_second_factor_at"
# The last activity is written at most once a minute, so a page does not cost a session write each
# time; the idle timeout is exact to the minute. The need for a second factor is asked as often.
RECHECK_SECONDS = 60


def session_start(session) -> None:
    """At sign-in: the absolute lifetime and the idle timeout count from now."""
    now = time.time()
    session[LOGGED_IN_AT] = now
    session[LAST_SEEN_AT] = now


def session_expiry(session) -> str | None:
    """Why the session has ended (a message for the login page), or None while it lasts."""
    now = time.time()
    logged_in_at = session.get(LOGGED_IN_AT, now)
    last_seen_at = session.get(LAST_SEEN_AT, logged_in_at)
    if now - logged_in_at >= settings.PORTAL_SESSION_MAX_SECONDS:
        return _("登录已超过 %(hours)d 小时，为安全起见请重新登录。") % {
            "hours": settings.PORTAL_SESSION_MAX_SECONDS // 3600
        }
    if now - last_seen_at >= settings.PORTAL_SESSION_IDLE_SECONDS:
        return _("您已 %(minutes)d 分钟未操作，为安全起见请重新登录。") % {
            "minutes": settings.PORTAL_SESSION_IDLE_SECONDS // 60
        }
    return None


class SessionLifetimeMiddleware:
    """Ends a session idle for 30 minutes or older than 12 hours: logged out, sent to the login page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated:
            return None
        reason = session_expiry(request.session)
        if reason is None:
            now = time.time()
            if LOGGED_IN_AT not in request.session:  # signed in before this rule existed
                session_start(request.session)
            elif now - request.session.get(LAST_SEEN_AT, 0) >= RECHECK_SECONDS:
                request.session[LAST_SEEN_AT] = now
            return None
        logout(request)
        messages.info(request, reason)
        if not getattr(view_func, "login_required", True):  # the login page itself, the language menu
            return None
        return redirect_to_login(request.get_full_path())


class SecondFactorMiddleware:
    """After the password, a user with a device gives its code, and a user who must have one enrols,
    before any page but signing in and out, enrolling and the language menu (`second_factor_exempt`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if getattr(view_func, "second_factor_exempt", False):
            return None
        step = second_factor_step(request.session, user)
        if step is None:
            return None
        query = urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(f"{reverse(step)}?{query}")


def second_factor_step(session, user) -> str | None:
    """The URL name of what the signed-in, unverified user must do next: give a code or enrol, or None.

    "Nothing" is remembered for a minute in the session: an optional user's pages do not ask three
    queries each time, and a role that makes the second factor required takes effect within a minute.
    """
    if time.time() - session.get(NO_SECOND_FACTOR_AT, 0) < RECHECK_SECONDS:
        return None
    if user_has_device(user):
        return "accounts:verify"
    if second_factor_required(user):
        return "accounts:enrol"
    session[NO_SECOND_FACTOR_AT] = time.time()
    return None
