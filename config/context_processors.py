from django.conf import settings


def cadreflow(request):
    from personnel.selectors import user_roles

    user = getattr(request, "user", None)
    return {
        "CADREFLOW_DEMO_MODE": settings.CADREFLOW_DEMO_MODE,
        "user_roles": user_roles(user=user) if user is not None else frozenset(),
    }
