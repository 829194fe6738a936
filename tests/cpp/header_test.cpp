// The header from C++: extern "C" linkage, and the declarations usable as they are.
#include "softmargin.h"

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
    std::vector<double> x = {0.5, -2.0, 3.1, -0.2};
    std::vector<double> y = {1.0, -1.0, 1.0, -1.0};
    std::vector<double> grad(x.size());
    double mean = 0.0;
    int32_t status = softmargin_forward_backward_f64(x.data(), y.data(), x.size(),
                                                     SOFTMARGIN_REDUCTION_MEAN, &mean, grad.data());
    if (status != SOFTMARGIN_STATUS_OK) {
        std::printf("error: %s\n", softmargin_status_str(status));
        return 1;
    }
    double expected = 0.0;
    for (std::size_t i = 0; i < x.size(); i++) {
        expected += std::log1p(std::exp(-y[i] * x[i])) / 4.0;
    }
    std::printf("C++: mean %.6f, version %s\n", mean, softmargin_version());
    return std::fabs(mean - expected) < 1e-12 ? 0 : 1;
}
