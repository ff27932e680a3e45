# Entry points for people and CI. The build itself is Meson + Ninja; this file
# only installs what is missing, configures the build directories and runs.
#
#   make demo    set up, fetch the models, build, replace the background of the sample clip
#   make check   set up, build (plain and ASan+UBSan), run every test
#   make check-minimal  the same for a build without XNNPACK (-Dxnnpack=disabled:
#                framediff only, no selfie), plain build only
#   make bench   set up, build, run the speed benchmarks
#   make fuzz    set up, build, run every fuzz target for FUZZ_SECONDS
#   make models  fetch the selfie models into the cache (checksum-verified)

BUILD      ?= build
ASAN_BUILD ?= build-asan
MINIMAL_BUILD ?= build-minimal
OUT        ?= out
FUZZ_SECONDS ?= 60

OPENCV_DATA = /usr/share/doc/opencv-doc/examples/data
DEMO_INPUT  = $(OPENCV_DATA)/vtest.avi
DEMO_BG     = $(OPENCV_DATA)/starry_night.jpg

.PHONY: all setup models build build-asan build-minimal demo check check-minimal bench fuzz clean

all: build

setup:
	@sh scripts/setup.sh

models: setup
	@sh scripts/fetch-models.sh >/dev/null

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release -Db_ndebug=false

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined \
	    -Dc_args=-fno-sanitize-recover=undefined -Db_lundef=false

$(MINIMAL_BUILD)/build.ninja:
	meson setup $(MINIMAL_BUILD) --buildtype=release -Db_ndebug=false -Dxnnpack=disabled

build: setup $(BUILD)/build.ninja
	ninja -C $(BUILD)

build-asan: setup $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

build-minimal: setup $(MINIMAL_BUILD)/build.ninja
	ninja -C $(MINIMAL_BUILD)

# The main demo: a person facing the camera (a clip made once from the
# public-domain portrait Debian's python3-skimage ships, scripts/fetch-demo.sh);
# then the static-camera clip of people walking in a hall.
demo: build models
	@mkdir -p $(OUT)
	@portrait=$$(sh scripts/fetch-demo.sh) && \
	  $(BUILD)/tools/backdrop -b $(DEMO_BG) "$$portrait" -o $(OUT)/demo.mp4 && \
	  echo "demo: wrote $(abspath $(OUT)/demo.mp4) (a person facing the camera, background replaced)" || \
	  echo "demo: the portrait clip is unavailable (no Debian mirror?); skipped"
	$(BUILD)/tools/backdrop -m selfie -b $(DEMO_BG) $(DEMO_INPUT) -o $(OUT)/demo-vtest.mp4
	@echo "demo: wrote $(abspath $(OUT)/demo-vtest.mp4) (static camera, people walking; the lighter selfie method)"

# Without the models (no network), the tests that need them skip.
check: build build-asan
	@sh scripts/fetch-models.sh >/dev/null || echo "check: models unavailable; model tests will skip"
	@sh tests/run-all.sh $(BUILD) $(ASAN_BUILD)

# Not part of check: a third build. The selfie tests skip there.
check-minimal: build-minimal
	@sh scripts/fetch-models.sh >/dev/null || echo "check: models unavailable; model tests will skip"
	@sh tests/run-all.sh $(MINIMAL_BUILD)

bench: build models
	@sh bench/run.sh $(BUILD)

fuzz: build-asan models
	@sh tests/fuzz/run.sh $(ASAN_BUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(MINIMAL_BUILD)
