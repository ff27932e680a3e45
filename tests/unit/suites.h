/* The test tables, one per test file; main.c runs them in this order. */
#ifndef UNIT_SUITES_H
#define UNIT_SUITES_H

#include "harness.h"

extern const UnitTest api_tests[];
extern const UnitTest option_tests[];
extern const UnitTest validation_tests[];
extern const UnitTest framediff_tests[];
extern const UnitTest external_tests[];
extern const UnitTest composite_tests[];
extern const UnitTest resize_tests[];
extern const UnitTest background_tests[];
extern const UnitTest colorspace_tests[];
extern const UnitTest graph_tests[];
extern const UnitTest tflite_tests[];
extern const UnitTest tfjs_tests[];
extern const UnitTest tfjs_spec_tests[];
extern const UnitTest rvm_tests[];
extern const UnitTest nn_tests[];
extern const UnitTest resample_tests[];
extern const UnitTest orient_tests[];
extern const UnitTest v4l2_tests[];
extern const UnitTest cpu_tests[];
extern const UnitTest scale_tests[];
extern const UnitTest matte_tests[];
extern const UnitTest matte_stage_tests[];
extern const UnitTest edge_tests[];
extern const UnitTest control_tests[];
extern const UnitTest preview_tests[];
extern const UnitTest demand_tests[];

#endif
