"""LLM proxies in the graph: virtual keys, usage limits, recorded calls, statistics."""
