"""Infrastructure every part uses: extensions, configuration, the unit of work, errors, logging,
templating, formats, htmx, permissions, PDF, charts."""
