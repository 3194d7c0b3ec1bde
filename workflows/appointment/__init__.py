"""Appointment (bổ nhiệm) and introduction of candidates: domain/procedures.md §7 (issue #6)."""
