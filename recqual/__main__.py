"""`python -m recqual` is the `recqual` command."""

from recqual.cli import main

raise SystemExit(main())
