"""cspsync: Microsoft CSP customers, tenants, agreements and subscriptions as code."""

__version__ = "0.1.0"
