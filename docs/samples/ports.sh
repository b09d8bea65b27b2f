make run PORT=18000 ENDPOINT_PORT=18080 DEMO_PORT=18001   # every process moves; so does the allowed origin
