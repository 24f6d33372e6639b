"""Receivers: a sign-in starts the session's clocks; a deactivated user's sessions end at once."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from .middleware import second_factor_step, session_start
from .services import sessions_end


@receiver(user_logged_in)
def _session_clocks_start(sender, request, user, **kwargs):
    session_start(request.session)
    # Asked once at sign-in, so the first page of a user who needs no second factor asks nothing.
    second_factor_step(request.session, user)


@receiver(post_save, sender=get_user_model())
def _deactivated_user_signed_out(sender, instance, **kwargs):
    # By the admin's form or by code (save()); a queryset update() bypasses signals: use save().
    if not instance.is_active:
        sessions_end(user=instance)
