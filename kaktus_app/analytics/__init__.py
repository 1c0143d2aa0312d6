"""Dashboards, the report builder and sales intelligence."""
