"""The WSGI entry point: `flask --app app run`, or `gunicorn app:app` in production."""

from portal import create_app

app = create_app()
