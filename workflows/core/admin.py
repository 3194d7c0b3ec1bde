"""Rule-sets in the admin: a version in use is read-only; change means a new version."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from personnel.audit.admin import AuditedAdmin

from . import models, rules, services


class ParameterForm(forms.ModelForm):
    class Meta:
        model = models.RuleParameter
        fields = ["key", "value", "citation", "unverified", "note"]

    def clean(self):
        data = super().clean()
        if data.get("key") and "value" in data:
            try:
                rules.validate(data["key"], data["value"])
            except ValidationError as error:
                self.add_error("value", error)
        return data


class ParameterInline(admin.TabularInline):
    model = models.RuleParameter
    form = ParameterForm
    extra = 0

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.in_use)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not (obj and obj.in_use)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.in_use)


@admin.register(models.RuleSet)
class RuleSetAdmin(AuditedAdmin):
    list_display = ["title", "code", "version", "track", "effective_from", "in_use"]
    list_filter = ["track", "in_use"]
    inlines = [ParameterInline]
    actions = ["new_version"]
    readonly_fields = ["in_use"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.in_use)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.in_use)

    @admin.action(description=_("Create a new version of the selected rule-sets"))
    def new_version(self, request, queryset):
        for ruleset in queryset:
            new = services.ruleset_new_version(actor=request.user, base=ruleset)
            messages.success(request, _("Created %(ruleset)s.") % {"ruleset": new})
