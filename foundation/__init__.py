"""The laptop side's foundation: what every other package may use and that uses none of them
(files written atomically, interrupts, the serving image's facts, local processes, where things
are, the Lambda's own modules for reading a model as the proxy does)."""
