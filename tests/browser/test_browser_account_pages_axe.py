"""Pages of accounts and mail that no journey visits, checked with axe-core (WCAG 2.1 A and AA)
in Chinese and English: a person's sessions (/me/sessions), a mail's unsubscribe link (valid,
and forged), the commission's mail queue with a failed mail in it (/oversight/mail), and the
page of a broken or expired link (accounts/link_problem.html)."""

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db
from portal.notifications import mail
from portal.notifications.models import Kind, Mail, MailStatus

pytestmark = pytest.mark.browser

PARENT, ADMIN = "parent@example.org", "admin@example.org"


@pytest.fixture(scope="module")
def addresses(live_server):
    """The parent's unsubscribe link, and a mail that failed for good in the queue, made once."""
    with live_server.app.app_context():
        parent = db.session.scalar(select(User).where(User.email == PARENT))
        token = mail.unsubscribe_token(parent.id, Kind.FEEDBACK)
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
    return {"unsubscribe": f"/unsubscribe/{token}", "forged": f"/unsubscribe/{token[:-4]}AAAA"}


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

    admin = new_page(language)
    log_in(admin, ADMIN, demo_password)
    assert admin.goto("/oversight/mail").status == 200
    assert admin.get_by_text("nobody@invalid.example").count() >= 1
    check_accessibility(admin, f"axe-mail-queue-{language}")
