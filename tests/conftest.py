import os
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django_scopes import scopes_disabled

from ribambelle.tenancy.roles import Role

from .factories import FamilyUserFactory, MembershipFactory, OrganisationFactory, UserFactory
from .mailserver import mail_server  # noqa: F401 - a real SMTP server, for every test module


@dataclass
class Tenant:
    """One organisation with an administrator, an agent, two families and an outsider."""

    organisation: object
    admin: object
    agent: object
    family_user: object
    other_family_user: object
    outsider: object  # a login of this organisation with no staff role and no family

    def url(self, path: str = "") -> str:
        return f"/{self.organisation.slug}/{path}"


def make_tenant(name: str, slug: str) -> Tenant:
    organisation = OrganisationFactory(name=name, slug=slug)
    return Tenant(
        organisation=organisation,
        admin=MembershipFactory(
            organisation=organisation, role=Role.ADMINISTRATOR, user__email=f"admin@{slug}.example"
        ).user,
        agent=MembershipFactory(organisation=organisation, role=Role.AGENT, user__email=f"agent@{slug}.example").user,
        family_user=FamilyUserFactory(organisation=organisation, email=f"parent@{slug}.example"),
        other_family_user=FamilyUserFactory(organisation=organisation, email=f"voisin@{slug}.example"),
        outsider=UserFactory(organisation=organisation, email=f"inconnu@{slug}.example"),
    )


@pytest.fixture
def tenant_a(db) -> Tenant:
    return make_tenant("Communauté de communes A", "cc-a")


@pytest.fixture
def tenant_b(db) -> Tenant:
    return make_tenant("Communauté de communes B", "cc-b")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend="ribambelle.accounts.backends.OrganisationEmailBackend")
    return client


@pytest.fixture
def login():
    return client_for


@pytest.fixture(autouse=True)
def _scopes_disabled_in_tests():
    """Test bodies, factories and fixtures run with organisation scopes disabled, visibly: they
    build and inspect several organisations at once. Requests made with the test client still
    run scoped, because the middleware's `scope(organisation=…)` re-enables scoping inside
    this block (tests/test_scoping.py proves that nesting). A test that wants scoping on for
    direct calls enters `scope(organisation=…)` itself."""
    with scopes_disabled():
        yield


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploaded files go to a throw-away folder, never to var/protected."""
    settings.MEDIA_ROOT = tmp_path / "protected"


def page_text(response) -> str:
    """The response body with HTML entities decoded, to match French text with apostrophes."""
    import html

    return html.unescape(response.content.decode())


def robot_proof() -> str:
    """A real ALTCHA solution, as the browser widget would send it."""
    from ribambelle.core.robot import new_challenge, solve_for_tests

    return solve_for_tests(new_challenge())


def login_data(email: str, password: str, **extra) -> dict:
    return {"email": email, "password": password, "robot": robot_proof(), **extra}


@pytest.fixture(autouse=True)
def _test_today():
    """`RIBAMBELLE_TEST_TODAY=2028-02-29 pytest` runs every test on that day (10:00 in Paris, or
    the time given: 2027-07-14T23:30), the clock ticking, so no result depends on the day the
    suite happens to run: holidays, weekends, 29 February, the end of a month or of a year."""
    when = os.environ.get("RIBAMBELLE_TEST_TODAY")
    if not when:
        yield
        return
    moment = datetime.fromisoformat(when if "T" in when else f"{when}T10:00")
    with time_machine.travel(moment.replace(tzinfo=ZoneInfo("Europe/Paris")), tick=True):
        yield
