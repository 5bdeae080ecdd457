"""The ``hirebot`` command line: ``parse``, ``run``, ``console``, ``digest``.

Sub-commands import their heavy dependencies lazily so ``hirebot parse`` starts fast and
works even where Slack settings are absent.
"""

from __future__ import annotations

import argparse
import json
import sys

from typing import TYPE_CHECKING, Sequence

from bot.parsing import ParsedPosting, parse_posting
from bot.parsing.text import decode

if TYPE_CHECKING:
    from bot.config import Config

#: Larger pastes are cut before parsing: the posting is at the top of any page dump.
MAX_INPUT_BYTES = 4 * 1024 * 1024


def _read_input(source: str) -> str:
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


def _config() -> "Config":
    from bot.config import Config

    return Config.from_env()


def _fail(message: str) -> int:
    print(f"hirebot: {message}", file=sys.stderr)
    return 2


def cmd_run(args: argparse.Namespace) -> int:
    """Serve Slack: HTTP mode on HIREBOT_PORT, or Socket Mode with --socket."""
    import asyncio
    import logging

    from bot.config import ConfigError
    from handlers.slack.render import TemplateError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = _config()
        config.require("SLACK_BOT_TOKEN", *(["SLACK_APP_TOKEN"] if args.socket else ["SLACK_SIGNING_SECRET"]))
    except ConfigError as exc:
        return _fail(str(exc))

    async def serve() -> None:
        from handlers.app import build_app, open_services
        from handlers.transports import serve_http, serve_socket_mode

        services = await open_services(config)
        store = services.store
        app, ctx = build_app(config, services)
        await ctx.scheduler.start()  # rebuilds every scheduled job from the database, catching up
        try:
            if args.socket:
                await serve_socket_mode(app, config.app_token)
            else:
                await serve_http(app, store, config.port)
                await asyncio.Event().wait()
        finally:
            await ctx.scheduler.stop()
            await store.close()

    try:
        asyncio.run(serve())
    except TemplateError as exc:
        return _fail(str(exc))
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    """The same app in-process against a local Slack stand-in: try it with no workspace."""
    import asyncio

    from bot.config import ConfigError
    from handlers.slack.render import TemplateError
    from handlers.local.console import run_console

    try:
        config = _config()
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
        lines = asyncio.run(render())
    except (ConfigError, TemplateError) as exc:
        return _fail(str(exc))
    print("\n".join(lines))
    return 0


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
    c.set_defaults(func=cmd_console)

    d = sub.add_parser("digest", help="print a channel's weekly digest from the database (offline)")
    d.add_argument("--print", action="store_true", required=True, help="render it to the terminal")
    d.add_argument("--channel", metavar="C123", help="the channel's id (default: every opening)")
    d.add_argument("--private", action="store_true", help="as in a private channel: names for openings posted there")
    d.add_argument("--all", action="store_true", help="every opening, not only those posted in the channel")
    d.set_defaults(func=cmd_digest)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["main", "format_summary"]
