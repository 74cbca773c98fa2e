"""Every model, imported here so that metadata and Alembic see them all."""

from dealflow.models.activity import AuditLog, Notification
from dealflow.models.base import Base, UTCDateTime, utcnow
from dealflow.models.discovery import Bookmark, ListingState, PipelineStage, SavedSearch, SavedSearchAlert
from dealflow.models.hub import Hub, hub_region
from dealflow.models.investor import InvestorKind, InvestorProfile
from dealflow.models.match import (
    EventKind,
    IntroRequest,
    IntroStatus,
    LedgerDay,
    LedgerHead,
    LedgerRollup,
    LedgerSlice,
    MatchEvent,
    MatchEventLink,
    MatchProgress,
    ProgressKind,
    ProgressStatus,
    StartupFunnel,
)
from dealflow.models.reference import Region, Sector, Stage
from dealflow.models.review import ReviewClaim, RubricScore
from dealflow.models.startup import (
    OPEN_REVISION_STATUSES,
    Currency,
    DeckVisibility,
    ExchangeRate,
    FileKind,
    Instrument,
    ReviewEvent,
    RevisionStatus,
    Startup,
    StartupRevision,
    StartupStatus,
    StoredFile,
)
from dealflow.models.user import Role, User

__all__ = [
    "OPEN_REVISION_STATUSES",
    "AuditLog",
    "Bookmark",
    "ListingState",
    "PipelineStage",
    "SavedSearch",
    "SavedSearchAlert",
    "Notification",
    "ReviewClaim",
    "RubricScore",
    "Base",
    "Currency",
    "DeckVisibility",
    "EventKind",
    "ExchangeRate",
    "FileKind",
    "Hub",
    "Instrument",
    "IntroRequest",
    "IntroStatus",
    "InvestorKind",
    "InvestorProfile",
    "LedgerDay",
    "LedgerHead",
    "LedgerRollup",
    "LedgerSlice",
    "MatchEvent",
    "MatchEventLink",
    "MatchProgress",
    "ProgressKind",
    "ProgressStatus",
    "Region",
    "ReviewEvent",
    "RevisionStatus",
    "Role",
    "Sector",
    "Stage",
    "Startup",
    "StartupFunnel",
    "StartupRevision",
    "StartupStatus",
    "StoredFile",
    "User",
    "UTCDateTime",
    "hub_region",
    "utcnow",
]
