"""Transforms over lists of events: lists in, new lists out, inputs never mutated."""

from aw_core.transforms.clip import clip_events

__all__ = ["clip_events"]
