"""driftline's built-in components, registered through entry points like any third-party plugin."""
