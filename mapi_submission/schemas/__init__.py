"""The JSON Schemas of regression cases and call-log lines (data files, read with
importlib.resources)."""
