"""Simulation-kernel benchmark: the battery recurrence in numba, plain Python and C, side by side.

Measured in one run:

1. throughput of the import-band battery recurrence (self-consumption, one year hourly,
   all six output series written) in M battery-steps/s on one core: numba
   (``band_kernel``), the plain-Python reference (``reference.band_dispatch``) and the same
   loop in C (``benchmarks/soc_loop.c``, compiled here with ``gcc -O3 -march=native`` when a
   compiler is present); the outputs of numba and C are checked equal first;
2. the Monte Carlo summary kernel (sampled load and PV, battery, energy + demand charges):
   10,000 samples x 8,760 hours on 1 and on 2 threads;
3. compile cost: first call in a fresh process with an empty numba cache, then a second
   process that loads the cache.

Targets (issue 6): >= 100 M steps/s per core, >= 100 x the Python reference, within 2 x the
C loop; 10,000 x 8,760 in <= 1 s on 2 cores; near-zero compile cost on a second run.

Run: ``python benchmarks/bench_kernels.py`` (writes ``benchmarks/results/kernels.json``).
"""

from __future__ import annotations

import ctypes
import json
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import numba
import numpy as np

from munigrid.models.simulation import reference
from munigrid.models.simulation.battery import band_kernel
from munigrid.models.simulation.ensemble import ensemble_kernel
from munigrid.models.simulation.sampling import SampleSource, day_block_bootstrap
from munigrid.models.simulation.strategies import self_consumption
from munigrid.models.simulation.tariff_arrays import flat_tariff

