from __future__ import annotations

from django import forms

from sync.models.failures import FailedState, ItemKind
from sync.models.runs import Scope

BLANK = [("", "any")]


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


class FailedActionForm(forms.Form):
    action = forms.ChoiceField(choices=[("retry", "retry"), ("dismiss", "dismiss")])
    item_ids = forms.TypedMultipleChoiceField(choices=[], coerce=int)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        ids = self.data.getlist("item_ids") if hasattr(self.data, "getlist") else []
        self.fields["item_ids"].choices = [(i, i) for i in ids]  # type: ignore[attr-defined]
