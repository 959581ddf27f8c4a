"""Access rows for verifying a document: a public page anyone may use, with or without an
account. Posting nothing is a form with a message (422) for everyone."""

from access_rows import everyone

EXPECTED = {
    "pages.verify": everyone(200),
}

EXPECTED_POST = {
    "pages.verify": everyone(422),
}
