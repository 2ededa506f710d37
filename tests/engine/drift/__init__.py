"""Tests of driftline.engine.drift."""
