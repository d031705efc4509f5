from uuid import UUID

from django.db import migrations


def renumber(apps, schema_editor):
    """Give every full-text document the rowid derived from its episode id
    (episodes.search_index.fts_rowid), so it is found by key, not by a scan."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT rowid, episode_id FROM episodes_fts")
        rows = cursor.fetchall()
        for rowid, episode_id in rows:
            new = UUID(hex=episode_id).int >> 65
            if new != rowid:
                cursor.execute("UPDATE episodes_fts SET rowid = %s WHERE rowid = %s", [new, rowid])


class Migration(migrations.Migration):
    dependencies = [("episodes", "0002_full_text_index")]

    operations = [migrations.RunPython(renumber, migrations.RunPython.noop)]
