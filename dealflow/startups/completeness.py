"""What a profile still lacks before submission, field by field and section by section: one rule for both."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString

from dealflow.startups.fields import FIELD_LABELS, REQUIRED_FOR_SUBMISSION, SECTIONS, Section
from dealflow.startups.profile import Profile


def is_empty(profile: Profile, name: str) -> bool:
    value = getattr(profile, name)
    return value is None or value == "" or value == ()


def missing_fields(profile: Profile) -> list[str]:
    """The names of the required fields that are still empty, in form order."""
    return [name for name in REQUIRED_FOR_SUBMISSION if is_empty(profile, name)]


def missing_for_submission(profile: Profile) -> list[LazyString]:
    """The labels of the required fields that are still empty, in form order."""
    return [FIELD_LABELS[name] for name in missing_fields(profile)]


@dataclass(frozen=True)
class Progress:
    """How many of the form's sections are complete, and which."""

    sections: tuple[tuple[Section, bool], ...]

    @property
    def done(self) -> int:
        return sum(complete for _section, complete in self.sections)

    @property
    def total(self) -> int:
        return len(self.sections)

    def is_complete(self, key: str) -> bool:
        return any(section.key == key and complete for section, complete in self.sections)


def progress(profile: Profile) -> Progress:
    """Each section of the form with whether all its required fields are filled in."""
    missing = set(missing_fields(profile))
    return Progress(tuple((section, not missing.intersection(section.required)) for section in SECTIONS))
