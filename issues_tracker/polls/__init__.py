"""Forum polls: building, opening and closing them, one response per person, live anonymous results."""
