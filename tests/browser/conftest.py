"""Browser tests drive Debian's Chromium (never a downloaded browser) on a phone-sized viewport."""

import contextlib
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # A missing Chromium must fail these tests, not skip them: `make test` installs it.
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run `make test`, which installs it"
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "locale": "zh-CN", "device_scale_factor": 2}


@pytest.fixture(autouse=True)
def _demo_without_second_factor(settings):
    """These tests sign in through the login page as `make demo` serves it: the second factor not required
    (the Makefile's PORTAL_OTP_REQUIRED=false). tests/test_accounts.py tests the requirement."""
    settings.PORTAL_OTP_REQUIRED = False


@pytest.fixture(scope="session")
def chinese_font():
    """Without a CJK font the screenshots show empty boxes; `make test` installs fonts-noto-cjk."""
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=True).stdout
    assert fonts.strip(), "no Chinese font installed (fonts-noto-cjk)"


@pytest.fixture
def shot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(autouse=True)
def _requests_answered_before_the_flush(request):
    """Wait, after a test, until the page's htmx requests are answered (the bell loads its count after
    every page). A request still running in a live-server thread while a transactional test empties the
    tables can deadlock with the TRUNCATE."""
    page = request.getfixturevalue("page") if "page" in request.fixturenames else None
    yield
    if page is None or page.is_closed():
        return
    # A request that failed leaves its element behind, but nothing is running any more then.
    with contextlib.suppress(PlaywrightError):
        page.wait_for_function(
            "() => !document.querySelector('.htmx-request, a.portal-bell[hx-get]')", timeout=5_000
        )


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    # Set up after the test database so it is stopped (and its thread's connection closed) before
    # the database is dropped; otherwise PostgreSQL refuses to drop a database still in use.
    return live_server


@pytest.fixture(scope="session", autouse=True)
def _close_live_server_connections(django_db_setup, django_db_blocker):
    """Close connections the live server's request threads left open, before the test DB is dropped.

    The threaded live server handles each browser connection in its own thread with its own database
    connection; a keep-alive connection still open at the end of the run keeps its session, and
    PostgreSQL refuses to drop a database in use.
    """
    yield
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


# Reported from inside each page, whatever document is loaded: Content-Security-Policy violations
# (an inline script or style, eval, a file from elsewhere) and htmx refusing to eval (allowEval false).
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const what = `${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`;
  window.__reportCspViolation(`${what} in ${event.sourceFile}:${event.lineNumber}`);
});
document.addEventListener("htmx:evalDisallowedError", (event) => {
  window.__reportCspViolation(`htmx eval disallowed on ${event.target.outerHTML.slice(0, 120)}`);
});
"""


@pytest.fixture(autouse=True)
def no_csp_violations(request):
    """Every browser test also checks that nothing its pages do breaks the Content-Security-Policy."""
    if "page" not in request.fixturenames:
        yield []
        return
    page = request.getfixturevalue("page")
    violations: list[str] = []
    page.expose_function("__reportCspViolation", lambda text: violations.append(text))
    page.add_init_script(_REPORT_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield violations
    assert violations == [], "\n".join(violations)
