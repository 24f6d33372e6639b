"""The bell in the top bar: its count is read only when a page draws it (base.html, for a signed-in user),
so fragments and pages without the bar issue no query for it."""

from django.utils.functional import SimpleLazyObject

from . import selectors


def bell(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"bell": SimpleLazyObject(lambda: selectors.bell(user))}
