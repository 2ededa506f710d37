"""Config group options of driftline-plugin-example (found through ``driftline.conf``)."""
