"""Small HTML helpers for the page tests."""

import re
from html import unescape


def page_title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.DOTALL)
    assert match, "no <title>"
    return " ".join(unescape(match.group(1)).split())


def h1_texts(html: str) -> list[str]:
    return [
        " ".join(unescape(re.sub(r"<[^>]+>", "", text)).split())
        for text in re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.DOTALL)
    ]


def csp_nonce(response) -> str:
    match = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert match, "no nonce in the Content-Security-Policy header"
    return match.group(1)


def script_tags(html: str) -> list[str]:
    return re.findall(r"<script\b[^>]*>", html)
