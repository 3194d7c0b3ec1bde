from django.contrib.auth.views import LoginView
from django.urls import path

from . import views

urlpatterns = [
    path("accounts/login/", LoginView.as_view(template_name="login.html"), name="login"),
    path("write/", views.write, name="write"),
    path("healthz", views.healthz, name="healthz"),
]
