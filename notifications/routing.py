from django.urls import path

from workflows.core.consumers import TurnoutConsumer

from .consumers import NotificationConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    path("ws/ballots/<int:ballot_id>/turnout/", TurnoutConsumer.as_asgi()),
]
