"""Email through Django's email backend (EMAIL_URL): an HTML and a text part with the approve/decline links."""

from __future__ import annotations

import json
import smtplib

from django.conf import settings as django_settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from apps.notifications.channels.base import ApprovalNotice, DeliveryResult, Recipient


def message(notice: ApprovalNotice, *, to: str) -> EmailMultiAlternatives:
    arguments = [
        (name, value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False, default=str))
        for name, value in sorted(notice.arguments.items())
    ]
    context = {"notice": notice, "arguments": arguments, "preloop_url": django_settings.PRELOOP_URL}
    text = render_to_string("notifications/email/approval_request.txt", context)
    html = render_to_string("notifications/email/approval_request.html", context)
    email = EmailMultiAlternatives(
        subject=f"[Preloop] {notice.title}", body=text, from_email=django_settings.DEFAULT_FROM_EMAIL, to=[to]
    )
    email.attach_alternative(html, "text/html")
    # One thread per request in mail clients, and no auto-replies to a notification.
    email.extra_headers["X-Preloop-Request-Id"] = notice.request_id
    email.extra_headers["Auto-Submitted"] = "auto-generated"
    return email


def send(*, notice: ApprovalNotice, recipient: Recipient, settings, delivery_id: str = "") -> DeliveryResult:
    to = settings.email_address or recipient.email
    if not to:
        return DeliveryResult.skipped("no email address")
    try:
        message(notice, to=to).send(fail_silently=False)
    except smtplib.SMTPResponseException as error:
        return DeliveryResult.failed(f"SMTP {error.smtp_code}: {error.smtp_error!r}", response_status=error.smtp_code)
    except (smtplib.SMTPException, OSError) as error:
        return DeliveryResult.failed(f"{type(error).__name__}: {error}")
    return DeliveryResult.sent()
