"""Conventions shared by every REST endpoint: pagination, one error shape, CRUD resources."""
