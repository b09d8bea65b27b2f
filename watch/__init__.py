"""Watching a served model: its baseline made with numpy, its capture read into drift reports
(the figures themselves are chalicelib.drift's, shared with the Lambda)."""
