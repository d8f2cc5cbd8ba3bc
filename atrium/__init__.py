"""Atrium: one GraphQL API over the surfaces of five developer platforms."""
