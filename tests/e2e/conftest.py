"""Real-browser tests: Playwright driving Debian's Chromium, with axe-core checks.

No browser is downloaded: Chromium comes from `apt-get install chromium` (make test
installs it when run as root; otherwise these tests are skipped loudly).
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
AXE_SOURCE = (Path(__file__).parent / "axe.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Playwright's sync API runs an event loop in this thread; the Django ORM calls the
# tests make between browser steps are synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists() or shutil.which("chromium"):
        return
    skip = pytest.mark.skip(reason="chromium absent : tests navigateur ignorés (apt-get install chromium)")
    for item in items:
        if "e2e" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    # A phone first: the portal is used on phones more than anywhere else.
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, timezone_id="Europe/Paris")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Form pages answer 400 when a form is refused; the browser logs that, it is not a script error.
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" and "status of 400" not in msg.text else None,
    )
    page.js_errors = errors
    yield page
    context.close()


@pytest.fixture
def desk_page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}, timezone_id="Europe/Paris")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def assert_accessible(page, *, context: str = "") -> None:
    """axe-core finds no WCAG 2.1 A/AA violation on the current page."""
    page.evaluate(AXE_SOURCE)
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"]) for n in v["nodes"][:5])
        for v in result["violations"]
    ]
    assert not violations, f"Violations d'accessibilité sur {context or page.url}:\n" + "\n".join(violations)


def prove_not_robot(page) -> None:
    """Tick « Je ne suis pas un robot » (it may already be solving since the form got focus)."""
    widget = page.locator("altcha-widget .altcha")
    widget.wait_for()
    if widget.get_attribute("data-state") not in ("verifying", "verified"):
        page.locator("altcha-widget input[type=checkbox]").click()
    page.wait_for_selector("altcha-widget .altcha[data-state=verified]")


def log_in(page, url: str, email: str, password: str, *, remember: bool = False) -> None:
    page.goto(url)
    page.get_by_label("Votre e-mail").fill(email)
    page.get_by_label("Votre mot de passe").fill(password)
    if remember:
        page.get_by_label("Rester connecté").check()
    prove_not_robot(page)
    page.get_by_role("button", name="Se connecter").click()
