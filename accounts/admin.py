"""The admin's user page gains two actions: reset the second factor, end the sessions.

Unlocking a locked-out sign-in is django-axes' admin (Axes → Access attempts: delete the attempt); the
devices themselves are listed by django-otp's admin.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services

User = get_user_model()


class PortalUserAdmin(UserAdmin):
    actions = ["reset_second_factor", "end_sessions"]

    @admin.action(description=_("重置两步验证（删除验证器和备用码，并结束其会话）"), permissions=["change"])
    def reset_second_factor(self, request, queryset):
        for user in queryset:
            services.second_factor_reset(user=user)
        count = len(queryset)
        self.message_user(
            request,
            ngettext(
                "已重置 %(count)d 个用户的两步验证；其下次登录后须重新绑定验证器。",
                "已重置 %(count)d 个用户的两步验证；其下次登录后须重新绑定验证器。",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("结束所选用户的全部会话（强制重新登录）"), permissions=["change"])
    def end_sessions(self, request, queryset):
        ended = sum(services.sessions_end(user=user) for user in queryset)
        self.message_user(request, _("已结束 %(count)d 个会话。") % {"count": ended}, messages.SUCCESS)


admin.site.unregister(User)
admin.site.register(User, PortalUserAdmin)
