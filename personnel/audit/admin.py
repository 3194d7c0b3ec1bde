"""``AuditedAdmin``: every admin save and delete, inline rows included, writes its audit event
(admin.create / admin.update / admin.delete) in the admin's own transaction."""

from django.contrib import admin

from .actions import Action
from .services import audit_record, changes_between, jsonable, snapshot


def _concrete(obj, names):
    fields = {f.name for f in obj._meta.concrete_fields}
    return [name for name in names if name in fields]


def _record_form(request, form, obj, change: bool) -> None:
    names = _concrete(obj, form.changed_data if change else form.fields)
    if change and not names:
        return
    before = {name: jsonable(form.initial.get(name)) for name in names} if change else {}
    audit_record(
        actor=request.user,
        action=Action.ADMIN_UPDATE if change else Action.ADMIN_CREATE,
        target=obj,
        changes=changes_between(before, snapshot(obj, names)),
    )


class AuditedAdmin(admin.ModelAdmin):
    """Records every save and delete, including inline rows, in the admin's transaction."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _record_form(request, form, obj, change)

    def delete_model(self, request, obj):
        audit_record(actor=request.user, action=Action.ADMIN_DELETE, target=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record(actor=request.user, action=Action.ADMIN_DELETE, target=obj)
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        deleting = [
            (f.instance._meta.label_lower, f.instance.pk, getattr(f.instance, "cadre_id", None))
            for f in formset.deleted_forms
            if f.instance.pk
        ]
        existing = {f.instance.pk for f in formset.forms if f.instance.pk}
        super().save_formset(request, form, formset, change)
        for inline_form in formset.forms:
            if inline_form in formset.deleted_forms or not inline_form.has_changed():
                continue
            obj = inline_form.instance
            if obj.pk:
                _record_form(request, inline_form, obj, change=obj.pk in existing)
        for label, pk, cadre_id in deleting:
            audit_record(
                actor=request.user, action=Action.ADMIN_DELETE, target=(label, pk), cadre=cadre_id
            )
