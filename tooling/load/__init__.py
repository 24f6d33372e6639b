"""Load and fault runs on loopback (`make load`, `python -m tooling.load`): see __main__.py. Nothing here
imports Django at import time, so the locustfile can import its helpers in locust's own process."""
