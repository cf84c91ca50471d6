/* The import-band battery recurrence of munigrid.models.simulation.battery.band_kernel,
 * written in C for the side-by-side benchmark (benchmarks/bench_kernels.py compiles it
 * with gcc -O3 at benchmark time). Same inputs, same outputs, same order of operations. */
#include <math.h>

static inline double dmin(double a, double b) { return a < b ? a : b; }

static inline double discharge_limit(double soc, double soc_min, double power, double d_rate) {
    double limit = (soc - soc_min) * d_rate;
    if (limit > power) limit = power;
    return limit > 0.0 ? limit : 0.0;
}

static inline double charge_limit(double soc, double ceiling, double power, double c_rate) {
    double limit = (ceiling - soc) * c_rate;
    if (limit > power) limit = power;
    return limit > 0.0 ? limit : 0.0;
}

void band_loop(long n, const double *load, const double *pv, const double *low, const double *high,
               const double *target_frac, double energy, double power, double eff_c, double eff_d,
               double soc_min_frac, double soc_max_frac, double soc_initial_frac, double dt,
               int export_allowed, double export_limit,
               double *charge, double *discharge, double *soc, double *imp, double *exp_, double *curtail) {
    double soc_min = soc_min_frac * energy, soc_max = soc_max_frac * energy;
    double e = soc_initial_frac * energy;
    double c_rate = 1.0 / (eff_c * dt), d_rate = eff_d / dt, gain = eff_c * dt, loss = dt / eff_d;
    soc[0] = e;
    for (long t = 0; t < n; t++) {
        double net = load[t] - pv[t], c = 0.0, d = 0.0;
        if (net > high[t]) {
            double want = net - high[t];
            d = dmin(want, discharge_limit(e, soc_min, power, d_rate));
        } else if (net < low[t]) {
            double want = low[t] - net;
            double surplus = net < 0.0 ? -net : 0.0;
            if (surplus > want) surplus = want;
            double from_grid = dmin(want - surplus, charge_limit(e, target_frac[t] * energy, power, c_rate));
            c = dmin(surplus + from_grid, charge_limit(e, soc_max, power, c_rate));
        }
        double grid = net + c - d, m = 0.0, x = 0.0, k = 0.0;
        if (grid >= 0.0) {
            m = grid;
        } else if (!export_allowed) {
            k = -grid;
        } else {
            x = dmin(-grid, export_limit);
            k = -grid - x;
        }
        charge[t] = c; discharge[t] = d; imp[t] = m; exp_[t] = x; curtail[t] = k;
        e = e + gain * c - loss * d;
        soc[t + 1] = e;
    }
}
