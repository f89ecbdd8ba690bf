from pathlib import Path

PROCFILE = Path(__file__).resolve().parent.parent / "Procfile"


def test_every_process_runs_with_the_production_settings():
    processes = dict(line.split(": ", 1) for line in PROCFILE.read_text().splitlines() if line)
    assert set(processes) == {"release", "web", "worker"}
    for command in processes["release"].split(" && "):
        assert command.startswith("DJANGO_SETTINGS_MODULE=config.settings.base python manage.py")
    assert processes["worker"].startswith("DJANGO_SETTINGS_MODULE=config.settings.base ")
    # gunicorn loads config.wsgi, whose default is the production settings.
    assert processes["web"].startswith("gunicorn config.wsgi ")
    wsgi = (PROCFILE.parent / "config" / "wsgi.py").read_text()
    assert '"DJANGO_SETTINGS_MODULE", "config.settings.base"' in wsgi
