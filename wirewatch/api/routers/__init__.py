"""API routers, one per resource; each exposes `router`."""
