"""Loopback stand-ins for the services Preloop talks to, speaking their real HTTP APIs."""
