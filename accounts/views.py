"""The account page, the second factor's enrolment and sign-in step, and the lockout answer."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.i18n import set_language
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services
from .decorators import second_factor_exempt
from .forms import CodeForm
from .permissions import second_factor_required
from .qr import qr_svg, secret_text

# The backup codes just issued, kept in the session only until the page showing them is opened.
NEW_BACKUP_CODES = "accounts.new_backup_codes"


def _next_url(request: HttpRequest) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(url, {request.get_host()}, require_https=request.is_secure()):
        return url
    return reverse("home")


def security(request: HttpRequest) -> HttpResponse:
    """账户安全: the second factor's state, backup codes left, the password."""
    user = request.user
    context = {
        "has_authenticator": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        "required": second_factor_required(user),
        "backup_codes_left": StaticToken.objects.filter(device__user=user, device__confirmed=True).count(),
    }
    return render(request, "accounts/security.html", context)


@second_factor_exempt
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Add an authenticator: scan the QR code (or type the secret), confirm with a code, get backup codes."""
    user = request.user
    if not user.is_verified() and user_has_device(user):
        # A password alone must not replace the device of a user who has one.
        return redirect(f"{reverse('accounts:verify')}?next={reverse('accounts:enrol')}")
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        messages.info(request, _("您已启用两步验证。"))
        return redirect("accounts:security")
    device = services.totp_enrolment_start(user=user)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        codes = services.totp_enrolment_confirm(device=device, token=form.cleaned_data["code"])
        if codes is not None:
            device.refresh_from_db()
            otp_login(request, device)
            request.session[NEW_BACKUP_CODES] = codes
            messages.success(request, _("两步验证已启用。"))
            return redirect(f"{reverse('accounts:backup_codes')}?next={_next_url(request)}")
        form.add_error("code", _("验证码不正确，请查看验证器应用中当前的六位数字后重试。"))
    context = {
        "form": form,
        "qr": qr_svg(device, _("扫描此二维码添加到验证器应用")),
        "secret": secret_text(device),
        "required": second_factor_required(user),
        "next": _next_url(request),
    }
    return render(request, "accounts/enrol.html", context)


@require_http_methods(["GET", "POST"])
def backup_codes(request: HttpRequest) -> HttpResponse:
    """The backup codes just issued, shown once; or new ones, which replace the old."""
    if request.method == "POST":
        if not TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
            return redirect("accounts:enrol")
        request.session[NEW_BACKUP_CODES] = services.backup_codes_issue(user=request.user)
        return redirect("accounts:backup_codes")
    codes = request.session.pop(NEW_BACKUP_CODES, None)
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next": _next_url(request)})


@second_factor_exempt
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """After the password: the authenticator's code, or a backup code (each works once)."""
    if request.user.is_verified():
        return HttpResponseRedirect(_next_url(request))
    if not user_has_device(request.user):
        return redirect(f"{reverse('accounts:enrol')}?next={_next_url(request)}")
    form = CodeForm(request.POST or None)
    if form.is_valid():
        device = services.second_factor_verify(user=request.user, code=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return HttpResponseRedirect(_next_url(request))
        form.add_error("code", _("验证码不正确或已使用。连续出错后需稍等片刻才能再试。"))
    return render(request, "accounts/verify.html", {"form": form, "next": _next_url(request)})


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a locked username at this address: the login page saying so (429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {
        "form": AuthenticationForm(request),
        "locked_out": True,
        "cooloff_minutes": minutes,
        "next": _next_url(request),
    }
    return render(request, "registration/login.html", context, status=429)


@login_not_required
@second_factor_exempt
def language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, open before signing in: the login page offers the language too."""
    return set_language(request)
