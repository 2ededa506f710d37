"""The plugin API's machinery: component kinds, the registry that finds them, their parameters.

``kinds/`` holds one protocol class per kind (source, transform, splitter, schema, model,
metric, drift test, alert) that plugins subclass; ``registry`` resolves a kind's name to a
class through ``importlib.metadata`` entry points; ``params`` validates a component's
parameters from config.  Plugins import these through ``driftline.engine``, never from here.

May import: ``driftline.engine.errors`` and the standard library (heavy libraries only
inside the functions that need them).
"""
