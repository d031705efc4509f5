from __future__ import annotations

from django import forms

from sync.models.failures import FailedState, ItemKind
from sync.models.runs import Scope

BLANK = [("", "any")]
ID_MAX = 2**63 - 1


class SyncNowForm(forms.Form):
    scope = forms.ChoiceField(choices=Scope.choices, initial=Scope.ALL)
    dry_run = forms.BooleanField(required=False)
    force_full = forms.BooleanField(required=False)


class VerifyForm(forms.Form):
    full = forms.BooleanField(required=False)


class FailedFilterForm(forms.Form):
    state = forms.ChoiceField(required=False, choices=BLANK + FailedState.choices)
    kind = forms.ChoiceField(required=False, choices=BLANK + ItemKind.choices)
    # Not "error_class": that name is Form's own attribute.
    error_type = forms.CharField(required=False, max_length=120)


class ItemIdsField(forms.Field):
    """Checked boxes of failed-item ids: each a positive 64-bit integer (a longer
    number would overflow the database's INTEGER), duplicates dropped."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": "select at least one item",
        "invalid": "%(value)s is not an item id",
    }

    def to_python(self, value: object) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        ids: list[int] = []
        for item in values:
            text = str(item).strip()
            if not (
                text.isascii() and text.isdigit() and len(text) <= 19 and 0 < int(text) <= ID_MAX
            ):
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid", params={"value": str(item)[:60]}
                )
            ids.append(int(text))
        return list(dict.fromkeys(ids))


class FailedActionForm(forms.Form):
    action = forms.ChoiceField(choices=[("retry", "retry"), ("dismiss", "dismiss")])
    item_ids = ItemIdsField()
