/* The unit-test executable: every test table, then the runner. */
#include "suites.h"

static const UnitTest *const suites[] = {
    api_tests,
    validation_tests,
    framediff_tests,
    composite_tests,
    resize_tests,
    background_tests,
    colorspace_tests,
    tflite_tests,
    nn_tests,
    resample_tests,
    scale_tests,
    NULL,
};

int main(int argc, char **argv)
{
    return unit_main(argc, argv, suites);
}
