"""The fuzzer: mutated policies and generated YAML run through the library, every output format and
the CLI; each run is classified OK or a finding (an escaped exception, a traceback or exit 70, a run
over the CPU ceiling, an error without a position). `make fuzz` runs it at scale (`python -m
tests.fuzz --help`); tests/test_fuzz.py runs a bounded, seeded budget and replays the corpus of
minimised findings in `corpus/`. See docs/security.md."""
