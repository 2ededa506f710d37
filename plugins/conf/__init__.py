"""Config group options of the built-in components (put on Hydra's search path)."""
