"""The dashboard: server-rendered pages (Jinja, autoescaped) plus small shipped scripts for the charts."""
