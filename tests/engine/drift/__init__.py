"""Tests of engine.drift."""
