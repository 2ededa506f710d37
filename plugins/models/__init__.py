"""Built-in models (one module per model; each registered through the ``driftline.model`` entry points)."""
