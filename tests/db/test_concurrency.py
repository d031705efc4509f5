"""Two processes writing to one libSQL file at once both succeed.

libsql holds the GIL while it waits on a locked database, so two *threads*
stall each other; the product serves with process workers instead.
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from tests.conftest import PYTHON, ROOT

WRITER = textwrap.dedent(
    """
    import sys, django
    django.setup()
    from django.db import connection, transaction
    name = sys.argv[1]
    for i in range(100):
        with transaction.atomic():
            with connection.cursor() as c:
                c.execute("INSERT INTO rows_written (writer, n) VALUES (%s, %s)", [name, i])
    print("done", name)
    """
)


def test_two_processes_write_at_once(tmp_path: Path, project_env: dict[str, str]) -> None:
    db = tmp_path / "shared.db"
    env = {**project_env, "LIBSQL_DATABASE_PATH": str(db)}
    setup = (
        "import django; django.setup(); from django.db import connection; "
        "connection.cursor().execute('CREATE TABLE rows_written (writer TEXT, n INTEGER)')"
    )
    subprocess.run([PYTHON, "-c", setup], env=env, cwd=ROOT, check=True, timeout=60)
    procs = [
        subprocess.Popen(
            [PYTHON, "-c", WRITER, name],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    count = (
        "import django; django.setup(); from django.db import connection; "
        "c = connection.cursor(); c.execute('SELECT writer, count(*) FROM rows_written "
        "GROUP BY writer ORDER BY writer'); print(c.fetchall())"
    )
    result = subprocess.run(
        [PYTHON, "-c", count],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == "[('a', 100), ('b', 100)]"
