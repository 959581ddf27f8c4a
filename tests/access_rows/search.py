"""Access rows for search: public, for everyone."""

from tests.access_rows import everyone, url_arguments


def arguments(school, other_school):
    return url_arguments("search.index")


EXPECTED = {"search.index": everyone(200)}
