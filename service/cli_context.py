"""What every `convier` command shares: settings and database made on first use, and the one
place where what a service refuses becomes a message and an exit code."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

from service.config import ConfigError, Settings, load_settings
from service.errors import DomainError

if TYPE_CHECKING:  # imported on first use: `convier --help` loads no database layer
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
            from service.db import Database
            from service.migrate import is_current

            if not is_current(self.settings.database_url):
                raise click.ClickException(
                    "the database schema is not up to date: run `convier db upgrade`"
                )
            self._db = Database(self.settings.database_url)
            click.get_current_context().call_on_close(self._db.dispose)
        return self._db


pass_ctx = click.make_pass_decorator(Context, ensure=True)


def refusal_lines(refusal: DomainError, command: click.Command) -> list[str]:
    """What a service refused, a line per field, each named as the command's option
    (`--rate`) when it has one, else as the data names it."""
    options = {name for param in command.params for name in param.opts if name.startswith("--")}

    def option(name: str) -> str:
        flag = "--" + name.replace("_", "-")
        return flag if flag in options else name

    if not refusal.fields:
        return [refusal.message]
    return [
        f"{', '.join(option(name) for name in names.split(', '))}: {reason}"
        for names, reason in refusal.fields.items()
    ]


class ConvierCommand(click.Command):
    """A command that ends with a message, never a traceback, when a service refuses or the
    database stays locked; the transaction has rolled back by then."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; map refusals to a message and exit code 1."""
        try:
            return super().invoke(ctx)
        except DomainError as refusal:
            raise click.ClickException("\n".join(refusal_lines(refusal, self))) from None
        except Exception as exc:
            from service.db import DatabaseBusy

            if isinstance(exc, DatabaseBusy):
                raise click.ClickException(f"the database is busy ({exc}); try again") from exc
            raise


class ConvierGroup(ConvierCommand, click.Group):
    """A group whose own callback, commands and subgroups map refusals the same way."""

    command_class = ConvierCommand
    group_class: type[click.Group] | type[type] | None = type


class LazyGroup(ConvierGroup):
    """A group that imports a command only to run it, so that `--help` answers at once: `lazy`
    maps each name to `module:attribute` and the command's one-line help."""

    group_class = ConvierGroup

    def __init__(self, *args: Any, lazy: Mapping[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command, loaded or not, by name."""
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, imported now when it is a lazy one."""
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = self.lazy[cmd_name][0].partition(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of commands with their help, without importing the lazy ones."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names))  # as click lays out its own list
        rows = []
        for name in names:
            if name in self.lazy:
                rows.append((name, self.lazy[name][1]))
            elif (command := super().get_command(ctx, name)) is not None:
                rows.append((name, command.get_short_help_str(limit=limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)
