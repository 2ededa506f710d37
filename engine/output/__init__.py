"""Output for people and scripts: tables, number formatting, paths and JSON for the terminal.

May import: ``errors`` and the standard library only.
"""
