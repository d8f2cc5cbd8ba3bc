"""Agents (seeds 001 ArchAstro and 002 Archestra): assistants, gateways, proxies, profiles."""
