"""Crisp's script is fetched on the first click on "Messagerie instantanée", never before."""

import copy

import pytest
from django.urls import reverse

from config.crisp import crisp_user_signature
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CRISP = "https://client.crisp.chat"


@pytest.fixture
def crisp_settings(settings):
    settings.CRISP_WEBSITE_ID = "site-de-test"
    settings.CRISP_SIGNING_KEY = "cle-de-signature"
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["script-src"].append(CRISP)
    settings.CONTENT_SECURITY_POLICY = policy
    return settings


def test_crisp_loads_on_click_with_the_signed_email(page, crisp_settings):
    requested: list[str] = []
    page.route(
        f"{CRISP}/**",
        lambda route: (
            requested.append(route.request.url),
            route.fulfill(content_type="text/javascript", body="window.crispFake = true;"),
        ),
    )
    user = UserFactory()
    page.goto(reverse("accounts:login"))
    page.locator("[name=username]").fill(user.email)
    page.locator("[name=password]").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/tableau-de-bord/")

    page.goto(reverse("pages:help"))
    page.wait_for_load_state("networkidle")
    assert requested == []

    page.get_by_role("button", name="Messagerie instantanée").click()
    page.wait_for_function("window.crispFake === true")
    assert requested == [f"{CRISP}/l.js"]
    pushed = page.evaluate("JSON.stringify(window.$crisp)")
    assert f'["set","user:email",["{user.email}","{crisp_user_signature(user.email)}"]]' in pushed
    assert page.evaluate("window.CRISP_WEBSITE_ID") == "site-de-test"
