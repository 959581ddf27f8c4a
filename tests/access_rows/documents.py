"""Access rows for verifying a document: a public page anyone may use, with or without an
account. Posting nothing is a form with a message (422) for everyone. The portal's signing
certificates (/log/certificates) are public too."""

from tests.access_rows import everyone, url_arguments


def arguments(school, other_school):
    return url_arguments("pages.verify", "pages.signing_certificates")


EXPECTED = {
    "pages.verify": everyone(200),
    "pages.signing_certificates": everyone(200),
}

EXPECTED_POST = {
    "pages.verify": everyone(422),
}
