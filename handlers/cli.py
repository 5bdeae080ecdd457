"""The ``hirebot`` command line: ``parse``, ``run``, ``console``, ``digest``, ``backup``, ``restore``, ``db``.

Sub-commands import their heavy dependencies lazily so ``hirebot parse`` starts fast and
works even where Slack settings are absent.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Config
    from bot.parsing import ParsedPosting

#: Larger pastes are cut before parsing: the posting is at the top of any page dump.
MAX_INPUT_BYTES = 4 * 1024 * 1024


def _read_input(source: str) -> str:
    from bot.parsing.text import decode

    if source == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES)
    else:
        with open(source, "rb") as fh:
            data = fh.read(MAX_INPUT_BYTES)
    return decode(data)


def format_summary(p: ParsedPosting) -> str:
    """A readable, terminal-friendly view of a parsed posting."""
    def show(value: object) -> str:
        if value is None or value == [] or value == "":
            return "—"
        if isinstance(value, list):
            return ", ".join(map(str, value))
        return str(value)

    pay = "—"
    if p.salary:
        s = p.salary
        lo, hi = s.get("min"), s.get("max")
        span = f"{lo:,}" if lo == hi or hi is None else (f"up to {hi:,}" if lo is None else f"{lo:,} – {hi:,}")
        pay = f"{span} {s.get('currency') or ''} per {s.get('period') or '?'}".strip()
    rows = [
        ("Title", show(p.title)), ("Company", show(p.company)), ("Team", show(p.team)),
        ("Locations", show(p.locations)), ("Workplace", show(p.workplace)),
        ("Employment", show(p.employment_type)), ("Seniority", show(p.seniority)),
        ("Min. years", show(p.min_years_experience)), ("Education", show(p.education)),
        ("Languages", show(p.languages)), ("Salary", pay),
        ("Background check", "yes" if p.background_check else "no"),
    ]
    out = [f"{k + ':':18} {v}" for k, v in rows]
    for heading, items in (("Responsibilities", p.responsibilities), ("Requirements", p.requirements),
                           ("Nice to have", p.nice_to_have)):
        out.append("")
        out.append(f"{heading} ({len(items)})")
        out.extend(f"  • {item}" for item in items)
    return "\n".join(out)


def cmd_parse(args: argparse.Namespace) -> int:
    from bot.parsing import parse_posting  # imported here so backup/restore/db never depend on the parser

    try:
        text = _read_input(args.file)
    except OSError as exc:
        print(f"hirebot parse: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    parsed = parse_posting(text)
    if args.json:
        print(json.dumps(parsed.to_dict(), ensure_ascii=False))
    else:
        print(format_summary(parsed))
    return 0


def _config() -> Config:
    from bot.config import Config

    return Config.from_env()


def _fail(message: str) -> int:
    print(f"hirebot: {message}", file=sys.stderr)
    return 2


def _missing_db_dir(db_path: str) -> str | None:
    """The one line for a database whose directory does not exist (SQLite would say only "unable
    to open database file", and ``Store`` would create the directory: a typo'd HIREBOT_DB must not
    quietly start an empty database somewhere new). None when the directory is there."""
    import os

    if db_path == ":memory:" or db_path.startswith("file:"):
        return None
    directory = os.path.dirname(os.path.abspath(db_path))
    if os.path.isdir(directory):
        return None
    return f"the database directory {directory} does not exist"


class _BoltTokenNotice:
    """Drops one bolt warning hirebot cannot avoid from outside ``build_app``.

    ``AsyncApp(client=…)`` still reads ``SLACK_BOT_TOKEN`` from the environment and, finding
    both, warns "As you gave `client` as well, `token` will be unused" on every start. The
    client *is* built from that same token, so the warning is noise that makes operators look
    for a misconfiguration. Every other bolt message passes.
    """

    def filter(self, record: object) -> bool:
        import logging

        return not (isinstance(record, logging.LogRecord) and "token` will be unused" in record.getMessage())


def _quiet_bolt() -> None:
    import logging

    bolt = logging.getLogger("hirebot.bolt")
    if not any(isinstance(f, _BoltTokenNotice) for f in bolt.filters):
        bolt.addFilter(_BoltTokenNotice())


class _Stop(Exception):
    """Start-up cannot go on; the message is the one line to print."""


async def _check_token(config: Config) -> None:
    """``auth.test`` before serving: a refused token stops start-up with one line, rather than
    the first command waiting for bolt's retries and answering 500."""
    import asyncio

    from slack_sdk.errors import SlackApiError

    from handlers.app import make_client

    client = make_client(config)
    client.retry_handlers.clear()  # one answer is enough here: no 2.6 s of retries at start
    try:
        await asyncio.wait_for(client.auth_test(), 15)
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        raise _Stop(f"Slack refused SLACK_BOT_TOKEN (auth.test: {error or exc.response.status_code}); "
                    "copy the Bot User OAuth Token (xoxb-…) again") from None
    except (TimeoutError, OSError) as exc:
        raise _Stop(f"cannot reach Slack at {config.api_url} to check SLACK_BOT_TOKEN "
                    f"({type(exc).__name__}: {exc or 'timed out'})") from None


