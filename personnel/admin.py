"""Django admin for administrators. Every write is audited (``AuditedAdmin``); membership
changes also resync the member's scope."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from . import models, services
from .audit.admin import AuditedAdmin


@admin.register(models.OrgUnit)
class OrgUnitAdmin(AuditedAdmin, TreeAdmin):
    form = movenodeform_factory(models.OrgUnit)
    list_display = ["name", "code", "kind", "management_level"]
    search_fields = ["name", "code"]


@admin.register(models.Committee)
class CommitteeAdmin(AuditedAdmin):
    list_display = ["name", "kind", "unit", "term_start", "term_end"]
    list_filter = ["kind"]
    search_fields = ["name"]
    autocomplete_fields = ["unit"]


@admin.register(models.CommitteeMembership)
class CommitteeMembershipAdmin(AuditedAdmin):
    list_display = ["user", "committee", "role", "started_on", "ended_on"]
    list_filter = ["role", "committee__kind"]
    autocomplete_fields = ["user", "committee"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.scope_sync_for_user(user=obj.user, actor=request.user)

    def delete_model(self, request, obj):
        user = obj.user
        super().delete_model(request, obj)
        services.scope_sync_for_user(user=user, actor=request.user)


@admin.register(models.Position)
class PositionAdmin(AuditedAdmin):
    list_display = ["title", "unit", "level", "seats", "managing_committee"]
    list_filter = ["level"]
    search_fields = ["title", "unit__name"]
    autocomplete_fields = ["unit", "managing_committee"]


class HoldingInline(admin.TabularInline):
    model = models.PositionHolding
    extra = 0
    autocomplete_fields = ["position"]


class DisciplineInline(admin.TabularInline):
    model = models.DisciplineRecord
    extra = 0


class InvestigationInline(admin.TabularInline):
    model = models.InvestigationCase
    extra = 0


class ConclusionInline(admin.TabularInline):
    model = models.PoliticalStandardConclusion
    extra = 0


class EvaluationInline(admin.TabularInline):
    model = models.EvaluationResult
    extra = 0


class PlanningInline(admin.TabularInline):
    model = models.PlanningEntry
    extra = 0
    autocomplete_fields = ["position"]


class TrainingInline(admin.TabularInline):
    model = models.TrainingRecord
    extra = 0


@admin.register(models.Cadre)
class CadreAdmin(AuditedAdmin):
    list_display = ["full_name", "date_of_birth", "gender", "unit"]
    list_filter = ["gender", "political_theory_level", "education_level"]
    search_fields = ["full_name"]
    autocomplete_fields = ["unit", "user"]
    inlines = [
        HoldingInline,
        EvaluationInline,
        PlanningInline,
        TrainingInline,
        ConclusionInline,
        DisciplineInline,
        InvestigationInline,
    ]


@admin.register(models.User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    list_display = ["username", "last_name", "first_name", "email", "is_active", "is_staff"]
