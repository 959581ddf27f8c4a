"""Pages of accounts and mail that no journey visits, checked with axe-core (WCAG 2.1 A and AA)
in Chinese and English: a person's sessions (/me/sessions), a mail's unsubscribe link (valid,
and forged), the commission's mail queue with a failed mail in it (/oversight/mail), the page
of a broken or expired link (accounts/link_problem.html), and a consultation's response form
filled from what the person started ("We kept what you started", with its discard button)."""

import pytest
from sqlalchemy import select

from portal import policy
from portal.accounts.models import User
from portal.clock import utcnow
from portal.consultations import responses as response_services
from portal.consultations.models import Consultation, Phase
from portal.extensions import db
from portal.notifications import mail
from portal.notifications.models import Kind, Mail, MailStatus

pytestmark = pytest.mark.browser

PARENT, ADMIN = "parent@example.org", "admin@example.org"


@pytest.fixture(scope="module")
def addresses(live_server):
    """The parent's unsubscribe link, a mail that failed for good in the queue, and a response the
    parent started on an open consultation, made once."""
    with live_server.app.app_context():
        parent = db.session.scalar(select(User).where(User.email == PARENT))
        token = mail.unsubscribe_token(parent.id, Kind.FEEDBACK)
        unanswered = next(
            c
            for c in db.session.scalars(select(Consultation).order_by(Consultation.id))
            if c.phase(utcnow()) == Phase.OPEN
            and policy.can(parent, "respond", c)
            and response_services.response_of(c, parent) is None
        )
        response_services.keep_draft(parent, unanswered, {"stance": "neutral", "body": "我还在考虑，周末再写完。"})
        consultation_address = f"/consultations/{unanswered.id}"
        db.session.add(
            Mail(
                to_address="nobody@invalid.example",
                subject="测试：退信",
                text_body="您好。",
                html_body="<p>您好。</p>",
                status=MailStatus.FAILED,
                attempts=8,
                last_error="SMTPRecipientsRefused: 550 5.1.1 No such user here",
            )
        )
        db.session.commit()
        db.session.remove()
    return {
        "unsubscribe": f"/unsubscribe/{token}",
        "forged": f"/unsubscribe/{token[:-4]}AAAA",
        "consultation": consultation_address,
    }


@pytest.mark.parametrize("language", ["zh", "en"])
def test_account_and_mail_pages_have_no_accessibility_violations(
    new_page, log_in, check_accessibility, demo_password, addresses, language
):
    visitor = new_page(language)
    for name, address, status in [
        ("unsubscribe", addresses["unsubscribe"], 200),
        ("unsubscribe-forged", addresses["forged"], 400),
        ("link-problem", "/register/complete/not-a-real-link", None),
    ]:
        answer = visitor.goto(address)
        if status is not None:
            assert answer.status == status
        check_accessibility(visitor, f"axe-{name}-{language}")
    assert visitor.locator("main").get_by_role("link").count() >= 1  # the broken link's page offers a way on

    parent = new_page(language)
    log_in(parent, PARENT, demo_password)
    assert parent.goto("/me/sessions").status == 200
    check_accessibility(parent, f"axe-sessions-{language}")
    parent.goto(addresses["consultation"])
    assert parent.locator("#draft-notice").is_visible()
    assert parent.locator("#body").input_value() == "我还在考虑，周末再写完。"
    check_accessibility(parent, f"axe-unfinished-response-{language}")

    admin = new_page(language)
    log_in(admin, ADMIN, demo_password)
    assert admin.goto("/oversight/mail").status == 200
    assert admin.get_by_text("nobody@invalid.example").count() >= 1
    check_accessibility(admin, f"axe-mail-queue-{language}")
