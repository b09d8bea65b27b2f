"""The stage's batch functions: which ones a stage has (triggers), the Batch Transform job of
one input (jobs) and starting it once per object or schedule (starts)."""
