/* The unit-test executable: every test table, then the runner. */
#include "suites.h"

static const UnitTest *const suites[] = {
    api_tests,
    option_tests,
    validation_tests,
    framediff_tests,
    external_tests,
    composite_tests,
    resize_tests,
    background_tests,
    colorspace_tests,
    graph_tests,
    tflite_tests,
    tfjs_tests,
    tfjs_spec_tests,
    rvm_tests,
#if BD_HAVE_XNNPACK /* unit/test_nn.c is built only with XNNPACK */
    nn_tests,
#endif
    resample_tests,
    orient_tests,
    v4l2_tests,
    cpu_tests,
    scale_tests,
    matte_tests,
    matte_stage_tests,
    edge_tests,
    control_tests,
    preview_tests,
    demand_tests,
    NULL,
};

int main(int argc, char **argv)
{
    return unit_main(argc, argv, suites);
}
