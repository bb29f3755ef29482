"""What every `convier` command shares: settings and database, made on first use."""

from __future__ import annotations

import click

from service.config import ConfigError, Settings, load_settings
from service.db import Database


class Context:
    """Settings and database, made on first use so that `--help` needs neither."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._db: Database | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings()
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from exc
        return self._settings

    @property
    def db(self) -> Database:
        if self._db is None:
            from service.migrate import is_current

            if not is_current(self.settings.database_url):
                raise click.ClickException(
                    "the database schema is not up to date: run `convier db upgrade`"
                )
            self._db = Database(self.settings.database_url)
            click.get_current_context().call_on_close(self._db.dispose)
        return self._db


pass_ctx = click.make_pass_decorator(Context, ensure=True)
