"""The test suite, a package: test modules and conftests are imported by their full names
(tests.feedback.conftest, tests.helpers.pages), so two folders may hold files of the same name,
and helpers are imported as modules (`from tests.helpers.pages import ENGLISH`)."""
