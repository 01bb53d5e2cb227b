"""Reminders (提醒): what falls due on the users' to-do lists, told to the person who must act — in the platform
(the bell), by e-mail and through a county's group robot (企业微信 or 钉钉). ``villages.models`` imports the
tables from ``models.py`` so that they register under the ``villages`` app label."""
