"""The layout's own links (the header's, the footer's, the stylesheet and scripts) are built once
per application root and reused (web.template_url_for): they must be what url_for gives, and
follow the address the portal is served under."""

import re

from flask import url_for


def links(page: str) -> set[str]:
    return set(re.findall(r'(?:href|src)="([^"#]+)"', page))


def test_the_layout_links_what_url_for_builds(client, app):
    page = client.get("/terms").get_data(as_text=True)

    with app.test_request_context("/terms"):
        expected = {
            url_for("pages.home"),
            url_for("schools.index"),
            url_for("decisions.index"),
            url_for("consultations.index"),
            url_for("search.index"),
            url_for("pages.privacy"),
            url_for("pages.terms"),
            url_for("accounts.register"),
            url_for("static", filename="css/portal.css"),
            url_for("static", filename="js/portal.js"),
        }
    assert expected <= links(page)
    assert "/static/css/portal.css" not in links(page)  # the fingerprinted name, not the plain one


def test_served_under_a_prefix_the_layout_links_under_it_and_at_the_root_again_without(client):
    at_root = links(client.get("/terms").get_data(as_text=True))
    under_prefix = links(client.get("/terms", base_url="https://portal.test/portal/").get_data(as_text=True))
    at_root_again = links(client.get("/terms").get_data(as_text=True))

    assert "/schools" in at_root and "/portal/schools" not in at_root
    assert "/portal/schools" in under_prefix and "/schools" not in under_prefix
    stylesheets = [link for link in under_prefix if link.endswith(".css")]
    assert stylesheets and all(link.startswith("/portal/static/css/portal.") for link in stylesheets)
    assert at_root_again == at_root


def test_links_with_values_are_built_for_each_page(client):
    terms = client.get("/terms").get_data(as_text=True)
    privacy = client.get("/privacy").get_data(as_text=True)

    assert "/login?next=/terms" in terms.replace("%2F", "/")
    assert "/login?next=/privacy" in privacy.replace("%2F", "/")
