from django.apps import AppConfig


class ToolingConfig(AppConfig):
    """The demo community, the synthetic district generator and the benchmark: above every app."""

    name = "tooling"
