"""What cases tells the apps above it, which it may not call (the dependency runs the other way)."""

from django.dispatch import Signal

# Sent with `case=`, `event=` (the CaseEvent just written) and `actor=` by cases.services for every line of
# a case's timeline (its registration and every move), inside the transaction that writes it, so what a
# receiver writes (a notification) commits or rolls back with the action.
case_transitioned = Signal()
