"""What ``manage.py bench`` serves under gunicorn: the project's own URLs plus the bare floor views."""
