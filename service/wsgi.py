"""WSGI entry point: `gunicorn service.wsgi:app`; the web process logs as LOG_FORMAT says."""

from service import create_app
from service.error_reports import init_error_reports
from service.logs import configure_logging

app = create_app()
settings = app.extensions["convier.settings"]
configure_logging(settings.log_format, settings.log_level)
init_error_reports(settings)
