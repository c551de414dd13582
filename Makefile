# Developer shortcuts. CI runs `python -m pytest` through .ci/run; these wrap the same commands.
#   make test                       the whole suite (tests/robustness included)
#   make robustness                 only the bad-input and fault suite (tests/robustness)
#   make lint                       ruff check + format check
#   make typecheck                  mypy over aima_ci/ and collectors/ (as .ci/run does)
#   make fuzz [FUZZ_SECONDS=600]    atheris on the garak report reader (needs: pip install atheris)

PYTHON ?= python3
FUZZ_SECONDS ?= 60
FUZZ_DIR ?= build/fuzz
FUZZ_CORPUS ?= $(FUZZ_DIR)/garak-corpus

.PHONY: test robustness lint typecheck fuzz

test:
	$(PYTHON) -m pytest

robustness:
	$(PYTHON) -m pytest tests/robustness

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

typecheck:
	$(PYTHON) -m mypy

# The seed corpus is the committed garak fixtures, copied so libFuzzer can add to it; crashes are
# written to $(FUZZ_DIR)/crash-* (replay one: $(PYTHON) fuzz/garak_report.py <file>).
fuzz:
	mkdir -p $(FUZZ_CORPUS)
	cp tests/fixtures/garak/*.jsonl $(FUZZ_CORPUS)/
	$(PYTHON) fuzz/garak_report.py $(FUZZ_CORPUS) \
		-max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048 \
		-artifact_prefix=$(FUZZ_DIR)/ -print_final_stats=1
