"""Events: date, venue, capacity, programme and registration questions."""
