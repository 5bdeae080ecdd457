"""Follow-ups: time limits, reminders, notification settings, weekly digests."""

from __future__ import annotations

from bot import ids
from bot.errors import BadInput
from bot.worktime import zone
from handlers.slack.replies import is_private
from handlers.slack.outbox import digest_blocks

from . import args
from .base import Command

SLA_USAGE = "sla [OP-12|global] [stage days]"
REMIND_USAGE = "remind APP-7|OP-12 <when> [text]"
NOTIFY_USAGE = "notify [on|off|digest-only] | notify hours 09:00-18:00 [mon-fri]"
DIGEST_USAGE = "digest subscribe|unsubscribe|preview [#channel] [mon 09:00] [Europe/Berlin] [all]"


async def sla(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    target = toks[0].lower() if toks else "global"
    if target != "global" and ids.parse_op(target) is None:
        raise BadInput(f"`{toks[0]}` is not an opening id or `global`.", f"Type `/hiring {SLA_USAGE}`.")
    opening_id = None if target == "global" else ids.parse_op(target)
    ref = ids.op(opening_id) if opening_id else None
    rest = toks[1:]
    if not rest:
        limits = await cmd.ctx.followups.limits(opening_id)
        await cmd.reply("sla.j2", text="Time limits", limits=limits, ref=ref, changed=None)
        return
    if len(rest) != 2:
        raise BadInput("Give a stage and a number of working days.", "For example `/hiring sla OP-12 interview 1`.")
    limits = await cmd.ctx.followups.set_limit(cmd.user, opening_id, rest[0], rest[1])
    await cmd.reply("sla.j2", text="Time limit changed", limits=limits, ref=ref,
                    changed=f"{rest[0].lower()} is now {rest[1]} working day{'s' if rest[1] != '1' else ''}"
                            f"{' for ' + ref if ref else ' everywhere without its own limit'}.")


async def remind(cmd: Command) -> None:
    parts = cmd.rest.split(None, 1)
    if len(parts) < 2:
        raise BadInput("What and when?", f"Type `/hiring {REMIND_USAGE}`, e.g. `/hiring remind APP-7 in 2d call back`.")
    reminder = await cmd.ctx.followups.remind(cmd.user, parts[0], parts[1])
    await cmd.ctx.scheduler.rearm()
    person = await cmd.ctx.followups.person(cmd.user)
    when = reminder.due_at.astimezone(person.tz)
    moved = reminder.due_at != reminder.asked_for
    await cmd.info(f":alarm_clock: I'll remind you about *{reminder.subject}* on {when:%a %d %b at %H:%M} "
                   f"({person.tz_name}){' — the start of your next working period' if moved else ''}.",
                   "See or cancel yours with `/hiring reminders`.")


async def reminders(cmd: Command) -> None:
    person = await cmd.ctx.followups.person(cmd.user)
    mine = await cmd.ctx.followups.reminders_of(cmd.user)
    await cmd.reply("reminders.j2", text="Your reminders", reminders=mine, tz=person.tz_name)


async def notify(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    changed = None
    if not toks:
        person = await cmd.ctx.followups.person(cmd.user)
    elif toks[0].lower() == "hours":
        if len(toks) < 2:
            raise BadInput("Which hours?", "For example `/hiring notify hours 08:30-17:00 mon-fri`.")
        person = await cmd.ctx.followups.set_hours(cmd.user, toks[1], " ".join(toks[2:]) or None)
        changed = f"Working hours set to {person.hours.describe()}."
    elif len(toks) == 1:
        person = await cmd.ctx.followups.set_notify(cmd.user, toks[0])
        changed = f"Notifications are now *{person.notify}*."
    else:
        raise BadInput(f"I don't understand `{cmd.rest.strip()[:60]}`.", f"Type `/hiring {NOTIFY_USAGE}`.")
    await cmd.reply("notify.j2", text="Your notification settings", person=person, changed=changed)


async def digest(cmd: Command) -> None:
    toks = args.tokens(cmd.rest)
    action = toks[0].lower() if toks else "status"
    rest = toks[1:]
    channel = cmd.channel
    if rest and args.channel_id(rest[0]):
        channel = args.channel_id(rest[0])
        rest = rest[1:]
    if not channel:
        raise BadInput("Which channel?", f"Type `/hiring {DIGEST_USAGE}`.")
    ctx = cmd.ctx
    if action == "subscribe":
        info = await ctx.channel_info(cmd.client, channel)
        if info.get("is_im"):
            raise BadInput("Digests go to channels, not DMs.", "Type `/hiring digest subscribe #channel`.")
        private = is_private(info)
        sub = await ctx.digests.subscribe(cmd.user, channel, private, rest)
        await ctx.scheduler.rearm()
        nxt = sub.next_due(ctx.hiring.clock())
        await cmd.info(f":bar_chart: <#{channel}> gets the hiring digest {sub.describe()}"
                       f"{', for every opening' if sub.scope == 'all' else ', for openings posted there'}. "
                       f"First one: {nxt.astimezone(zone(sub.tz)):%a %d %b %H:%M}.",
                       f"See it now: `/hiring digest preview`. "
                       f"{'Candidate names are shown for openings whose card is in this private channel.' if private else 'Counts only, never candidate names: it is a public channel.'}"
                       f"{' I am not in that channel yet: `/invite @hirebot` there, or the digest cannot be posted.' if info.get('is_member') is False else ''}")
    elif action == "unsubscribe":
        await ctx.digests.unsubscribe(cmd.user, channel)
        await ctx.scheduler.rearm()
        await cmd.info(f"<#{channel}> no longer gets the weekly digest.")
    elif action == "preview":
        private = await ctx.is_private_channel(cmd.client, channel)
        sub = await ctx.digests.subscription(channel)
        result = await ctx.digests.for_channel(channel, private)
        tz = sub.tz if sub else (await ctx.followups.person(cmd.user)).tz_name
        await ctx.private_blocks(client=cmd.client, user=cmd.user, channel=cmd.channel, respond=cmd.respond,
                                 text="Digest preview", blocks=digest_blocks(
                                     ctx.renderer, result, tz, schedule=sub.describe() if sub else None, preview=True))
    elif action == "status":
        sub = await ctx.digests.subscription(channel)
        if sub:
            await cmd.info(f"<#{channel}> gets the digest {sub.describe()}.",
                           "`/hiring digest preview` · `/hiring digest unsubscribe`")
        else:
            await cmd.info(f"<#{channel}> has no weekly digest.", f"Type `/hiring {DIGEST_USAGE}`.")
    else:
        raise BadInput(f"`{action}` is not a digest command.", f"Type `/hiring {DIGEST_USAGE}`.")
