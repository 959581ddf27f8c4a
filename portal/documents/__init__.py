"""Documents: the archived PDFs (rendered, signed, stored once by SHA-256) and the
hash-chained publication log, shared by decisions, charter versions, minutes and outcomes; and
the public page where anyone checks a copy (/verify). Its routes live in views.py, imported by
create_app() when it registers the blueprint."""

from flask import Blueprint

bp = Blueprint("documents", __name__)
