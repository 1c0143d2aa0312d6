"""Imports every table so SQLModel.metadata (Alembic, tests) sees the whole schema."""

import kaktus_app.api.events  # noqa: F401  (webhook events captured on every session)
import kaktus_app.auth.audit  # noqa: F401  (the audit trail hook on every session)
from kaktus_app.activities.models import Activity, TimelineEntry
from kaktus_app.analytics.models import SavedReport
from kaktus_app.api.models import ApiKey, Webhook, WebhookDelivery
from kaktus_app.auth.models import AuditLog, AuthSession, Profile, Role, SharingRule, User
from kaktus_app.catalog.models import (
    PriceList,
    PriceRule,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
    VendorPrice,
)
from kaktus_app.customers.models import Customer, SavedFilter
from kaktus_app.documents.models import (
    DocumentSequence,
    DocumentSettings,
    Invoice,
    InvoiceLine,
    Payment,
    SalesOrder,
    SalesOrderLine,
)
from kaktus_app.geo.models import Territory
from kaktus_app.helpdesk.models import (
    FaqArticle,
    FaqCategory,
    FaqVote,
    SlaPolicy,
    Ticket,
    TicketAttachment,
    TicketMessage,
)
from kaktus_app.imports.models import ImportIssue, ImportJob, ImportRecord
from kaktus_app.leads.models import Lead
from kaktus_app.mail.models import InboundAttachment, InboundMessage, MailSettings
from kaktus_app.portal.models import OutboxMessage, PortalSession, PortalToken, PortalUser
from kaktus_app.sales.models import Opportunity, SalesTeam, Stage, StageHistory

__all__ = [
    "ImportIssue",
    "ImportJob",
    "ImportRecord",
    "InboundAttachment",
    "InboundMessage",
    "MailSettings",
    "ApiKey",
    "Webhook",
    "WebhookDelivery",
    "Role",
    "SharingRule",
    "Profile",
    "AuditLog",
    "Activity",
    "AuthSession",
    "Customer",
    "DocumentSequence",
    "DocumentSettings",
    "FaqArticle",
    "FaqCategory",
    "FaqVote",
    "OutboxMessage",
    "PortalSession",
    "PortalToken",
    "PortalUser",
    "SlaPolicy",
    "Ticket",
    "TicketAttachment",
    "TicketMessage",
    "Invoice",
    "InvoiceLine",
    "Lead",
    "Opportunity",
    "Payment",
    "PriceList",
    "PriceRule",
    "Product",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "SalesOrder",
    "SalesOrderLine",
    "SalesTeam",
    "SavedFilter",
    "SavedReport",
    "Stage",
    "StageHistory",
    "Territory",
    "TimelineEntry",
    "User",
    "Vendor",
    "VendorPrice",
]
