"""A project's definition of ready: validation of the stored criteria settings and the effective list.

Stored settings are exactly what the user sent (normalised); at read time they are laid over the
registry's defaults, so a field left out, or a criterion added to Preloop later, takes its default.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.issues.compliance.criteria import CRITERIA, Criterion

ENTRY_FIELDS = ("id", "weight", "enabled", "applies_to_types")
MAX_WEIGHT = 100
MAX_TYPES = 50


@dataclass(frozen=True)
class CriterionSetting:
    """One criterion as a project uses it."""

    criterion: Criterion
    weight: int
    enabled: bool
    applies_to_types: tuple[str, ...] | None  # None: every issue

    @property
    def id(self) -> str:
        return self.criterion.id

    def applies_to(self, kinds: Iterable[str]) -> bool:
        if self.applies_to_types is None:
            return True
        return bool(set(self.applies_to_types) & set(kinds))

    def as_dict(self) -> dict:
        types = list(self.applies_to_types) if self.applies_to_types is not None else None
        return {"id": self.id, "label": self.criterion.label, "description": self.criterion.description,
                "weight": self.weight, "default_weight": self.criterion.default_weight, "enabled": self.enabled,
                "applies_to_types": types}  # fmt: skip


def _entry_errors(index: int, entry, seen: set[str]) -> dict[str, list[str]]:
    path = f"criteria[{index}]"
    if not isinstance(entry, dict):
        return {path: ["Expected an object with id, weight, enabled and applies_to_types."]}
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(entry) - set(ENTRY_FIELDS))
    if unknown:
        errors[path] = [f"Unknown field(s): {', '.join(map(str, unknown))}."]
    criterion_id = entry.get("id")
    if not isinstance(criterion_id, str) or not criterion_id:
        errors[f"{path}.id"] = ["This field is required."]
    elif criterion_id not in CRITERIA:
        errors[f"{path}.id"] = [f"Unknown criterion {criterion_id!r}; known: {', '.join(CRITERIA)}."]
    elif criterion_id in seen:
        errors[f"{path}.id"] = [f"{criterion_id!r} is listed more than once."]
    else:
        seen.add(criterion_id)
    weight = entry.get("weight", 0)
    if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= MAX_WEIGHT:
        errors[f"{path}.weight"] = [f"Must be a whole number from 0 to {MAX_WEIGHT}."]
    if not isinstance(entry.get("enabled", True), bool):
        errors[f"{path}.enabled"] = ["Must be true or false."]
    types = entry.get("applies_to_types")
    if types is not None and (
        not isinstance(types, list)
        or not 0 < len(types) <= MAX_TYPES
        or not all(isinstance(name, str) and 0 < len(name.strip()) <= 100 for name in types)
    ):
        errors[f"{path}.applies_to_types"] = [
            f'Must be null (every issue) or a list of 1 to {MAX_TYPES} issue type names, e.g. ["bug"].'
        ]
    return errors


def criteria_errors(criteria) -> dict[str, list[str]]:
    """Every problem with a criteria list, keyed by its path (`criteria[2].weight`); empty when valid."""
    if not isinstance(criteria, list):
        return {"criteria": ["Expected a list of criteria."]}
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for index, entry in enumerate(criteria):
        errors.update(_entry_errors(index, entry, seen))
    if not errors and not any(setting.enabled and setting.weight > 0 for setting in criteria_effective(criteria)):
        errors["criteria"] = ["At least one enabled criterion needs a weight above 0."]
    return errors


def _normalised(entry: dict) -> dict:
    normal = {key: entry[key] for key in ENTRY_FIELDS if key in entry}
    if normal.get("applies_to_types") is not None:
        normal["applies_to_types"] = sorted({name.strip().lower() for name in normal["applies_to_types"]})
    return normal


def criteria_effective(stored: list[dict] | None) -> list[CriterionSetting]:
    """Stored settings laid over the defaults, in registry order."""
    by_id = {entry["id"]: entry for entry in stored or [] if isinstance(entry, dict) and entry.get("id") in CRITERIA}
    settings = []
    for criterion in CRITERIA.values():
        entry = by_id.get(criterion.id, {})
        types = entry.get("applies_to_types", criterion.default_applies_to_types)
        settings.append(CriterionSetting(
            criterion=criterion,
            weight=entry.get("weight", criterion.default_weight),
            enabled=entry.get("enabled", True),
            applies_to_types=tuple(sorted({name.strip().lower() for name in types})) if types is not None else None,
        ))  # fmt: skip
    return settings


@dataclass(frozen=True)
class DefinitionOfReadyView:
    project_id: object
    is_default: bool
    criteria: list[CriterionSetting]
    updated_at: object = None

    def as_dict(self) -> dict:
        return {"project_id": str(self.project_id), "is_default": self.is_default, "updated_at": self.updated_at,
                "criteria": [setting.as_dict() for setting in self.criteria]}  # fmt: skip


def definition_of_ready_get(*, project) -> DefinitionOfReadyView:
    """The project's effective definition of ready (the defaults when it has none stored)."""
    from apps.issues.compliance.models import DefinitionOfReady

    stored = DefinitionOfReady.objects.filter(project=project).first()
    if stored is None:
        return DefinitionOfReadyView(project_id=project.pk, is_default=True, criteria=criteria_effective(None))
    return DefinitionOfReadyView(project_id=project.pk, is_default=False, updated_at=stored.updated_at,
                                 criteria=criteria_effective(stored.criteria))  # fmt: skip


def definition_of_ready_set(*, project, criteria) -> DefinitionOfReadyView:
    """Store a project's criteria settings after validating them; an empty list returns it to the defaults."""
    from apps.issues.compliance.models import DefinitionOfReady

    errors = criteria_errors(criteria)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if not criteria:
            DefinitionOfReady.objects.filter(project=project).delete()
        else:
            DefinitionOfReady.objects.update_or_create(
                project=project, defaults={"criteria": [_normalised(entry) for entry in criteria]}
            )
    return definition_of_ready_get(project=project)
