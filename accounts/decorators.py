from collections.abc import Callable


def second_factor_exempt(view: Callable) -> Callable:
    """Marks a view a signed-in user reaches before the second factor (signing in and out, enrolling)."""
    view.second_factor_exempt = True  # type: ignore[attr-defined]
    return view
