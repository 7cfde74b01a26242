"""Composing: templates rendered in the sandbox for people, drafted all or nothing, and checked."""
