"""Slack listeners: thin adapters from Slack requests onto the domain services in ``bot/``."""
