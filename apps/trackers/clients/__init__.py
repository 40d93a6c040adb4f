"""Tracker API clients: one interface, one module per tracker."""