def cmd_run(args: argparse.Namespace) -> int:
    """Serve Slack: HTTP mode on HIREBOT_PORT, or Socket Mode with --socket."""
    import asyncio

    from bot.config import ConfigError
    from handlers.ops.logs import setup as setup_logging
    from handlers.slack.render import TemplateError

    try:
        setup_logging()  # HIREBOT_LOG_FORMAT=json: one JSON object per line, with request ids
    except ValueError as exc:
        return _fail(str(exc))
    try:
        config = _config()
        config.require("SLACK_BOT_TOKEN", *(["SLACK_APP_TOKEN"] if args.socket else ["SLACK_SIGNING_SECRET"]))
    except ConfigError as exc:
        return _fail(str(exc))
    if config.sqlite_file and (problem := _missing_db_dir(config.sqlite_file)):
        return _fail(problem)
    _quiet_bolt()

    async def main() -> None:
        import signal

        from slack_sdk.errors import SlackApiError

        from handlers.app import build_app, open_services
        from handlers.transports import serve, settle_heap

        await _check_token(config)
        services = await open_services(config)
        app, ctx = build_app(config, services)
        settle_heap()
        # SIGTERM (systemctl stop, docker stop) and SIGINT end the serving, so the finally runs: the
        # scheduler finishes a run in progress and the database is closed cleanly. Installed before
        # listening: a stop during the catch-up is a clean stop too.
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        try:
            # Listens first; the scheduler's catch-up and the inbox resume run after (see serve).
            await serve(app, ctx, services.store, port=config.port, stopping=stopping,
                        app_token=config.app_token if args.socket else None)
        except SlackApiError as exc:  # only Socket Mode's connection raises here
            error = exc.response.get("error") if exc.response is not None else None
            raise _Stop(f"Slack refused SLACK_APP_TOKEN (apps.connections.open: {error}); create an "
                        "app-level token with connections:write and copy it again") from None
        finally:
            await services.store.close()

    try:
        asyncio.run(main())
    except (TemplateError, _Stop) as exc:
        return _fail(str(exc))
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    """The same app in-process against a local Slack stand-in: try it with no workspace."""
    import asyncio

    from bot.config import ConfigError
    from handlers.local.console import DEFAULT_DB, run_console
    from handlers.slack.render import TemplateError

    try:
        # The console's own database, never HIREBOT_DB: a trial (and its clock, moved by
        # :advance) must not write into a deployment's data. --db names another file.
        config = _config().with_(db_path=args.db or DEFAULT_DB, database_url=None)
        if problem := _missing_db_dir(config.db_path):  # --db in a typo'd directory: say so, create nothing
            return _fail(problem)
        _quiet_bolt()
        asyncio.run(run_console(config, args.as_user))
    except (ConfigError, TemplateError) as exc:
        return _fail(str(exc))
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    """Render a channel's weekly digest from the database to the terminal; no Slack needed."""
    import asyncio

    from bot.config import ConfigError
    from handlers.slack.render import TemplateError

    if not args.print:
        return _fail("digest: only --print is supported here; schedule digests in Slack with /hiring digest subscribe")

    async def render() -> list[str]:
        from handlers.app import open_services
        from handlers.local.console import Buttons, render_blocks
        from handlers.local.fake_slack import Call
        from handlers.slack.outbox import digest_blocks

        services = await open_services(config)
        try:
            sub = await services.digests.subscription(args.channel) if args.channel else None
            private = args.private or bool(sub and sub.private_channel)
            scope = "all" if args.all or not args.channel else (sub.scope if sub else "channel")
            digest = await services.digests.build(args.channel, private, scope)
            blocks = digest_blocks(services.renderer, digest, sub.tz if sub else config.tz,
                                   schedule=sub.describe() if sub else None)
        finally:
            await services.store.close()
        return render_blocks(blocks, Buttons(), Call("digest", {}))

    try:
        config = _config()
        if config.sqlite_file and (problem := _missing_db_dir(config.sqlite_file)):
            return _fail(problem)
        lines = asyncio.run(render())
    except (ConfigError, TemplateError) as exc:
        return _fail(str(exc))
    print("\n".join(lines))
    return 0


