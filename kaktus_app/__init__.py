"""Kaktus CRM: an open-source customer-relationship system built with Reflex."""
