"""Observation: read what Partner Center has for the customers in scope, once, before planning."""
