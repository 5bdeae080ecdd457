"""hirebot: the domain of a hiring pipeline (openings, applications, stages, reminders).

Nothing in ``bot/`` imports Slack; ``handlers/`` adapts Slack requests onto these services.
"""

__version__ = "0.1.0"
