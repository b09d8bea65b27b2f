"""The scheduled drift function of a stage that opts in: its settings (schedule), the metrics it
publishes (metrics) and the run itself (run). Apart from chalicelib.drift so that reading a
stage's schedule, which app.py does at import, imports none of the drift computation."""