HERE = pathlib.Path(__file__).parent
RESULTS = HERE / "results" / "kernels.json"
C_SOURCE = HERE / "soc_loop.c"
N_STEPS = 8760
CALLS = 400  # kernel calls per timing batch
BATCHES = 7
MC_SAMPLES = 10_000
# 3.2 TOU <22 kV energy (on 4.3297 / off 2.6369 THB/kWh) + Ft 0.1572, VAT 7 %; on-peak demand 210.00 THB/kW
# (PEA/MEA schedules, /work/shared/reference/thai-energy.md); the demand window here is the whole month.
ON_THB, OFF_THB, FT_THB, VAT, DEMAND_THB_PER_KW = 4.3297, 2.6369, 0.1572, 1.07, 210.0


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo, else the machine type."""
    cpuinfo = pathlib.Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.machine()


def synthetic_year(seed: int = 0):
    """An office-like hourly load [kW] and PV per kWp [kW/kWp] for one year (fixed seed)."""
    rng = np.random.default_rng(seed)
    hour = np.arange(N_STEPS) % 24
    weekday = (np.arange(N_STEPS) // 24) % 7 < 5
    load = 60 + 90 * ((hour >= 8) & (hour < 18) & weekday) + rng.normal(0, 8, N_STEPS).clip(-20, 20)
    clear = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None)
    pv = clear * np.repeat(rng.uniform(0.3, 1.0, N_STEPS // 24), 24)
    return load, pv


def band_args(load, pv_kw):
    band = self_consumption(N_STEPS)
    return (load, pv_kw, band.low_kw, band.high_kw, band.grid_target_frac, 300.0, 100.0, 0.95, 0.95, 0.1, 1.0,
            0.5, 1.0, False, np.inf)


def best_seconds_per_call(fn, calls=CALLS, batches=BATCHES) -> float:
    fn()
    best = np.inf
    for _ in range(batches):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def compile_c(workdir: pathlib.Path):
    """Compile soc_loop.c to a shared library; None when no compiler is found."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        return None, "no C compiler found"
    lib = workdir / "soc_loop.so"
    flags = ["-O3", "-march=native", "-shared", "-fPIC"]
    subprocess.run([cc, *flags, str(C_SOURCE), "-o", str(lib)], check=True)
    version = subprocess.run([cc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    return ctypes.CDLL(str(lib)), f"{version} {' '.join(flags)}"


def c_runner(lib, args):
    load, pv, low, high, target, energy, power, eff_c, eff_d, smin, smax, sinit, dt, export, limit = args
    n = load.size
    outs = [np.empty(n), np.empty(n), np.empty(n + 1), np.empty(n), np.empty(n), np.empty(n)]
    ptr = ctypes.POINTER(ctypes.c_double)
    fn = lib.band_loop
    fn.restype = None
    fn.argtypes = [ctypes.c_long] + [ptr] * 5 + [ctypes.c_double] * 8 + [ctypes.c_int, ctypes.c_double] + [ptr] * 6
    in_ptrs = [a.ctypes.data_as(ptr) for a in (load, pv, low, high, target)]
    out_ptrs = [a.ctypes.data_as(ptr) for a in outs]
    scalars = [energy, power, eff_c, eff_d, smin, smax, sinit, dt]

    def run():
        fn(n, *in_ptrs, *scalars, int(export), limit, *out_ptrs)
        return outs

    return run


def cold_and_cached_seconds() -> dict:
    """First call in a new process with an empty cache, then again in a second process."""
    script = (
        "import time; t0 = time.perf_counter()\n"
        "import numpy as np\n"
        "from munigrid.models.simulation.battery import band_kernel\n"
        "from munigrid.models.simulation.ensemble import ensemble_kernel\n"
        "from munigrid.models.simulation.strategies import self_consumption\n"
        "from munigrid.models.simulation.tariff_arrays import flat_tariff\n"
        "from numba.core.registry import cpu_target\n"
        "t1 = time.perf_counter()\n"
        "cpu_target.target_context.refresh()  # numba's own per-process set-up, cached or not\n"
        "t1b = time.perf_counter()\n"
        "n = 48; b = self_consumption(n); x = np.ones(n)\n"
        "band_kernel(x, x, b.low_kw, b.high_kw, b.grid_target_frac, 1.0, 1.0, 0.9, 0.9, 0.1, 1.0, 0.5, 1.0, False, 1.0)\n"
        "t2 = time.perf_counter()\n"
        "ensemble_kernel(np.zeros((2, 2), dtype=np.int64), np.ones(2), x, x, x, x, 24, np.ones((1, 3)), 0.9, 0.9,"
        " 0.1, 1.0, 0.5, b.low_kw, b.high_kw, b.grid_target_frac, flat_tariff(n, 4.0, demand_thb_per_kw=200.0),"
        " 1.0, np.inf, np.zeros((2, 1)))\n"
        "t3 = time.perf_counter()\n"
        "print(t1 - t0, t1b - t1, t2 - t1b, t3 - t2)\n"
    )
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("first_process", "second_process"):
            res = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
            imp, setup, band, ens = map(float, res.stdout.split())
            out[label] = {"import_s": imp, "numba_setup_s": setup, "band_kernel_first_call_s": band,
                          "ensemble_kernel_first_call_s": ens}
    return out


def monte_carlo_seconds(load, pv, threads: int) -> float:
    source = SampleSource.bootstrap(load, pv, n_steps=N_STEPS, step_h=1.0)
    hour = np.arange(N_STEPS) % 24
    on_peak = (hour >= 9) & (hour < 22)
    price = VAT * (np.where(on_peak, ON_THB, OFF_THB) + FT_THB)
    tariff = flat_tariff(N_STEPS, price, period_of_step=np.minimum(np.arange(N_STEPS) // 730, 11),
                         demand_thb_per_kw=VAT * DEMAND_THB_PER_KW)
    day_map = day_block_bootstrap(MC_SAMPLES, 365, 365, seed=1)
    band = self_consumption(N_STEPS)
    args = (day_map, np.ones(MC_SAMPLES), source.base_load_kw, source.source_load_kw, source.base_pv_kw_per_kwp,
            source.source_pv_kw_per_kwp, 24, np.array([[100.0, 300.0, 100.0]]), 0.95, 0.95, 0.1, 1.0, 0.5,
            band.low_kw, band.high_kw, band.grid_target_frac, tariff, 1.0, np.inf, np.zeros((MC_SAMPLES, 12)))
    numba.set_num_threads(threads)
    ensemble_kernel(*args)
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        ensemble_kernel(*args)
        best = min(best, time.perf_counter() - start)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    return best


def main() -> None:
    load, pv = synthetic_year()
    args = band_args(load, 100.0 * pv)
    numba_s = best_seconds_per_call(lambda: band_kernel(*args))
    ref_args = [a.tolist() if isinstance(a, np.ndarray) else a for a in args]
    python_s = best_seconds_per_call(lambda: reference.band_dispatch(*ref_args), calls=1, batches=3)
    with tempfile.TemporaryDirectory() as tmp:
        lib, c_compiler = compile_c(pathlib.Path(tmp))
        c_s = None
        if lib is not None:
            run_c = c_runner(lib, args)
            for got, want in zip(run_c(), band_kernel(*args)):
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)
            c_s = best_seconds_per_call(run_c)
    mc_1 = monte_carlo_seconds(load, pv, 1)
    mc_2 = monte_carlo_seconds(load, pv, 2)
    compile_times = cold_and_cached_seconds()

    def msteps(seconds):
        return N_STEPS / seconds / 1e6 if seconds else None

    mc_steps = MC_SAMPLES * N_STEPS
    results = {
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "load_average_1min": os.getloadavg()[0],
                    "python": platform.python_version(), "numba": numba.__version__, "numpy": np.__version__,
                    "c_compiler": c_compiler},
        "recurrence": {
            "steps_per_call": N_STEPS,
            "numba_msteps_per_s": msteps(numba_s),
            "python_reference_msteps_per_s": msteps(python_s),
            "c_msteps_per_s": msteps(c_s),
            "numba_over_python": python_s / numba_s,
            "c_over_numba": (numba_s / c_s) if c_s else None,
        },
        "monte_carlo": {
            "samples": MC_SAMPLES, "steps_per_sample": N_STEPS,
            "seconds_1_thread": mc_1, "seconds_2_threads": mc_2,
            "msteps_per_s_per_core_1_thread": mc_steps / mc_1 / 1e6,
            "msteps_per_s_per_core_2_threads": mc_steps / mc_2 / 2 / 1e6,
        },
        "compile": compile_times,
        "targets": {
            "numba_ge_100_msteps_per_s": msteps(numba_s) >= 100,
            "numba_ge_100x_python": python_s / numba_s >= 100,
            "numba_within_2x_c": (numba_s / c_s <= 2) if c_s else None,
            "monte_carlo_10000x8760_le_1s_on_2_cores": mc_2 <= 1.0,
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")

    rec = results["recurrence"]
    print(f"battery recurrence, {N_STEPS} steps per call, one core")
    print(f"  {'implementation':<22}{'M steps/s':>12}{'vs numba':>10}")
    for name, key in (("numba", "numba_msteps_per_s"), ("C (gcc -O3)", "c_msteps_per_s"),
                      ("Python reference", "python_reference_msteps_per_s")):
        value = rec[key]
        if value is None:
            print(f"  {name:<22}{'n/a':>12}")
        else:
            print(f"  {name:<22}{value:>12.1f}{value / rec['numba_msteps_per_s']:>10.3f}")
    mc = results["monte_carlo"]
    print(f"Monte Carlo {MC_SAMPLES} x {N_STEPS} (battery + tariff cost): "
          f"{mc['seconds_1_thread']:.3f} s on 1 thread, {mc['seconds_2_threads']:.3f} s on 2 threads "
          f"({mc['msteps_per_s_per_core_2_threads']:.0f} M steps/s per core)")
    for label, row in compile_times.items():
        print(f"{label:<15} import {row['import_s']:.2f} s, numba set-up {row['numba_setup_s']:.2f} s, first call: "
              f"band_kernel {row['band_kernel_first_call_s']:.3f} s, ensemble_kernel "
              f"{row['ensemble_kernel_first_call_s']:.3f} s")
    print("  (numba set-up: numba's own per-process registry loading, paid once per process with or without cache)")
    print("targets:", ", ".join(f"{k}={v}" for k, v in results["targets"].items()))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
