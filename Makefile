# Transferscope: the commands a newcomer needs. `make help` lists them.
SWIFT ?= swift

.PHONY: help deps build test lint format demo data bench fixtures fuzz

help:
	@echo "make demo      install what is missing, build, run the quick study, print where its report is"
	@echo "make test      install what is missing (Open MPI too), build, run the test suite (and the numeric suites on every CPU path)"
	@echo "make data      install the built-in datasets' packages and prepare them all"
	@echo "make build     release build of the transferscope CLI"
	@echo "make lint      check the code style (.swift-format); part of make test"
	@echo "make format    rewrite the sources in the code style"
	@echo "make fuzz      fuzz every file reader for a minute each (FUZZ_SEED=N picks the seed)"
	@echo "make bench     Transferscope vs PyTorch throughput, side by side (installs torch into the project's venv)"
	@echo "make fixtures  regenerate the PyTorch parity fixtures (installs torch, torchvision, safetensors into the venv)"

deps:
	bash scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product transferscope

test:
	bash scripts/install-deps.sh --for-tests
	bash scripts/lint.sh
	$(SWIFT) test
	bash scripts/test-cpu-paths.sh
	bash scripts/fuzz.sh 10

lint:
	bash scripts/lint.sh

format:
	$(SWIFT) format format --in-place --recursive Package.swift Sources Tests Benchmarks Fuzz

demo:
	bash scripts/demo.sh

data: build
	bash scripts/install-data.sh
	.build/release/transferscope data prepare all

bench: deps
	bash Benchmarks/run.sh

fixtures: build
	py=$$(bash scripts/python-env.sh torch torchvision safetensors numpy) && "$$py" Tests/TransferscopeNNTests/Fixtures/generate_fixtures.py --swift .build/release/transferscope

fuzz: deps
	bash scripts/fuzz.sh 60