def _db_path() -> str:
    """The SQLite file (HIREBOT_DB, or a sqlite HIREBOT_DATABASE_URL), without requiring any Slack
    setting. Backups, restores and ``db status`` read the file itself; on PostgreSQL they say to use
    PostgreSQL's own tools."""
    from bot.config import ConfigError

    file = _config().sqlite_file
    if file is None:
        raise ConfigError("HIREBOT_DATABASE_URL is PostgreSQL: back it up and restore it with pg_dump and "
                          "pg_restore; `hirebot db migrate` and `hirebot run` migrate it")
    return file


def cmd_backup(args: argparse.Namespace) -> int:
    """A consistent copy of the live database, taken while the bot keeps running."""
    from bot.config import ConfigError
    from bot.storage.backup import BackupError, backup

    try:
        db = _db_path()
        if problem := _missing_db_dir(db):
            return _fail(problem)
        result = backup(db, args.path, keep=args.keep)
    except (ConfigError, BackupError) as exc:
        return _fail(str(exc))
    print(f"backed up {result.source} to {result.path}: {result.checked.summary}, {result.seconds:.2f} s")
    for old in result.pruned:
        print(f"removed old backup {old}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Check a backup, then restore it over HIREBOT_DB (keeping the current file aside)."""
    from bot.config import ConfigError
    from bot.storage.backup import SCHEMA_VERSION, BackupError, check, restore

    try:
        db = _db_path()
        checked = check(args.path)
        print(f"{args.path}: integrity ok, {checked.summary}")
        if args.check:
            return 0
        result = restore(args.path, db)
    except (ConfigError, BackupError) as exc:
        return _fail(str(exc))
    if result.previous:
        print(f"the previous database is kept at {result.previous}")
    print(f"restored into {result.path}: {result.checked.summary}")
    if result.checked.schema_version < SCHEMA_VERSION:
        print(f"schema v{result.checked.schema_version} will be migrated to v{SCHEMA_VERSION} when hirebot starts")
    print("restart hirebot so its scheduler is rebuilt from the restored database")
    return 0


def _migrate_postgres() -> int:
    """``db migrate`` on PostgreSQL: apply the missing revisions (as every replica does at start-up)."""
    import asyncio

    from bot.storage import Store
    from bot.storage.schema import revisions

    store = Store(_config().database)

    async def migrate() -> None:
        await store.open()
        await store.close()

    asyncio.run(migrate())
    print(f"{store.describe()}: schema v{len(revisions())}, up to date")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    """``db status``: where the database is, its schema version, sizes, rows; ``db migrate``."""
    from bot.config import ConfigError
    from bot.storage.backup import SCHEMA_VERSION, schema_version, status

    try:
        if args.action == "migrate" and _config().sqlite_file is None:
            return _migrate_postgres()
        db = _db_path()
        # ``db migrate`` is how a new database is made on purpose, so it may create the directory
        # (and says so); ``db status`` only looks, and a directory that is not there is a typo.
        if (problem := _missing_db_dir(db)) and args.action != "migrate":
            return _fail(problem)
        if problem:
            import os

            os.makedirs(os.path.dirname(os.path.abspath(db)), exist_ok=True)
            print(f"created the directory {os.path.dirname(os.path.abspath(db))}")
        if args.action == "migrate":
            import asyncio

            from bot.storage import Store

            before = schema_version(db)
            if before is not None and before > SCHEMA_VERSION:
                return _fail(f"{db}: schema v{before} is newer than this hirebot (v{SCHEMA_VERSION})")

            async def migrate() -> None:
                store = await Store(db).open()  # applies pending migrations, each in its own transaction
                await store.close()

            asyncio.run(migrate())
            print(f"{db}: schema v{before or 0} → v{SCHEMA_VERSION}" if before != SCHEMA_VERSION
                  else f"{db}: schema v{SCHEMA_VERSION}, already up to date")
            return 0
        st = status(db, integrity=args.check)
    except ConfigError as exc:
        return _fail(str(exc))
    if args.json:
        print(json.dumps(st.as_dict()))
        return 0
    print(f"database:  {st.path}")
    print(f"schema:    v{st.schema_version} (this hirebot: v{st.code_version}): {st.state}" if st.exists
          else f"schema:    {st.state}")
    if st.exists:
        print(f"size:      {st.size_bytes:,} bytes (+ {st.wal_bytes:,} in the WAL), journal {st.journal_mode}")
        if st.integrity is not None:
            print(f"integrity: {st.integrity}")
        if st.pending_reminders is not None:
            print(f"reminders: {st.pending_reminders} pending")
        print("rows:      " + ", ".join(f"{t} {n:,}" for t, n in st.rows.items()))
    return 0 if st.exists and st.schema_version == st.code_version and st.integrity in (None, "ok") else 1


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="hirebot", description="A Slack bot for team hiring pipelines.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("parse", help="parse a job posting file (or - for stdin) and print what was found")
    p.add_argument("file", help="path of a text file with the posting, or - to read stdin")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
    p.set_defaults(func=cmd_parse)

    r = sub.add_parser("run", help="serve the Slack app (HTTP on HIREBOT_PORT, or --socket for Socket Mode)")
    r.add_argument("--socket", action="store_true", help="use Socket Mode with SLACK_APP_TOKEN")
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("console", help="try hirebot locally: type /hiring commands, see what Slack would show")
    c.add_argument("--as", dest="as_user", default="you", metavar="USER", help="who is typing (default: you)")
    c.add_argument("--db", metavar="PATH", help="its own SQLite file (default: hirebot-console.db here; "
                   "HIREBOT_DB is never used, so a trial cannot touch a deployment's data)")
    c.set_defaults(func=cmd_console)

    d = sub.add_parser("digest", help="print a channel's weekly digest from the database (offline)")
    d.add_argument("--print", action="store_true", required=True, help="render it to the terminal")
    d.add_argument("--channel", metavar="C123", help="the channel's id (default: every opening)")
    d.add_argument("--private", action="store_true", help="as in a private channel: names for openings posted there")
    d.add_argument("--all", action="store_true", help="every opening, not only those posted in the channel")
    d.set_defaults(func=cmd_digest)

    b = sub.add_parser("backup", help="copy the live database (HIREBOT_DB) consistently, while hirebot runs")
    b.add_argument("path", help="the backup file, or a directory for a time-stamped hirebot-YYYYmmddTHHMMSSZ.db")
    b.add_argument("--keep", type=int, metavar="N", help="with a directory: keep only the newest N backups there")
    b.set_defaults(func=cmd_backup)

    rs = sub.add_parser("restore", help="check a backup (integrity, schema version), then restore it to HIREBOT_DB")
    rs.add_argument("path", help="a file written by hirebot backup")
    rs.add_argument("--check", action="store_true", help="only check the backup; change nothing")
    rs.set_defaults(func=cmd_restore)

    db = sub.add_parser("db", help="the database: status (schema version, sizes, rows) or migrate")
    db.add_argument("action", choices=["status", "migrate"])
    db.add_argument("--json", action="store_true", help="status as one JSON object")
    db.add_argument("--check", action="store_true", help="status: also run PRAGMA integrity_check")
    db.set_defaults(func=cmd_db)
    return ap


#: Exit status when the reader of our output went away (``hirebot parse … | head``): what a
#: shell reports for a process ended by SIGPIPE (128 + 13), as ``cat`` or ``yes`` would.
EXIT_BROKEN_PIPE = 141


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a broken pipe on the last buffered lines shows up here, not at exit
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Nobody reads any more: say nothing, and point stdout at /dev/null so the interpreter's
        # own flush at exit does not print "Exception ignored … BrokenPipeError" either.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["format_summary", "main"]
