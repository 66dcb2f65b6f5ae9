"""Flows: definitions and per-shop timing, the ASL compiler, the flow_step use case, message templates."""
