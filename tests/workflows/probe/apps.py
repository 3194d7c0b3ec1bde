from django.apps import AppConfig


class ProbeConfig(AppConfig):
    """A test-only app holding a minimal flow (installed by config.settings.test only)."""

    name = "tests.workflows.probe"
    label = "probe"
