# The two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,dask]'
	touch $(STAMP)

## Extract from corpus/articles/ into outputs/, score against corpus/gold/ (rules and bare model), write outputs/report/;
## then extract the web pages and PDFs of corpus/pages/ and score them against the same articles' gold.
run: $(STAMP)
	$(BIN)/policy-extract run corpus/articles --out outputs
	$(BIN)/policy-extract evaluate --gold corpus/gold --pred outputs/mentions.jsonl --out outputs/evaluation.json
	$(BIN)/policy-extract evaluate --gold corpus/gold --no-rules --no-errors --out outputs/evaluation-no-rules.json
	$(BIN)/policy-extract run corpus/pages --out outputs/pages
	$(BIN)/policy-extract evaluate --gold corpus/gold --pred outputs/pages/mentions.jsonl --align --no-errors --out outputs/pages/evaluation.json
	$(BIN)/policy-extract report

## Lint, type-check and run the whole test suite (unit tests on spacy.blank, end-to-end tests on the real model).
test: $(STAMP)
	$(BIN)/ruff check pipeline tests
	$(BIN)/mypy
	$(BIN)/python -m pytest

## Throughput and memory of the naive loop, the NER-only ceiling and policy-extract on a 1M-word synthetic corpus.
bench: $(STAMP)
	$(BIN)/python -m pipeline.bench

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests
	$(BIN)/ruff format --check pipeline tests

clean:
	rm -rf $(VENV) outputs/*.jsonl outputs/*.csv outputs/*.json
