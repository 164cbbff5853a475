"""The Service Management Forum: meetings and their agenda, the calendar feed, the actions log,
and each meeting's generated pack."""
