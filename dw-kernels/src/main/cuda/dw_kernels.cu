// The translation unit nvcc compiles into the fatbin: every kernel of dw-kernels.
#include "box_overlaps.cu"
#include "pair_priors.cu"
#include "nms.cu"
#include "dw_weighting.cu"
