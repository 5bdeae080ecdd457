"""The listener tests mirror handlers/listeners: every callback the app registers is reachable
from the module these tests register, so a new listener module shows up here first."""

from __future__ import annotations

from pathlib import Path

from handlers import listeners
from handlers.listeners import commands
from handlers.listeners.actions import followups as action_followups
from handlers.listeners.actions import posting as action_posting
from handlers.listeners.events import messages
from handlers.listeners.views import posting as view_posting

from .conftest import World, listeners_of

#: listener module → its tests, beside this file
TESTED = {commands: "commands/test_hiring.py", action_posting: "actions/test_posting.py",
          action_followups: "actions/test_followups.py", view_posting: "views/test_posting.py",
          messages: "events/test_messages.py"}


def test_every_registered_listener_belongs_to_a_tested_module(world: World) -> None:
    everything = listeners_of(listeners, world.ctx, world.app).callbacks
    per_module = {}
    for module in TESTED:
        per_module.update(listeners_of(module, world.ctx, world.app).callbacks)
    assert sorted(everything) == sorted(per_module), "a listener module without tests in tests/handlers/listeners"
    here = Path(__file__).parent
    assert all((here / path).is_file() for path in TESTED.values())
