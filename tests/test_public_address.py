"""The portal answers only for its public address (PORTAL_PUBLIC_URL's host, Flask's
TRUSTED_HOSTS): a request with another Host header gets a plain 400 page, so nothing a client
sends as Host can reach a link, a redirect or a cache."""

import pytest

from portal import create_app


@pytest.mark.parametrize("host", ["evil.example", "evil.example:443", "portal.test.evil.example", "127.0.0.1"])
@pytest.mark.parametrize("address", ["/", "/healthz", "/feeds/decisions.atom", "/no-such-page"])
def test_a_request_for_another_host_is_refused_with_a_plain_400_page(client, host, address):
    response = client.get(address, headers={"Host": host})

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = response.get_data(as_text=True)
    assert "此地址不属于本平台" in page and "This address does not belong to the portal" in page
    assert host.split(":")[0] not in page


def test_a_form_posted_with_another_host_is_refused_before_anything_is_read(client):
    response = client.post("/login", data={"email": "a@example.org", "password": "x"}, headers={"Host": "evil.example"})

    assert response.status_code == 400


def test_the_public_host_is_answered_on_any_port(client):
    assert client.get("/", headers={"Host": "portal.test:8443"}).status_code == 200


def test_a_forwarded_host_from_a_proxy_is_checked_as_well():
    app = create_app({"TESTING": True, "PORTAL_PUBLIC_URL": "https://portal.test", "PORTAL_PROXY_COUNT": 1})
    response = app.test_client().get(
        "/healthz", headers={"Host": "portal.test", "X-Forwarded-Host": "evil.example"}, base_url="https://portal.test"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("public_url", "extra", "trusted"),
    [
        ("https://jiaoyu.cq.example", [], ["jiaoyu.cq.example"]),
        ("https://jiaoyu.cq.example:8443/portal", ["10.0.0.5"], ["jiaoyu.cq.example", "10.0.0.5"]),
        ("http://127.0.0.1:5000", [], ["127.0.0.1", "localhost", "::1", "[::1]"]),
    ],
)
def test_trusted_hosts_come_from_the_public_address_and_the_listed_names(public_url, extra, trusted):
    app = create_app({"PORTAL_PUBLIC_URL": public_url, "PORTAL_TRUSTED_HOSTS": extra})

    assert app.config["TRUSTED_HOSTS"] == trusted


def test_trusted_hosts_set_explicitly_are_kept():
    app = create_app({"PORTAL_PUBLIC_URL": "https://portal.test", "TRUSTED_HOSTS": [".portal.test"]})

    assert app.config["TRUSTED_HOSTS"] == [".portal.test"]
