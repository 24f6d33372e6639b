"""What every page's layout needs: the menu of the signed-in user's roles."""

from django.utils.functional import SimpleLazyObject

from .menu import menu_for


def menu(request) -> dict:
    # Lazy: a page without the menu (signing in, an error before the user is known) asks nothing.
    return {"menu": SimpleLazyObject(lambda: menu_for(request.user))}
