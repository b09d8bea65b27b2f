make setup    # .venv (and the test and docs tools), installed; nothing started
make run      # trains the Iris example if needed; the stand-in, chalice local, the demo page
