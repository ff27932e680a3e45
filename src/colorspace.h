/* Y'CbCr <-> R'G'B' coefficients for the two matrices and ranges. */
#ifndef BACKDROP_COLORSPACE_H
#define BACKDROP_COLORSPACE_H

#include "internal.h"

typedef struct YuvCoefficients {
    float kr, kg, kb;    /* luma weights of R, G, B */
    float y_scale;       /* 8-bit RGB levels per Y code value (255/219 limited, 1 full) */
    float c_scale;       /* levels per U/V code value (255/224 limited, 1 full) */
    float y_offset;      /* Y code value of black: 16 limited, 0 full */
} YuvCoefficients;

YuvCoefficients bd_yuv_coefficients(BackdropColorRange range, BackdropColorMatrix matrix);

#endif
