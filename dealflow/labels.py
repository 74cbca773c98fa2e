"""Translatable labels for values stored as codes: roles, statuses, languages."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from dealflow.models import (
    DeckVisibility,
    EventKind,
    Instrument,
    IntroStatus,
    InvestorKind,
    PipelineStage,
    ProgressKind,
    ProgressStatus,
    RevisionStatus,
    Role,
    StartupStatus,
)

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}

ROLE_LABELS = {
    Role.FOUNDER: _l("Founder"),
    Role.INVESTOR: _l("Investor"),
    Role.HUB_STAFF: _l("Hub staff"),
    Role.ADMIN: _l("Administrator"),
}

STATUS_LABELS = {
    StartupStatus.DRAFT: _l("Draft"),
    StartupStatus.SUBMITTED: _l("Submitted"),
    StartupStatus.APPROVED: _l("Approved"),
    StartupStatus.REJECTED: _l("Rejected"),
    StartupStatus.CHANGES_REQUESTED: _l("Changes requested"),
    StartupStatus.ARCHIVED: _l("Archived"),
    RevisionStatus.WITHDRAWN: _l("Withdrawn"),
}

STATUS_HELP = {
    StartupStatus.DRAFT: _l("Only you can see it. Complete the profile and submit it for review."),
    StartupStatus.SUBMITTED: _l("Hub staff are reviewing it. You will be told of their decision."),
    StartupStatus.APPROVED: _l("Verified investors can find it and ask for an intro."),
    StartupStatus.REJECTED: _l("The hub decided not to list it. Read the reviewer's comment."),
    StartupStatus.CHANGES_REQUESTED: _l("The reviewer asked for changes. Edit the profile and submit it again."),
    StartupStatus.ARCHIVED: _l("No longer listed. Investors cannot see it."),
}

STATUS_BADGES = {
    StartupStatus.DRAFT: "text-bg-secondary",
    StartupStatus.SUBMITTED: "text-bg-info",
    StartupStatus.APPROVED: "text-bg-success",
    StartupStatus.REJECTED: "text-bg-danger",
    StartupStatus.CHANGES_REQUESTED: "text-bg-warning",
    StartupStatus.ARCHIVED: "text-bg-dark",
    RevisionStatus.WITHDRAWN: "text-bg-light border",
}


def role_label(role: Role | str) -> LazyString:
    return ROLE_LABELS[Role(role)]


def status_label(status: str) -> LazyString:
    """The label of a startup's or a revision's status (their values are shared)."""
    return STATUS_LABELS[str(status)]  # type: ignore[index]


def status_help(status: StartupStatus | str) -> LazyString:
    return STATUS_HELP[StartupStatus(status)]


def status_badge(status: str) -> str:
    return STATUS_BADGES[str(status)]  # type: ignore[index]


INSTRUMENT_LABELS = {
    Instrument.EQUITY: _l("Equity"),
    Instrument.SAFE: _l("SAFE"),
    Instrument.CONVERTIBLE_NOTE: _l("Convertible note"),
    Instrument.GRANT: _l("Grant"),
    Instrument.DEBT: _l("Debt"),
}

DECK_VISIBILITY_LABELS = {
    DeckVisibility.VERIFIED_INVESTORS: _l("All investors verified by hub staff"),
    DeckVisibility.MATCHED_INVESTORS: _l("Only investors whose intro request I accepted"),
}


def instrument_label(instrument: Instrument | str) -> LazyString:
    return INSTRUMENT_LABELS[Instrument(instrument)]


INVESTOR_KIND_LABELS = {
    InvestorKind.ANGEL: _l("Angel investor"),
    InvestorKind.VC_FUND: _l("Venture capital fund"),
    InvestorKind.CORPORATE: _l("Corporate investor"),
    InvestorKind.GOVERNMENT_FUND: _l("Government fund"),
    InvestorKind.FAMILY_OFFICE: _l("Family office"),
    InvestorKind.ACCELERATOR: _l("Accelerator"),
}

PIPELINE_LABELS = {
    PipelineStage.WATCHING: _l("Watching"),
    PipelineStage.CONTACTED: _l("Contacted"),
    PipelineStage.MEETING: _l("Meeting"),
    PipelineStage.DUE_DILIGENCE: _l("Due diligence"),
    PipelineStage.TERM_SHEET: _l("Term sheet"),
    PipelineStage.INVESTED: _l("Invested"),
    PipelineStage.PASSED: _l("Passed"),
}

FIT_REASONS = {
    "sector": _l("in your sectors"),
    "stage": _l("stage fits"),
    "ticket": _l("ask within your ticket"),
    "region": _l("in your regions"),
    "mandate": _l("outside Astana and Almaty"),
}

INTRO_STATUS_LABELS = {
    IntroStatus.PENDING: _l("Waiting for the founder"),
    IntroStatus.ACCEPTED: _l("Matched"),
    IntroStatus.DECLINED: _l("Declined"),
    IntroStatus.WITHDRAWN: _l("Withdrawn by the investor"),
}

INTRO_STATUS_BADGES = {
    IntroStatus.PENDING: "text-bg-info",
    IntroStatus.ACCEPTED: "text-bg-success",
    IntroStatus.DECLINED: "text-bg-secondary",
    IntroStatus.WITHDRAWN: "text-bg-light border",
}

PROGRESS_LABELS = {
    ProgressKind.MEETING: _l("Meeting"),
    ProgressKind.TERM_SHEET: _l("Term sheet"),
    ProgressKind.INVESTMENT_CLOSED: _l("Investment closed"),
}

PROGRESS_STATUS_LABELS = {
    ProgressStatus.RECORDED: _l("Recorded"),
    ProgressStatus.AWAITING_CONFIRMATION: _l("Waiting for the other side to confirm"),
    ProgressStatus.CONFIRMED: _l("Confirmed by both sides"),
    ProgressStatus.DISPUTED: _l("Not confirmed by the other side"),
}

EVENT_LABELS = {
    EventKind.INTRO_REQUESTED: _l("Intro requested"),
    EventKind.INTRO_ACCEPTED: _l("Match (intro accepted)"),
    EventKind.MEETING: _l("Meeting"),
    EventKind.TERM_SHEET: _l("Term sheet"),
    EventKind.INVESTMENT_CLOSED: _l("Investment closed"),
}
