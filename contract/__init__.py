"""recqual's conformance suite: qualifies a server against ``specs/`` and the reference.

Run it with ``pytest contract`` (see ``contract/plugin.py`` for the options). It shares nothing with
``emulator/`` but the specs: against no ``--target`` it starts the emulator as a subprocess.
"""
