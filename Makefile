# Whittle: `make demo` shows it working; `make test` runs every test. Both install what is missing.
SWIFT ?= swift
VENV := .venv
PYTHON := $(VENV)/bin/python
WHITTLE := .build/debug/whittle
DEMO_OUT := .build/demo

.PHONY: all deps venv build release test unit-test interop-test conformance conformance-report lint format demo proto bench clean

all: build

deps:
	@Tools/install-deps.sh

# Pinned onnx / onnxruntime / numpy / pytest for interop tests and benchmarks.
venv: $(VENV)/.installed
$(VENV)/.installed: Tools/interop/requirements.txt
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --disable-pip-version-check -r Tools/interop/requirements.txt
	@touch $@

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Regenerates the protobuf-c bridge from libonnx-dev's onnx.proto.
proto: deps
	Tools/generate-proto.sh

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

format:
	$(SWIFT) format format --in-place --recursive Sources Tests Package.swift

unit-test: build conformance
	$(SWIFT) test

# The ONNX backend node tests, generated from the pinned onnx package (not committed).
conformance: venv
	@test -f .build/node-tests/manifest.json || $(PYTHON) Tools/conformance/generate_node_tests.py .build/node-tests

conformance-report: venv
	$(PYTHON) Tools/conformance/report.py --update

interop-test: build venv
	WHITTLE=$(abspath $(WHITTLE)) $(PYTHON) -m pytest -q Tests/Interop

test: lint unit-test interop-test

demo: build
	@mkdir -p $(DEMO_OUT)
	$(WHITTLE) inspect Fixtures/digits_cnn/model.onnx
	$(WHITTLE) check Fixtures/digits_cnn/model.onnx
	$(WHITTLE) convert Fixtures/digits_cnn/model.onnx -o $(DEMO_OUT)/digits_cnn.onnx
	$(WHITTLE) convert Fixtures/digits_cnn/model.onnx -o $(DEMO_OUT)/digits_cnn_external.onnx --external-data --size-threshold 1024
	$(WHITTLE) check $(DEMO_OUT)/digits_cnn_external.onnx
	$(WHITTLE) inspect $(DEMO_OUT)/digits_cnn_external.onnx --json
	$(WHITTLE) optimize Fixtures/digits_cnn/model.onnx -o $(DEMO_OUT)/digits_clean.onnx --pipeline cleanup --verify --inputs Fixtures/digits_cnn/test_data --max-delta accuracy=0.005 --report $(DEMO_OUT)/cleanup_report.json --html $(DEMO_OUT)/cleanup_report.html
	$(WHITTLE) diff Fixtures/digits_cnn/model.onnx $(DEMO_OUT)/digits_clean.onnx
	$(WHITTLE) optimize Fixtures/digits_cnn/model.onnx -o $(DEMO_OUT)/digits_int8.onnx --pipeline cleanup,quantize --calibration Fixtures/digits_cnn/test_data --verify --inputs Fixtures/digits_cnn/test_data --max-delta accuracy=0.005
	$(WHITTLE) compare Fixtures/digits_cnn/model.onnx $(DEMO_OUT)/digits_int8.onnx --inputs Fixtures/digits_cnn/test_data

bench: release venv
	$(PYTHON) Tools/bench/load_save.py

clean:
	rm -rf .build $(VENV)
