"""What the domain needs from the outside world, as protocols the adapters implement.

``handlers/slack`` implements them on the Slack Web API and ``tests`` with plain objects, so
a workflow such as publishing can be tested with a card port that fails.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .model import Opening
from .parsing import ParsedPosting

if TYPE_CHECKING:
    from .digests import Digest, DueDigest
    from .followups import NudgeBatch, Reminder

#: A sender's check right before it posts a claimed job (see :mod:`bot.leases`): True while the
#: job is still this replica's (its claim renewed) and its delivery not recorded; False means
#: "do not send: another replica has it, or it went out already".
StillOurs = Callable[[], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class PostedCard:
    """Where an opening's card landed."""

    channel_id: str
    ts: str
    permalink: str | None = None


class Cards(Protocol):
    """An opening's card in a channel: post it once, then keep it current."""

    async def post(self, op: Opening, channel_id: str) -> PostedCard:
        """Post the card; raise :class:`bot.errors.DeliveryFailed` when the channel refuses it."""
        ...

    async def update(self, op: Opening) -> None:
        """Redraw a posted card (counts, status). Failures are the adapter's to log."""
        ...


class Channels(Protocol):
    async def is_private(self, channel_id: str) -> bool:
        """Private channel, DM or group DM: places where only invited people read."""
        ...


class Parser(Protocol):
    """Turns a paste into a posting; the production one parses in worker processes with a time limit."""

    async def parse(self, text: str) -> ParsedPosting: ...


class Membership(Protocol):
    """Who is in a channel (Slack's conversations.members): a private channel's members may see
    the openings whose cards live there, as they see the cards themselves."""

    async def is_member(self, channel_id: str, user: str) -> bool: ...


class Directory(Protocol):
    """What the domain asks about a person: their time zone (None when unknown)."""

    async def timezone(self, user: str) -> str | None: ...


class Outbox(Protocol):
    """Scheduled messages out: raise to keep the work pending (it is retried later).

    Each job is claimed by this replica (:mod:`bot.leases`) and comes with ``still_ours``: the
    sender awaits it right before the final ``chat.postMessage`` (after opening the DM, after
    waiting for the channel's pace) and, when it answers False, posts nothing and returns False
    (another replica has taken the job over, or it went out already). True: it was posted."""

    async def send_nudges(self, batch: NudgeBatch, still_ours: StillOurs) -> bool: ...

    async def send_reminders(self, user: str, reminders: list[Reminder], still_ours: StillOurs) -> bool: ...

    async def send_digest(self, due: DueDigest, digest: Digest, still_ours: StillOurs) -> bool: ...
