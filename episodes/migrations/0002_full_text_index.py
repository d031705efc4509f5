from django.db import migrations


class Migration(migrations.Migration):
    """The FTS5 index over episode text (kept by episodes/search_index.py)."""

    dependencies = [("episodes", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql="CREATE VIRTUAL TABLE episodes_fts USING fts5("
            "episode_id UNINDEXED, body, tokenize = 'porter unicode61')",
            reverse_sql="DROP TABLE episodes_fts",
        )
    ]
