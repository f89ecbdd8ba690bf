"""Browser tests: Playwright driving Debian's Chromium against the live test server."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def check_a11y():
    """Runs axe-core on the page in light and dark themes; fails on any violation."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def run(page, name: str) -> None:
        for scheme in ("light", "dark"):
            page.evaluate(
                "scheme => document.documentElement.setAttribute('data-fr-theme', scheme)", scheme
            )
            page.evaluate(
                "scheme => document.documentElement.setAttribute('data-fr-scheme', scheme)", scheme
            )
            results = axe.run(page)
            if os.environ.get("SCREENSHOTS"):
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=ARTIFACTS / f"{name}-{scheme}.png", full_page=True)
            assert results.violations_count == 0, f"{name} ({scheme}):\n{results.generate_report()}"

    return run
