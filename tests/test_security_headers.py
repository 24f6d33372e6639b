"""Headers and settings: the Content-Security-Policy and templates it can hold to, no-store on every
response to a signed-in user, HTTPS settings that make `check --deploy` clean, and no start without a
secret key whatever the database."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import HouseholdFactory, ResidentFactory, case_in
from tests.test_case_views import _png

BASE_DIR = Path(__file__).resolve().parent.parent
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'"
)


# --- Content-Security-Policy --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_page_carries_the_content_security_policy(client, worker, grid):
    household = HouseholdFactory(dwelling__building__grid=grid)
    client.force_login(worker)
    response = client.get(reverse("household_file", args=[household.pk]))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY


@pytest.mark.django_db
def test_the_login_page_carries_the_policy_too(client):
    assert client.get(reverse("login"))["Content-Security-Policy"] == POLICY


@pytest.mark.django_db
def test_the_admin_gets_a_nonce_for_its_own_tags(admin_client):
    # The admin writes Django's nonce on its scripts (and its one inline <style>); our templates use none.
    response = admin_client.get("/admin/cases/category/")
    nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
    header = response["Content-Security-Policy"]
    assert f"script-src 'self' 'nonce-{nonce}'" in header
    assert f"style-src 'self' 'nonce-{nonce}'" in header


@pytest.mark.django_db
def test_htmx_is_configured_without_eval_or_injected_styles(client, worker):
    client.force_login(worker)
    html = client.get(reverse("residents:search")).content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html).group(1)
    assert '"allowEval": false' in config
    assert '"includeIndicatorStyles": false' in config
    assert '"historyCacheSize": 0' in config  # no page with personal data kept in localStorage


TEMPLATES = sorted((BASE_DIR / "templates").rglob("*.html"))
INLINE = [
    ("an inline <script>", re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)),
    ("a <style> element", re.compile(r"<style\b", re.I)),
    ("a style attribute", re.compile(r"\sstyle\s*=", re.I)),
    ("an event handler attribute", re.compile(r"\son[a-z]+\s*=", re.I)),
    ("a javascript: URL", re.compile(r"javascript:", re.I)),
    ("an hx-on handler (eval)", re.compile(r"\bhx-on", re.I)),
    ("an htmx trigger filter (eval)", re.compile(r"hx-trigger=\"[^\"]*\[", re.I)),
    ("a js: value for htmx (eval)", re.compile(r"hx-(?:vals|headers)='\s*js:", re.I)),
]


def test_the_template_scan_finds_what_it_looks_for():
    offending = (
        '<script>alert(1)</script><style>p{}</style><p style="x"><a onclick="go()" href="javascript:x">'
        '<div hx-on:click="x" hx-trigger="change[target.value]" hx-vals=\'js:{a: 1}\'>'
    )
    assert [what for what, pattern in INLINE if pattern.search(offending)] == [what for what, _ in INLINE]
    allowed = '<script src="/static/x.js"></script><form action="/a" data-submit-on-change="any">'
    assert [what for what, pattern in INLINE if pattern.search(allowed)] == []


@pytest.mark.parametrize(
    "template", TEMPLATES, ids=lambda path: str(path.relative_to(BASE_DIR / "templates"))
)
def test_no_template_has_inline_script_or_style(template):
    text = template.read_text()
    found = [f"{what}: {pattern.search(text).group(0)!r}" for what, pattern in INLINE if pattern.search(text)]
    assert found == []


# --- Cache-Control ------------------------------------------------------------------------------


def _directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.django_db
def test_a_personal_page_is_not_stored(client, worker, grid):
    resident = ResidentFactory(household__dwelling__building__grid=grid)
    client.force_login(worker)
    response = client.get(reverse("household_file", args=[resident.household_id]))
    assert resident.name in response.content.decode()
    assert {"no-store", "no-cache", "private"} <= _directives(response)


@pytest.mark.django_db
def test_a_fragment_an_export_and_a_photo_are_not_stored(client, grid, staff, worker):
    ResidentFactory(household__dwelling__building__grid=grid)
    case = case_in("dispatched", grid, staff=staff, worker=worker)
    client.force_login(worker)
    client.post(reverse("cases:attachment_add", args=[case.pk]), {"files": [_png()]})
    photo = case.attachments.get()
    responses = [
        client.get(reverse("residents:search"), headers={"HX-Request": "true"}),
        client.get(reverse("residents:ledger_export")),
        client.get(reverse("cases:attachment", args=[photo.pk])),
    ]
    assert [response.status_code for response in responses] == [200, 200, 200]
    responses[-1].close()
    for response in responses:
        assert "no-store" in _directives(response)
        assert "max-age=3600" not in response["Cache-Control"]


@pytest.mark.django_db
def test_static_files_stay_cacheable_for_a_signed_in_user(client, worker):
    client.force_login(worker)
    response = client.get("/static/css/portal.css")
    response.close()
    assert response.status_code == 200
    assert "no-store" not in _directives(response)


# --- Settings: HTTPS and the secret key (in a fresh interpreter, with only the given variables) -----

PRODUCTION = {
    # The README's production settings (tests/test_security_headers.py keeps them in step).
    "DJANGO_SECRET_KEY": "k3V9x-Qz8_pL2mN7rT4wY6uB1cD5fG0hJ9kL3zX8vC2bN6mQ4wE7rT1yU5iO9pA3sD",
    "DJANGO_ALLOWED_HOSTS": "grid.example.gov.cn",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://grid.example.gov.cn",
    "DJANGO_SECURE_COOKIES": "true",
    "DJANGO_SECURE_SSL_REDIRECT": "true",
    "DJANGO_SECURE_HSTS_SECONDS": "31536000",
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "DJANGO_SECURE_HSTS_PRELOAD": "true",
    "DJANGO_BEHIND_TLS_PROXY": "true",
}


def manage(*arguments: str, **variables: str) -> subprocess.CompletedProcess:
    environment = {"DJANGO_SETTINGS_MODULE": "portal.settings", **{k: v for k, v in variables.items() if v}}
    return subprocess.run(
        # staticfiles/ exists only after collectstatic (as in pyproject's filterwarnings).
        [sys.executable, "-W", "ignore:No directory at:UserWarning", "manage.py", *arguments],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def no_env_file():
    # Settings read .env too; a developer's values there would mix with the environment under test.
    if (BASE_DIR / ".env").exists():
        pytest.skip(".env present: its values would mix with the environment under test")


def test_check_deploy_is_clean_with_the_production_settings(no_env_file):
    # On the database production runs on (the tests' PostgreSQL): the embedded SQLite silences a warning
    # of its own (the indexes' extra columns it cannot hold, portal/settings.py).
    database = {"DATABASE_URL": os.environ.get("DATABASE_URL", "")}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, **database)
    assert (result.returncode, result.stdout.strip(), result.stderr) == (
        0,
        "System check identified no issues (0 silenced).",
        "",
    )


def test_check_deploy_warns_without_the_https_settings(no_env_file):
    variables = {
        key: value
        for key, value in PRODUCTION.items()
        if key in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS")
    }
    result = manage("check", "--deploy", **variables)
    warnings = set(re.findall(r"\(security\.(W\d+)\)", result.stderr))
    assert warnings == {"W004", "W008", "W012", "W016"}  # HSTS, SSL redirect, the two cookies


def test_the_readme_production_settings_are_those_checked(no_env_file):
    readme = (BASE_DIR / "README.md").read_text()
    section = readme[readme.index("## Running in production") :]
    for variable in PRODUCTION:
        assert re.search(rf"\b{variable}=", section), variable


@pytest.mark.parametrize(
    "database_url", ["", "postgres://app:app@127.0.0.1:5432/app"], ids=["sqlite", "postgresql"]
)
def test_runserver_refuses_to_start_without_a_key_outside_debug(no_env_file, database_url):
    # portal.wsgi's refusal is tested in tests/test_settings.py; this is the other way to serve.
    result = manage("runserver", "--noreload", "127.0.0.1:0", DATABASE_URL=database_url)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: "
        "Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=true for development)."
    )
