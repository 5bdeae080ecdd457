"""Every word hirebot shows a user, as Jinja2 templates (installed as ``hirebot_templates``)."""
