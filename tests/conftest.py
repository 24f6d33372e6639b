import os

import pytest

# Playwright's sync API runs an event loop in the test thread; the live server's test database
# set-up must still be allowed to use the ORM from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from grids.models import Role  # noqa: E402 (after the environment is prepared)
from tests.factories import (  # noqa: E402
    GridFactory,
    UserFactory,
    assign,
)


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Whitenoise's manifest storage needs collectstatic; tests serve straight from static/.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


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
