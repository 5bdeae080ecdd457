"""Follow-ups: time limits, reminders, notification settings, weekly digests.

Each ``*_args`` reads what was typed and nothing else (the usage check, see ``openings.py``)."""

from __future__ import annotations

from bot import ids
from bot.errors import BadInput
from handlers.slack.cards import is_private
from handlers.slack.outbox import digest_blocks

from . import args
from .base import Command

SLA_USAGE = "sla [OP-12|global] [stage days]"
REMIND_USAGE = "remind APP-7|OP-12 <when> [text]"
NOTIFY_USAGE = "notify [on|off|digest-only] | notify hours 09:00-18:00 [mon-fri]"
DIGEST_USAGE = "digest subscribe|unsubscribe|preview [#channel] [mon 09:00] [Europe/Berlin] [all]"


def sla_args(rest: str, channel: str | None = None) -> tuple[int | None, list[str]]:
    """(opening, or None for the global limits; [] to show them, or [stage, days] to set one)."""
    toks = args.tokens(rest)
    target = toks[0].lower() if toks else "global"
    if target != "global" and ids.parse_op(target) is None:
        raise BadInput("bad_sla_target", token=toks[0], usage=SLA_USAGE)
    if toks[1:] and len(toks[1:]) != 2:
        raise BadInput("sla_what")
    return (None if target == "global" else ids.parse_op(target)), toks[1:]


async def sla(cmd: Command) -> None:
    opening_id, rest = sla_args(cmd.rest)
    ref = ids.op(opening_id) if opening_id else None
    if not rest:
        limits = await cmd.ctx.followups.sla.limits(opening_id)
        await cmd.reply("sla.j2", text="limits", limits=limits, ref=ref, changed=None)
        return
    limits = await cmd.ctx.followups.sla.set_limit(cmd.user, opening_id, rest[0], rest[1])
    await cmd.reply("sla.j2", text="limits", limits=limits, ref=ref,
                    changed={"stage": rest[0].lower(), "days": rest[1]})


def remind_args(rest: str, channel: str | None = None) -> tuple[str, str]:
    """(what: APP-7 or OP-12 as typed, when and text)."""
    parts = rest.split(None, 1)
    if len(parts) < 2:
        raise BadInput("remind_what", usage=REMIND_USAGE)
    return parts[0], parts[1]


async def remind(cmd: Command) -> None:
    reminder = await cmd.ctx.followups.reminders.remind(cmd.user, *remind_args(cmd.rest))
    person = await cmd.ctx.followups.people.person(cmd.user)
    await cmd.info("reminder_set", reminder=reminder, tz=person.tz_name, moved=reminder.due_at != reminder.asked_for)


async def reminders(cmd: Command) -> None:
    person = await cmd.ctx.followups.people.person(cmd.user)
    mine = await cmd.ctx.followups.reminders.reminders_of(cmd.user)
    await cmd.reply("reminders.j2", text="reminders", reminders=mine, tz=person.tz_name)


def notify_args(rest: str, channel: str | None = None) -> list[str]:
    """[] to show the settings, [mode], or ["hours", span, days...]."""
    toks = args.tokens(rest)
    if toks and toks[0].lower() == "hours":
        if len(toks) < 2:
            raise BadInput("hours_what")
    elif len(toks) > 1:
        raise BadInput("not_understood", text=rest.strip()[:60], usage=NOTIFY_USAGE)
    return toks


async def notify(cmd: Command) -> None:
    toks = notify_args(cmd.rest)
    changed = None
    if not toks:
        person = await cmd.ctx.followups.people.person(cmd.user)
    elif toks[0].lower() == "hours":
        person = await cmd.ctx.followups.people.set_hours(cmd.user, toks[1], " ".join(toks[2:]) or None)
        changed = "hours"
    else:
        person = await cmd.ctx.followups.people.set_notify(cmd.user, toks[0])
        changed = "notify"
    await cmd.reply("notify.j2", text="notify", person=person, changed=changed)


DIGEST_ACTIONS = frozenset({"subscribe", "unsubscribe", "preview", "status"})


def digest_args(rest: str, channel: str | None = None) -> tuple[str, str, list[str]]:
    """(action, the channel: named, else the one typed in; what follows: schedule, zone, scope)."""
    toks = args.tokens(rest)
    action = toks[0].lower() if toks else "status"
    more = toks[1:]
    if more and args.channel_id(more[0]):
        channel = args.channel_id(more[0])
        more = more[1:]
    if not channel:
        raise BadInput("which_channel", usage=DIGEST_USAGE)
    if action not in DIGEST_ACTIONS:
        raise BadInput("bad_digest_action", action=action, usage=DIGEST_USAGE)
    return action, channel, more


async def digest(cmd: Command) -> None:
    action, channel, rest = digest_args(cmd.rest, cmd.channel)
    ctx = cmd.ctx
    if action == "subscribe":
        info = await ctx.cards.channel_info(channel)
        if info.get("is_im"):
            raise BadInput("digest_in_dm")
        private = is_private(info)
        sub = await ctx.digests.subscribe(cmd.user, channel, private, rest)
        await cmd.info("digest_subscribed", channel=channel, sub=sub, private=private,
                       next_due=sub.next_due(ctx.hiring.clock()), member=info.get("is_member") is not False)
    elif action == "unsubscribe":
        await ctx.digests.unsubscribe(cmd.user, channel)
        await cmd.info("digest_unsubscribed", channel=channel)
    elif action == "preview":
        await ctx.digests.may_preview(cmd.user, channel, cmd.channel)
        private = await ctx.cards.is_private(channel)
        current = await ctx.digests.subscription(channel)
        result = await ctx.digests.for_channel(channel, private)
        tz = current.tz if current else (await ctx.followups.people.person(cmd.user)).tz_name
        await ctx.private_blocks(client=cmd.client, user=cmd.user, channel=cmd.channel, respond=cmd.respond,
                                 text="digest", blocks=digest_blocks(
                                     ctx.renderer, result, tz, schedule=current.describe() if current else None,
                                     preview=True))
    else:  # status
        await cmd.info("digest_status", channel=channel, sub=await ctx.digests.subscription(channel),
                       usage=DIGEST_USAGE)
