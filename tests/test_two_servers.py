"""Two app servers keep no state of their own: a user signed in on one is signed in on the other, and a
message set on one is shown by the other (sessions and their messages are rows in the database).

Two gunicorn processes serve the committed test database, as two servers behind a load balancer would.
"""

import http.client
import http.cookies
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import global_settings
from django.db import connections

from grids.models import Role
from tests.factories import UserFactory, assign

pytestmark = pytest.mark.django_db(transaction=True)

BASE_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "pass-for-tests-only"  # tests.factories.UserFactory's


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    """The test database (pytest-django's test_… one), as a URL for the servers' environment."""
    db = connections["default"].settings_dict
    return (
        f"postgres://{quote(db['USER'], safe='')}:{quote(db['PASSWORD'], safe='')}"
        f"@{db['HOST']}:{db['PORT']}/{quote(db['NAME'], safe='')}"
    )


class Browser:
    """One user's cookies, sent to whichever server a request goes to (as behind a load balancer)."""

    def __init__(self):
        self.cookies = http.cookies.SimpleCookie()

    def request(self, port: int, path: str, form: dict | None = None) -> tuple[int, str, str]:
        """The status, Location header and body of a GET (or a POST of `form`, with the CSRF token)."""
        headers = {"Cookie": "; ".join(f"{name}={m.value}" for name, m in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode({**form, "csrfmiddlewaretoken": self.cookies["csrftoken"].value})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            connection.request("GET" if form is None else "POST", path, body, headers)
            response = connection.getresponse()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                self.cookies.load(cookie)
            return response.status, response.getheader("Location") or "", response.read().decode()
        finally:
            connection.close()


def _wait_until_serving(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            if Browser().request(port, "/accounts/login/")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"no answer on port {port}")


@pytest.fixture
def two_servers(transactional_db, tmp_path):
    """Two gunicorn servers (one worker each) on free loopback ports, with the environment a deployment
    gives every app server: the same database, keys and settings."""
    environment = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # Plain static files: no collectstatic in the tests.
        "DJANGO_STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "PORTAL_OTP_REQUIRED": "false",
        "DJANGO_SECURE_COOKIES": "false",
    }
    ports = [_free_port(), _free_port()]
    logs = [tmp_path / f"gunicorn-{port}.log" for port in ports]
    servers = []
    for port, log in zip(ports, logs, strict=True):
        with log.open("w") as stderr:
            command = [sys.executable, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"]
            servers.append(
                subprocess.Popen(
                    command, cwd=BASE_DIR, env=environment, stdout=subprocess.DEVNULL, stderr=stderr
                )
            )
    try:
        for port, server, log in zip(ports, servers, logs, strict=True):
            _wait_until_serving(port, server, log)
        yield ports
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)


def test_a_session_and_its_messages_move_between_two_app_servers(two_servers, grid, settings):
    a, b = two_servers
    # The servers check the password with the production hasher, so it is hashed with it here too.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    worker = UserFactory(username="w2", first_name="张网格")
    assign(worker, Role.GRID_WORKER, grid)
    browser = Browser()

    assert browser.request(a, "/accounts/login/")[0] == 200  # sets the CSRF cookie
    status, location, _body = browser.request(a, "/accounts/login/", {"username": "w2", "password": PASSWORD})
    assert (status, location) == (302, "/")

    # The same cookies on the other server: signed in there too.
    status, _location, body = browser.request(b, "/notifications/")
    assert status == 200
    assert "张网格" in body

    # A message set on A is shown by the next page, served by B, and only once.
    status, location, _body = browser.request(a, "/notifications/read-all/", {})
    assert (status, location) == (302, "/notifications/")
    assert "已将 0 条通知标为已读。" in browser.request(b, "/notifications/")[2]
    assert "已将 0 条通知标为已读。" not in browser.request(a, "/notifications/")[2]

    # Signed out on B: A no longer knows the session either, even when sent the old cookie.
    session = browser.cookies["sessionid"].value
    assert browser.request(b, "/accounts/logout/", {})[0] == 302
    browser.cookies["sessionid"] = session
    status, location, _body = browser.request(a, "/notifications/")
    assert (status, location) == (302, "/accounts/login/?next=/notifications/")
