"""Helpers the tests import as modules: reading pages and PDFs, and data written through the
services or straight into the database. Fixtures live in the conftest.py of the folder that uses
them, not here."""
