"""Billing with Stripe: investor plans, subscriptions, invoices, webhooks, and the limits each plan sets."""
