"""Development mailbox: every stored e-mail, readable in the browser (DEBUG only)."""

import base64
import html
import re

from csp.decorators import csp_replace
from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from notifications.models import OutgoingEmail

URL_RE = re.compile(r"https?://[^\s<>\"']+")
HREF_RE = re.compile(r"""href\s*=\s*["'](https?://[^"']+)["']""", re.IGNORECASE)
# Links open in a new tab: the sandboxed preview has no right to navigate itself or the page.
PREVIEW_HEAD = '<base target="_blank">'


def _require_debug() -> None:
    if not settings.DEBUG:
        raise Http404


def email_list(request: HttpRequest) -> HttpResponse:
    _require_debug()
    page = Paginator(OutgoingEmail.objects.all(), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/dev_email_list.html",
        {"title": "Boîte d'envoi de développement", "page_obj": page},
    )


# The HTML part is shown in a sandboxed srcdoc iframe, which inherits this page's policy:
# with frame-ancestors 'none' Chromium loads it but never paints it.
@csp_replace({"frame-ancestors": ["'self'"]})
def email_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_debug()
    email = get_object_or_404(OutgoingEmail, pk=pk)
    attachments = [
        {
            "filename": attachment["filename"],
            "mimetype": attachment["mimetype"],
            "size": len(base64.b64decode(attachment["content"])),
        }
        for attachment in email.attachments
    ]
    return render(
        request,
        "notifications/dev_email_detail.html",
        {
            "title": email.subject or "(sans objet)",
            "email": email,
            "links": extract_links(email),
            "attachments": attachments,
            "html_preview": PREVIEW_HEAD + email.body_html if email.body_html else "",
        },
    )


def extract_links(email: OutgoingEmail) -> list[str]:
    """The http(s) links of the text part, then those only found in the HTML part."""
    links = [match.rstrip(".,;:!?)]") for match in URL_RE.findall(email.body_text)]
    links += [html.unescape(href) for href in HREF_RE.findall(email.body_html)]
    return list(dict.fromkeys(links))
