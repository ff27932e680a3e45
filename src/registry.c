/*
 * The registry: every method and stage the library has. Adding one is its
 * file plus one line here, in the list of its kind; the component array,
 * the method names and the choices of the stage selectors all come from
 * these lists.
 *
 * The unit tests compile this file a second time with BD_TEST_COMPONENTS,
 * which adds the test-only method of tests/unit/test_method.c: a method
 * registered exactly as a real one is.
 */
#include <string.h>

#include "pipeline.h"

#ifdef BD_TEST_COMPONENTS
#define TEST_METHODS(X) X(bd_segment_constant, "constant")
#else
#define TEST_METHODS(X)
#endif

/* The neural method needs XNNPACK (meson option xnnpack). */
#if BD_HAVE_XNNPACK
#define NEURAL_METHODS(X) X(bd_segment_selfie, "selfie") X(bd_segment_rvm, "rvm")
#else
#define NEURAL_METHODS(X)
#endif

#define METHODS(X)                        \
    X(bd_segment_framediff, "framediff")  \
    NEURAL_METHODS(X)                     \
    X(bd_segment_external, "external")    \
    TEST_METHODS(X)
#define REFINE_STAGES(X)              \
    X(bd_refine_bilinear, "bilinear") \
    X(bd_refine_guided, "guided")     \
    X(bd_refine_bilateral, "bilateral")
#define STABILISE_STAGES(X)              \
    X(bd_stabilise_adaptive, "adaptive") \
    X(bd_stabilise_ema, "ema")
#define CLEANUP_STAGES(X) X(bd_cleanup_regions, "regions")
#define BACKGROUND_STAGES(X)          \
    X(bd_background_picture, "picture") \
    X(bd_background_blur, "blur")       \
    X(bd_background_transparent, "transparent")
#define COMPOSITE_STAGES(X) X(bd_composite_blend, "blend")

#define DECLARE(symbol, name) extern const BdComponent symbol;
#define POINTER(symbol, name) &symbol,
#define NAME(symbol, name) name,

METHODS(DECLARE)
REFINE_STAGES(DECLARE)
STABILISE_STAGES(DECLARE)
CLEANUP_STAGES(DECLARE)
BACKGROUND_STAGES(DECLARE)
COMPOSITE_STAGES(DECLARE)

/* Methods first; the first method, and the first background and composite
 * stage, are the defaults. */
const BdComponent *const bd_components[] = {
    METHODS(POINTER) REFINE_STAGES(POINTER) STABILISE_STAGES(POINTER)
    CLEANUP_STAGES(POINTER) BACKGROUND_STAGES(POINTER) COMPOSITE_STAGES(POINTER) NULL
};

/* The choices of the context options that select these stages (the
 * defaults are the context's, pipeline.c). */
const char *const bd_refine_names[] = { REFINE_STAGES(NAME) NULL };
const char *const bd_stabilise_names[] = { STABILISE_STAGES(NAME) "none", NULL };
const char *const bd_cleanup_names[] = { CLEANUP_STAGES(NAME) "none", NULL };
const char *const bd_background_names[] = { BACKGROUND_STAGES(NAME) NULL };

const BdComponent *bd_component_find(BdStageKind kind, const char *name)
{
    for (int i = 0; bd_components[i]; i++)
        if (bd_stage_of(bd_components[i]) == kind && !strcmp(bd_components[i]->pub.name, name))
            return bd_components[i];
    return NULL;
}
