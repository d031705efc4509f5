"""Forms for the console pages: they validate query strings and posted actions."""

from __future__ import annotations

from uuid import UUID

from django import forms

from episodes import limits
from episodes.models.episode import TaskType, Verdict
from episodes.models.learning import PatternKind
from episodes.selectors import EpisodeFilters

BLANK = [("", "any")]


class EpisodeFilterForm(forms.Form):
    text = forms.CharField(required=False, max_length=200)
    task_type = forms.ChoiceField(required=False, choices=BLANK + TaskType.choices)
    verdict = forms.ChoiceField(required=False, choices=BLANK + Verdict.choices)
    domain = forms.CharField(required=False, max_length=60)
    tag = forms.CharField(required=False, max_length=60)
    started_after = forms.DateTimeField(required=False)
    started_before = forms.DateTimeField(required=False)
    agent_id = forms.CharField(required=False, max_length=128)
    user_id = forms.CharField(required=False, max_length=128)
    session_id = forms.CharField(required=False, max_length=128)
    sort = forms.ChoiceField(
        required=False, choices=[("newest", "newest first"), ("oldest", "oldest first")]
    )

    def to_filters(self, *, namespace_id: int) -> EpisodeFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return EpisodeFilters(
            namespace_id=namespace_id,
            agent_id=data.get("agent_id") or None,
            user_id=data.get("user_id") or None,
            session_id=data.get("session_id") or None,
            text=data.get("text") or None,
            task_type=data.get("task_type") or None,
            verdict=data.get("verdict") or None,
            domain=data.get("domain") or None,
            tag=data.get("tag") or None,
            started_after=data.get("started_after"),
            started_before=data.get("started_before"),
        )

    @property
    def newest_first(self) -> bool:
        return not (self.is_valid() and self.cleaned_data.get("sort") == "oldest")


class EpisodeIdsField(forms.Field):
    """Checked boxes of episode ids: each one a UUID (else the form says which is not),
    duplicates dropped, in the order sent."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": "select at least one episode",
        "invalid": "%(value)s is not an episode id",
    }

    def to_python(self, value: object) -> list[UUID]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        ids: list[UUID] = []
        for item in values:
            try:
                ids.append(UUID(str(item)))
            except ValueError:
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid", params={"value": str(item)[:60]}
                ) from None
        return list(dict.fromkeys(ids))


class BulkActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("tag", "tag"), ("archive", "archive"), ("delete", "delete")]
    )
    episode_ids = EpisodeIdsField()
    tag = forms.CharField(required=False, max_length=limits.TAG_LENGTH_MAX)

    def clean_tag(self) -> str:
        # Tags are stored lowercased, and lowercasing can lengthen a text ("İ" is two
        # characters in lower case): the limit applies to what would be stored. The tag
        # goes on as typed: the service redacts secrets before it lowercases.
        tag: str = self.cleaned_data["tag"]
        if len(tag.lower()) > limits.TAG_LENGTH_MAX:
            raise forms.ValidationError(
                f"is {len(tag.lower())} characters once lowercased; "
                f"the limit is {limits.TAG_LENGTH_MAX}"
            )
        return tag

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("action") == "tag" and not data.get("tag") and "tag" not in self.errors:
            self.add_error("tag", "name the tag to add")
        return data


class PatternFilterForm(forms.Form):
    kind = forms.ChoiceField(required=False, choices=BLANK + PatternKind.choices)
    task_type = forms.ChoiceField(required=False, choices=BLANK + TaskType.choices)
    domain = forms.CharField(required=False, max_length=60)


class HeuristicFilterForm(forms.Form):
    text = forms.CharField(required=False, max_length=200)
    min_confidence = forms.FloatField(required=False, min_value=0, max_value=1)


class RetrievalForm(forms.Form):
    description = forms.CharField(max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))
    task_type = forms.ChoiceField(required=False, choices=BLANK + TaskType.choices)
    domain = forms.CharField(required=False, max_length=60)
    language = forms.CharField(required=False, max_length=60)
    tags = forms.CharField(required=False, max_length=300, help_text="comma-separated")
    limit = forms.IntegerField(required=False, min_value=1, max_value=50, initial=10)

    def context(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "task_type": data.get("task_type") or None,
            "domain": data.get("domain") or None,
            "language": data.get("language") or None,
            "tags": [t.strip() for t in (data.get("tags") or "").split(",") if t.strip()],
        }
