"""Signing in: lockout, session lifetimes, deactivation, password rules, the second factor, the login page.

Time is moved with time_machine (no sleeping): django-axes, the session clocks and TOTP all read it.
"""

import datetime
import re

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from grids.models import Role
from tests.factories import UserFactory, assign

pytestmark = pytest.mark.django_db

PASSWORD = "pass-for-tests-only"  # tests.factories.UserFactory's
OFFICE = "10.1.1.1"  # one community office behind one NAT address
HOME = "10.2.2.2"
START = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


def sign_in(client: Client, username: str, password: str = PASSWORD, address: str = OFFICE):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def code_now(device: TOTPDevice) -> str:
    """What the user's authenticator app shows now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def wrong_code(device: TOTPDevice) -> str:
    right = {f"{totp(device.bin_key, t0=device.t0 + shift * 30):06d}" for shift in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in right)


def sessions_of(user) -> int:
    return sum(str(s.get_decoded().get(SESSION_KEY)) == str(user.pk) for s in Session.objects.all())


@pytest.fixture
def clerk(db):
    """A user no second factor is required of (no reveal role): signs in with the password alone."""
    return UserFactory(username="clerk")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


# --- lockout (django-axes) -------------------------------------------------------------------------------


def test_five_failures_lock_that_username_at_that_address(client, clerk):
    for _ in range(4):
        assert sign_in(client, "clerk", "wrong").status_code == 200
    locked = sign_in(client, "clerk", "wrong")
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    assert "15 分钟" in locked.content.decode()
    # The right password does not get in while locked.
    assert sign_in(client, "clerk").status_code == 429
    assert not signed_in(client)


def test_a_lockout_spares_another_user_at_the_same_address(client, clerk):
    UserFactory(username="colleague")
    for _ in range(5):
        sign_in(client, "clerk", "wrong")
    assert sign_in(Client(), "colleague", address=OFFICE).status_code == 302


def test_a_lockout_spares_the_same_user_at_another_address(client, clerk):
    for _ in range(5):
        sign_in(client, "clerk", "wrong")
    other = Client()
    assert sign_in(other, "clerk", address=HOME).status_code == 302
    assert signed_in(other)


def test_a_lockout_ends_after_the_cool_off(client, clerk):
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(5):
            sign_in(client, "clerk", "wrong")
        traveller.shift(datetime.timedelta(minutes=14))
        assert sign_in(client, "clerk").status_code == 429
        # Tries while locked do not extend the lock: 15 minutes after the fifth failure it is over.
        traveller.shift(datetime.timedelta(minutes=1, seconds=1))
        assert sign_in(client, "clerk").status_code == 302
        assert signed_in(client)


def test_the_admin_unlocks_by_deleting_the_attempt(client, clerk, superuser):
    for _ in range(5):
        sign_in(client, "clerk", "wrong")
    attempt = AccessAttempt.objects.get(username="clerk", ip_address=OFFICE)
    admin = Client()
    admin.force_login(superuser)
    response = admin.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert sign_in(client, "clerk").status_code == 302


# --- session lifetimes ----------------------------------------------------------------------------------


def test_a_session_idle_for_30_minutes_ends(client, clerk):
    page = reverse("accounts:security")
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(clerk)
        for _ in range(3):  # activity keeps it alive past 30 minutes in all
            traveller.shift(datetime.timedelta(minutes=29))
            assert client.get(page).status_code == 200
        traveller.shift(datetime.timedelta(minutes=30))
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={page}"
        assert not signed_in(client)
        assert "30 分钟未操作" in client.get(response["Location"]).content.decode()


def test_a_session_ends_12_hours_after_signing_in_however_active(client, clerk):
    page = reverse("accounts:security")
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(clerk)
        for _ in range(35):  # a request every 20 minutes: 11 h 40 min
            traveller.shift(datetime.timedelta(minutes=20))
            assert client.get(page).status_code == 200
        traveller.shift(datetime.timedelta(minutes=19))
        assert client.get(page).status_code == 200
        traveller.shift(datetime.timedelta(minutes=1))  # 12 hours after signing in
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert not signed_in(client)
        assert "登录已超过 12 小时" in client.get(response["Location"]).content.decode()


def test_deactivating_a_user_ends_their_sessions_at_once(client, clerk):
    office, phone = Client(), Client()
    office.force_login(clerk)
    phone.force_login(clerk)
    client.force_login(UserFactory(username="bystander"))
    assert sessions_of(clerk) == 2

    clerk.is_active = False
    clerk.save()

    assert sessions_of(clerk) == 0
    assert Session.objects.count() == 1  # the bystander's
    response = office.get(reverse("accounts:security"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(reverse("accounts:security")).status_code == 200


def test_deactivating_a_user_in_the_admin_ends_their_sessions(client, clerk, superuser):
    client.force_login(clerk)
    admin = Client()
    admin.force_login(superuser)
    joined = timezone.localtime(clerk.date_joined)
    response = admin.post(
        reverse("admin:auth_user_change", args=[clerk.pk]),
        {
            "username": "clerk",
            "first_name": clerk.first_name,
            "last_name": "",
            "email": "",
            # is_active left out: the box unticked
            "date_joined_0": joined.strftime("%Y-%m-%d"),
            "date_joined_1": joined.strftime("%H:%M:%S"),
            "initial-date_joined_0": joined.strftime("%Y-%m-%d"),
            "initial-date_joined_1": joined.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    clerk.refresh_from_db()
    assert clerk.is_active is False
    assert sessions_of(clerk) == 0
    assert client.get(reverse("accounts:security")).status_code == 302


# --- password rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new_password", "why"),
    [
        ("wangfang2026", "like the username"),
        ("2026091512345", "all digits"),
        ("Qz-7wx!p", "shorter than 10"),
        ("password123", "common"),
    ],
)
def test_a_password_change_refuses_weak_passwords(client, new_password, why):
    user = UserFactory(username="wangfang")
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 200, why
    assert response.context["form"].errors["new_password2"], why
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_password_change_takes_a_strong_password(client):
    user = UserFactory(username="wangfang")
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Qiao-lu-2026-xu", "new_password2": "Qiao-lu-2026-xu"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Qiao-lu-2026-xu")


# --- the second factor ---------------------------------------------------------------------------------


@pytest.fixture
def reveal_worker(grid):
    """A full-time grid worker: a reveal role, so a second factor is required."""
    user = UserFactory(username="gw")
    assign(user, Role.GRID_WORKER, grid)
    return user


def test_a_required_user_without_a_device_reaches_no_page_but_enrolment(client, reveal_worker):
    client.force_login(reveal_worker, verified=False)
    enrol = reverse("accounts:enrol")
    for url in (reverse("home"), reverse("residents:search"), reverse("accounts:security")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{enrol}?next={url.replace('/', '%2F')}"
    assert client.get(enrol).status_code == 200


@pytest.mark.parametrize(
    "role", [Role.GRID_LEADER, Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.COMMUNITY_LEADER]
)
def test_every_reveal_role_must_enrol(client, grid, role):
    user = UserFactory()
    assign(user, role, grid if role in (Role.GRID_LEADER, Role.GRID_WORKER) else grid.community)
    client.force_login(user, verified=False)
    assert client.get(reverse("grids:list"))["Location"].startswith(reverse("accounts:enrol"))


def test_superusers_must_enrol_before_the_admin(client, superuser):
    client.force_login(superuser, verified=False)
    response = client.get(reverse("admin:index"))
    assert response["Location"].startswith(reverse("accounts:enrol"))


@pytest.mark.parametrize("role", [Role.STREET_LEADER, Role.BUILDING_HEAD, Role.PART_TIME_GRID_WORKER])
def test_roles_that_see_only_masked_values_may_go_without(client, grid, role):
    user = UserFactory()
    assign(user, role, grid.community.street if role == Role.STREET_LEADER else grid)
    client.force_login(user, verified=False)
    assert client.get(reverse("grids:list")).status_code == 200
    assert "启用两步验证" in client.get(reverse("accounts:security")).content.decode()


def test_the_requirement_can_be_turned_off_for_the_demo(client, reveal_worker, settings):
    settings.PORTAL_OTP_REQUIRED = False
    client.force_login(reveal_worker, verified=False)
    assert client.get(reverse("grids:list")).status_code == 200


def test_enrolment_shows_a_qr_code_and_the_secret_and_confirms_with_a_code(client, reveal_worker):
    client.force_login(reveal_worker, verified=False)
    page = client.get(reverse("accounts:enrol") + "?next=/grids/")
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=reveal_worker, confirmed=False)
    assert "<svg" in html
    assert page.context["secret"].replace(" ", "") in html.replace(" ", "")
    assert " style=" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []  # no inline script

    refused = client.post(reverse("accounts:enrol"), {"code": wrong_code(device), "next": "/grids/"})
    assert refused.status_code == 200
    assert refused.context["form"].errors["code"]
    assert not TOTPDevice.objects.filter(user=reveal_worker, confirmed=True).exists()

    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=5), tick=False):  # past the throttle
        response = client.post(reverse("accounts:enrol"), {"code": code_now(device), "next": "/grids/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:backup_codes") + "?next=/grids/"
    assert TOTPDevice.objects.get(user=reveal_worker).confirmed is True

    shown = client.get(response["Location"])
    assert len(shown.context["codes"]) == 10
    assert sorted(shown.context["codes"]) == sorted(
        StaticToken.objects.filter(device__user=reveal_worker).values_list("token", flat=True)
    )
    assert client.get(response["Location"]).context["codes"] is None  # shown once
    assert client.get(reverse("grids:list")).status_code == 200  # verified by the enrolment


def test_a_password_alone_cannot_replace_an_existing_device(client, reveal_worker):
    TOTPDevice.objects.create(user=reveal_worker, name="authenticator", confirmed=True)
    client.force_login(reveal_worker, verified=False)
    response = client.get(reverse("accounts:enrol"))
    assert response["Location"].startswith(reverse("accounts:verify"))
    assert TOTPDevice.objects.filter(user=reveal_worker).count() == 1


@pytest.fixture
def enrolled(reveal_worker):
    device = TOTPDevice.objects.create(user=reveal_worker, name="authenticator", confirmed=True)
    return device, services.backup_codes_issue(user=reveal_worker)


def test_signing_in_asks_for_the_code_after_the_password(client, reveal_worker, enrolled):
    device, _codes = enrolled
    with time_machine.travel(START, tick=False) as traveller:
        assert sign_in(client, "gw").status_code == 302
        response = client.get(reverse("grids:list"))
        assert response["Location"] == f"{reverse('accounts:verify')}?next=%2Fgrids%2F"

        refused = client.post(response["Location"], {"code": wrong_code(device)})
        assert refused.status_code == 200
        assert refused.context["form"].errors["code"]
        assert client.get(reverse("grids:list")).status_code == 302

        traveller.shift(datetime.timedelta(seconds=5))  # django-otp throttles after a failure
        accepted = client.post(response["Location"], {"code": code_now(device)})
        assert accepted.status_code == 302
        assert accepted["Location"] == "/grids/"
        assert client.get(reverse("grids:list")).status_code == 200


def test_a_totp_code_is_accepted_once(client, reveal_worker, enrolled):
    device, _codes = enrolled
    with time_machine.travel(START, tick=False):
        sign_in(client, "gw")
        code = code_now(device)
        assert client.post(reverse("accounts:verify"), {"code": code}).status_code == 302
        again = Client()
        sign_in(again, "gw")
        assert again.post(reverse("accounts:verify"), {"code": code}).status_code == 200


def test_a_backup_code_works_once(client, reveal_worker, enrolled):
    _device, codes = enrolled
    sign_in(client, "gw")
    assert client.post(reverse("accounts:verify"), {"code": codes[3].upper()}).status_code == 302
    assert client.get(reverse("grids:list")).status_code == 200

    again = Client()
    sign_in(again, "gw", address=HOME)
    assert again.post(reverse("accounts:verify"), {"code": codes[3]}).status_code == 200
    assert again.get(reverse("grids:list")).status_code == 302
    assert StaticToken.objects.filter(device__user=reveal_worker).count() == 9


def test_new_backup_codes_replace_the_old(client, reveal_worker, enrolled):
    _device, codes = enrolled
    client.force_login(reveal_worker)
    assert client.post(reverse("accounts:backup_codes")).status_code == 302
    new = client.get(reverse("accounts:backup_codes")).context["codes"]
    assert len(new) == 10
    assert set(StaticToken.objects.filter(device__user=reveal_worker).values_list("token", flat=True)) == set(
        new
    )
    assert not set(codes) & set(new)


def test_the_admin_resets_a_users_second_factor(client, reveal_worker, enrolled, superuser):
    client.force_login(reveal_worker)
    assert client.get(reverse("grids:list")).status_code == 200
    admin = Client()
    admin.force_login(superuser)
    response = admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [reveal_worker.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=reveal_worker).exists()
    assert not StaticDevice.objects.filter(user=reveal_worker).exists()
    # Their session is over, and at the next sign-in they enrol again.
    assert client.get(reverse("grids:list"))["Location"].startswith(reverse("login"))
    sign_in(client, "gw")
    assert client.get(reverse("grids:list"))["Location"].startswith(reverse("accounts:enrol"))


def test_the_tests_force_login_passes_the_second_factor(client, reveal_worker):
    client.force_login(reveal_worker)
    assert client.get(reverse("grids:list")).status_code == 200


# --- the login page ------------------------------------------------------------------------------------


def test_the_login_page_offers_the_language_choice(client):
    page = client.get(reverse("login")).content.decode()
    assert f'action="{reverse("set_language")}"' in page
    assert re.search(r'<button[^>]*value="en"[^>]*>English</button>', page)  # in its own name
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert '<html lang="en">' in client.get(reverse("login")).content.decode()


def test_password_reset_by_email_is_gone(client, clerk):
    with pytest.raises(NoReverseMatch):
        reverse("password_reset")
    client.force_login(clerk)
    assert client.get("/accounts/password_reset/").status_code == 404
