"""The manifest asks for the scopes the code needs, and no more."""

import re
from pathlib import Path

MANIFEST = (Path(__file__).parents[1] / "deploy/slack-manifest.yaml").read_text()


def test_scopes_are_exactly_the_needed_ones() -> None:
    block = MANIFEST.split("bot:", 1)[1].split("settings:", 1)[0]
    scopes = set(re.findall(r"^\s+- ([a-z:]+)", block, re.M))
    assert scopes == {"commands", "chat:write", "im:write", "channels:history", "groups:history", "channels:read",
                      "groups:read", "users:read"}


def test_every_url_is_the_single_events_endpoint() -> None:
    urls = re.findall(r"(?:url|request_url): (\S+)", MANIFEST)
    assert urls and all(u.endswith("/slack/events") for u in urls)
    assert "should_escape: true" in MANIFEST and "app_home_opened" in MANIFEST
