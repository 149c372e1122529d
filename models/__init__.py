"""The domain model (SQLAlchemy 2.0 ORM classes). Importing this package registers every table on `Base.metadata`."""

from models.alerts import Alert, AlertStatus
from models.base import Base, now
from models.content import Appearance, Article, HomepageSnapshot, RankingEntry, RankingSnapshot
from models.corrections import EventCorrection
from models.events import (
    Event,
    EventArticle,
    EventStatus,
    EventStatusChange,
    FeedbackLink,
    FeedbackStatus,
    Institution,
)
from models.evidence import EvidenceFile
from models.jobs import JobRun
from models.labels import CityAttribution, Classification, Label
from models.places import Division
from models.portal import ListKind, PortalRecord
from models.report_requests import ReportRequest, ReportState
from models.scores import IndexScore, ManualInput
from models.sites import CrawlStat, Fetch, Site
from models.users import Role, User, WebSession

__all__ = [
    "Alert",
    "AlertStatus",
    "Appearance",
    "Article",
    "Base",
    "CityAttribution",
    "Classification",
    "CrawlStat",
    "Division",
    "Event",
    "EventArticle",
    "EventCorrection",
    "EventStatus",
    "EventStatusChange",
    "EvidenceFile",
    "FeedbackLink",
    "FeedbackStatus",
    "Fetch",
    "HomepageSnapshot",
    "IndexScore",
    "Institution",
    "JobRun",
    "Label",
    "ListKind",
    "ManualInput",
    "PortalRecord",
    "RankingEntry",
    "RankingSnapshot",
    "ReportRequest",
    "ReportState",
    "Role",
    "Site",
    "User",
    "WebSession",
    "now",
]
