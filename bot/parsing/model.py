"""The structured opening the parser produces: the contract of ``shared/jd/README.md``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

FIELDS = (
    "title", "company", "team", "locations", "workplace", "employment_type", "seniority",
    "min_years_experience", "education", "languages", "salary", "background_check",
    "responsibilities", "requirements", "nice_to_have",
)


@dataclass(slots=True)
class ParsedPosting:
    """Everything hirebot understood of a posting. Unknown stays ``None`` or ``[]``."""

    title: str | None = None
    company: str | None = None
    team: str | None = None
    locations: list[str] = field(default_factory=list)
    workplace: str | None = None
    employment_type: str | None = None
    seniority: str | None = None
    min_years_experience: int | None = None
    education: str | None = None
    languages: list[str] = field(default_factory=list)
    salary: dict[str, Any] | None = None
    background_check: bool = False
    responsibilities: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    nice_to_have: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict in the contract's key order, ready for ``json.dumps``."""
        data = asdict(self)
        return {k: data[k] for k in FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParsedPosting:
        """Inverse of :meth:`to_dict`; unknown keys are ignored so stored rows survive upgrades."""
        return cls(**{k: data[k] for k in FIELDS if k in data})
