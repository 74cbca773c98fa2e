"""Every model, imported here so that metadata and Alembic see them all."""

from dealflow.models.activity import AuditLog, Notification
from dealflow.models.base import Base, UTCDateTime, utcnow
from dealflow.models.billing import (
    ENDED_STATUSES,
    BillingCustomer,
    BillingInterval,
    BillingInvoice,
    StripeEvent,
    Subscription,
    SubscriptionStatus,
)
from dealflow.models.discovery import Bookmark, PipelineStage, SavedSearch, SavedSearchAlert
from dealflow.models.hub import Hub, hub_region
from dealflow.models.investor import InvestorKind, InvestorProfile
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
    "ENDED_STATUSES",
    "OPEN_REVISION_STATUSES",
    "AuditLog",
    "BillingCustomer",
    "BillingInterval",
    "BillingInvoice",
    "StripeEvent",
    "Subscription",
    "SubscriptionStatus",
    "Bookmark",
    "PipelineStage",
    "SavedSearch",
    "SavedSearchAlert",
    "Notification",
    "ReviewClaim",
    "RubricScore",
    "Base",
    "Currency",
    "DeckVisibility",
    "ExchangeRate",
    "FileKind",
    "Hub",
    "Instrument",
    "InvestorKind",
    "InvestorProfile",
    "Region",
    "ReviewEvent",
    "RevisionStatus",
    "Role",
    "Sector",
    "Stage",
    "Startup",
    "StartupRevision",
    "StartupStatus",
    "StoredFile",
    "User",
    "UTCDateTime",
    "hub_region",
    "utcnow",
]
