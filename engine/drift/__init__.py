"""Drift detection: profiles of training data, tests against them, reports and alerts."""
