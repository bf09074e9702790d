# ctsim: the README's two commands (`make demo`, `make test`) do all set-up on a fresh machine.
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin

SWIFT ?= swift
CLANG ?= clang
BPF_CFLAGS := -target bpf -O2 -g -Wall -Werror -I bpf/include -fdebug-prefix-map=$(CURDIR)=.
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,bpf/build/%.bpf.o,$(BPF_SRCS))
BPF_HDRS := $(wildcard bpf/include/ctsim/*.h)

# Debian packages the project needs: the C libraries' -dev packages, the kernel tools the
# live-kernel tests drive, and pkg-config for SwiftPM's system-library targets.
APT_PACKAGES := pkg-config libpcap-dev libbpf-dev libnetfilter-conntrack-dev libnfnetlink-dev libmnl-dev \
	linux-libc-dev bpftool iproute2 nftables conntrack

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build release test demo bpf pcaps clean

all: build

## deps: install what the project needs with apt (idempotent: does nothing when all is there).
deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if ! $(CLANG) -print-targets 2>/dev/null | grep -q '^ *bpf '; then missing="$$missing clang llvm"; fi; \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing$$missing"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	else \
		echo "make deps: everything is installed"; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product ctsim

## bpf: build every bpf/*.bpf.c into bpf/build/ with clang's BPF target.
bpf: deps $(BPF_OBJS)

bpf/build/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS)
	@mkdir -p bpf/build
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

## test: build and run every test, live-kernel tests included (they need root), then the examples' regression suite.
test: deps bpf
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$$($(SWIFT) build --show-bin-path)/ctsim check Suites/examples.yaml

## demo: the main job on the embedded simulator: the example XDP firewall replayed over a sample capture.
demo: release
	$(MAKE) bpf && .build/release/ctsim replay --trace bpf/build/xdp_ct_firewall.bpf.o Pcaps/tcp-handshake-close.pcap

## pcaps: regenerate the sample captures (byte-identical unless their code changed).
pcaps:
	$(SWIFT) run ctsim-samples Pcaps

clean:
	rm -rf .build bpf/build
