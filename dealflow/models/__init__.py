"""Every model, imported here so that metadata and Alembic see them all."""

from dealflow.models.base import Base, UTCDateTime, utcnow
from dealflow.models.hub import Hub, hub_region
from dealflow.models.reference import Region, Sector, Stage
from dealflow.models.startup import Currency, Instrument, Startup, StartupStatus
from dealflow.models.user import Role, User

__all__ = [
    "Base",
    "Currency",
    "Hub",
    "Instrument",
    "Region",
    "Role",
    "Sector",
    "Stage",
    "Startup",
    "StartupStatus",
    "User",
    "UTCDateTime",
    "hub_region",
    "utcnow",
]
