"""The Reflex app: routes (each module's pages register themselves), the API mount, lifespan tasks."""

import reflex as rx

import kaktus_app.models  # noqa: F401  (every table)
from kaktus_app.activities import pages as activities_pages  # noqa: F401
from kaktus_app.analytics import pages as analytics_pages  # noqa: F401
from kaktus_app.api import pages as api_pages  # noqa: F401
from kaktus_app.api.app import mount as mount_api
from kaktus_app.api.webhooks import delivery_loop
from kaktus_app.auth import pages as auth_pages  # noqa: F401
from kaktus_app.catalog import pages as catalog_pages  # noqa: F401
from kaktus_app.customers import pages as customers_pages  # noqa: F401
from kaktus_app.documents import pages as documents_pages  # noqa: F401
from kaktus_app.geo import pages as geo_pages  # noqa: F401
from kaktus_app.helpdesk import pages as helpdesk_pages  # noqa: F401
from kaktus_app.home import pages as home_pages  # noqa: F401
from kaktus_app.imports import pages as imports_pages  # noqa: F401
from kaktus_app.integration.service import export_cleanup_loop
from kaktus_app.leads import pages as leads_pages  # noqa: F401
from kaktus_app.mail import pages as mail_pages  # noqa: F401
from kaktus_app.mail.service import imap_loop
from kaktus_app.portal import pages as portal_pages  # noqa: F401
from kaktus_app.portal.service import outbox_loop
from kaktus_app.sales import pages as sales_pages  # noqa: F401

app = rx.App(
    html_lang="id",
    stylesheets=["/kaktus.css"],
    api_transformer=mount_api,  # the REST API under /api/v1 (kaktus_app/api/app.py)
)
app.register_lifespan_task(delivery_loop)  # webhook deliveries, in every worker (rows are claimed)
app.register_lifespan_task(outbox_loop)  # portal e-mails (invitations, links) through SMTP when configured
app.register_lifespan_task(export_cleanup_loop)  # list exports not downloaded within 10 minutes
app.register_lifespan_task(imap_loop)  # inbound e-mail from the IMAP mailbox when KAKTUS_IMAP_HOST is set (one worker at a time)
