#pragma once
#include <cblas.h>
// Declared by OpenBLAS's cblas.h; repeated here so the intent is visible.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
