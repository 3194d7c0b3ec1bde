"""Fixtures for the websocket tests of this package (opt-in: nothing here is autouse)."""

from tests.notifications.live import channel_layer, sockets  # noqa: F401
from tests.notifications.live import parametrize_layers as pytest_generate_tests  # noqa: F401
