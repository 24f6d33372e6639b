import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the live server's test database
# set-up must still be allowed to use the ORM from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from django.test import Client, override_settings  # noqa: E402 (after the environment is prepared)

from grids.models import Role  # noqa: E402
from tests.factories import (  # noqa: E402
    GridFactory,
    UserFactory,
    assign,
)


def verify_second_factor(client: Client, user) -> None:
    """Mark the client's session as past the second factor, with a confirmed authenticator for the user."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="tests", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher():
    """Passwords are hashed with MD5 in the tests: the production hasher (PBKDF2, 1,500,000 rounds) spends
    about half a second on each user a factory or the demo makes, most of a run's time. A test whose user
    signs in on a separate server process (which hashes as production does) asks for the real hasher."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session", autouse=True)
def _force_login_passes_the_second_factor():
    """client.force_login(user) also passes the second factor when the user must have one.

    Tests of other things sign in as roles that must use a second factor (accounts.permissions); as
    force_login skips the password, this skips the code, through a real device and django-otp's session
    key, so every page still goes through the second-factor middleware. `verified=False` leaves the
    session at the password step: tests/test_accounts.py proves the requirement holds then.
    """
    from accounts.permissions import second_factor_required

    original = Client.force_login

    def force_login(self, user, backend=None, *, verified=True):
        original(self, user, backend)
        if verified and second_factor_required(user):
            verify_second_factor(self, user)

    Client.force_login = force_login
    yield
    Client.force_login = original


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Whitenoise's manifest storage needs collectstatic; tests serve straight from static/.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # And whitenoise finds them there too (each test client loads the middleware afresh): without debug,
    # as CI runs, the settings expect collectstatic's staticfiles/ and whitenoise would answer 404.
    settings.WHITENOISE_USE_FINDERS = True


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Case photos written by tests go to a throwaway directory.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _category_catalogue(request):
    """The 事项清单 a migration seeds, for every test that uses the database.

    Transactional tests (the browser and concurrency tests) empty every table when they end, seeded rows
    included; the tests after them would find no categories. Seeding again only adds what is missing.
    """
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db" if "transactional_db" not in request.fixturenames else "transactional_db")
    from cases.models import Category

    if not Category.objects.exists():
        from django.apps import apps

        from cases import catalogue

        catalogue.seed(apps)


@pytest.fixture
def grid(db):
    return GridFactory()


@pytest.fixture
def other_grid(db, grid):
    """A grid of another community, outside the scope of users of `grid`."""
    return GridFactory()


@pytest.fixture
def worker(db, grid):
    user = UserFactory(username="w")
    assign(user, Role.GRID_WORKER, grid)
    return user


@pytest.fixture
def staff(db, grid):
    user = UserFactory(username="s")
    assign(user, Role.COMMUNITY_STAFF, grid.community)
    return user


@pytest.fixture
def street_leader(db, grid):
    user = UserFactory(username="sl")
    assign(user, Role.STREET_LEADER, grid.community.street)
    return user


@pytest.fixture
def building_head(db, grid):
    user = UserFactory(username="bh")
    assign(user, Role.BUILDING_HEAD, grid)
    return user
