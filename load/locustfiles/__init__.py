"""One locustfile per scenario (see ``load.SCENARIOS``); each is run by path, never imported by pytest."""
