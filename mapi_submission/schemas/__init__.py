"""The JSON Schemas of regression cases and call-log lines (data files, read with
importlib.resources).

May import: nothing of the project (it holds data only).
"""
