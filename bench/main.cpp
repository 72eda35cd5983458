// onlinesgd-bench: steps/s of the online SGD simulator on named or given configurations.
//   onlinesgd-bench                      all named configurations
// Columns: gen-floor is the time to only draw a step's inputs on the same threads; step/flr is
// a step's time over the larger of that and one read-modify-write pass over W (the memory
// floor, which rules at large K). The split times each phase alone on one thread.
// Prints the best of --repeats (default 7) runs of ~0.1 s and their median: the machines are
// shared, and the best run is the one least disturbed by other work.
// The chain-* cases time the overlap engine (docs/engines.md) in a second table: steps/s of one
// chain on one core (or one chain per thread), and the weights engine on the same model and the
// same cores in the same run, for the ratio per core.
//   onlinesgd-bench small large-f32      some of them
//   onlinesgd-bench --N 100000 --K 2 --M 2 --precision float32 --inputs gaussian --threads 2 --steps 20000
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "onlinesgd/kernel.hpp"
#include "onlinesgd/parallel.hpp"
#include "onlinesgd/version.hpp"
#include "chain_bench.hpp"
#include "hmm_bench.hpp"
#include "step_bench.hpp"

using onlinesgd::bench::Case;
using onlinesgd::bench::ChainCase;
using onlinesgd::bench::HmmCase;

namespace {

Case make(const char* name, std::int64_t N, int K, bool f32 = false, bool rademacher = false, double temperature = 0,
          double decay = 0, bool fa = false) {
  Case c;
  c.name = name;
  c.cfg.N = N;
  c.cfg.K = K;
  c.cfg.M = 2;
  c.cfg.lr = 0.5;
  c.cfg.precision = f32 ? onlinesgd::Precision::Float32 : onlinesgd::Precision::Float64;
  c.cfg.inputs = rademacher ? onlinesgd::Inputs::Rademacher : onlinesgd::Inputs::Gaussian;
  c.cfg.temperature = temperature;
  c.cfg.weight_decay = decay;
  c.cfg.feedback = fa ? onlinesgd::Feedback::Fixed : onlinesgd::Feedback::Backprop;
  return c;
}

std::vector<Case> named() {
  return {make("small", 1000, 2), make("medium", 10000, 2), make("large", 100000, 2), make("small-f32", 1000, 2, true),
          make("medium-f32", 10000, 2, true), make("large-f32", 100000, 2, true),
          make("large-rademacher", 100000, 2, false, true), make("large-rademacher-f32", 100000, 2, true, true),
          make("wide", 10000, 100), make("wide-f32", 10000, 100, true), make("huge", 100000, 100),
          make("huge-f32", 100000, 100, true),
          // learning rules (docs/theory.md §6, §7): FA and decay keep the pairs; Langevin draws K
          // noise rows per step, which its generation floor counts too
          make("large-fa", 100000, 2, false, false, 0, 0, true), make("large-decay", 100000, 2, false, false, 0, 0.1),
          make("large-langevin", 100000, 2, false, false, 0.01, 0.1),
          make("large-langevin-f32", 100000, 2, true, false, 0.01, 0.1),
          make("medium-langevin", 10000, 2, false, false, 0.01, 0.1)};
}

/// The overlap engine's cases (same models as above): K = M = 2 at N = 1e3, 1e5 (both against
/// the weights engine in the same run) and 1e12; K = 100; one chain per thread.
std::vector<ChainCase> chain_named() {
  auto chain = [](const char* name, std::int64_t N, int K, bool replicas, bool vs_weights) {
    return ChainCase{name, make(name, N, K).cfg, replicas, vs_weights};
  };
  return {chain("chain-small", 1000, 2, false, true),
          chain("chain-small-1e5", 100000, 2, false, true),
          chain("chain-small-1e12", 1000000000000, 2, false, false),
          chain("chain-wide", 100000, 100, false, false),
          chain("chain-replicas", 1000, 2, true, false),
          chain("chain-wide-replicas", 100000, 100, true, false)};
}

/// The hidden manifold model at N = 1e4, delta = 0.5 (docs/hidden_manifold.md): f(u) and its
/// Gaussian equivalent.
std::vector<HmmCase> hmm_named() {
  auto hmm = [](const char* name, onlinesgd::Inputs inputs) {
    HmmCase c{name, make(name, 10000, 2).cfg};
    c.cfg.inputs = inputs;
    c.cfg.latent_dim = 5000;
    c.cfg.lr = 1.0;
    return c;
  };
  return {hmm("hmm-medium", onlinesgd::Inputs::HiddenManifold),
          hmm("hmm-medium-gauss", onlinesgd::Inputs::ManifoldGaussian)};
}

[[noreturn]] void usage(int code) {
  std::printf(
      "usage: onlinesgd-bench [NAME...] [--N n] [--K k] [--M m] [--batch b] [--precision float64|float32]\n"
      "                       [--temperature T] [--weight-decay l] [--fa]\n"
      "                       [--inputs gaussian|rademacher] [--threads t] [--steps s] [--repeats r]\n"
      "                       [--target generic|x86-64-v3|x86-64-v4] [--list]\n"
      "Any of --N --K --M --batch --precision --inputs --temperature --weight-decay --fa defines a custom\n"
      "configuration instead of names.\n");
  std::exit(code);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Case> cases;
  Case custom = make("custom", 10000, 2);
  bool use_custom = false;
  int threads = 0, repeats = 7;
  std::uint64_t steps = 0;
  const auto all = named();
  const auto chain_all = chain_named();
  std::vector<ChainCase> chain_cases;
  const auto hmm_all = hmm_named();
  std::vector<HmmCase> hmm_cases;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage(2);
      return argv[++i];
    };
    if (a == "-h" || a == "--help")
      usage(0);
    else if (a == "--list") {
      for (const auto& c : all)
        std::printf("%-22s N=%lld K=%d M=%d %s %s\n", c.name.c_str(), static_cast<long long>(c.cfg.N), c.cfg.K, c.cfg.M,
                    c.cfg.precision == onlinesgd::Precision::Float32 ? "float32" : "float64",
                    c.cfg.inputs == onlinesgd::Inputs::Rademacher ? "rademacher" : "gaussian");
      for (const auto& c : chain_all)
        std::printf("%-22s N=%lld K=%d M=%d overlap engine%s\n", c.name.c_str(), static_cast<long long>(c.cfg.N),
                    c.cfg.K, c.cfg.M, c.replicas ? ", one chain per thread" : "");
      for (const auto& c : hmm_all)
        std::printf("%-22s N=%lld D=%lld K=%d M=%d hidden manifold\n", c.name.c_str(), static_cast<long long>(c.cfg.N),
                    static_cast<long long>(c.cfg.latent_dim), c.cfg.K, c.cfg.M);
      return 0;
    } else if (a == "--N")
      custom.cfg.N = std::atoll(value()), use_custom = true;
    else if (a == "--K")
      custom.cfg.K = std::atoi(value()), use_custom = true;
    else if (a == "--M")
      custom.cfg.M = std::atoi(value()), use_custom = true;
    else if (a == "--batch")
      custom.cfg.batch = std::atoi(value()), use_custom = true;
    else if (a == "--temperature")
      custom.cfg.temperature = std::atof(value()), use_custom = true;
    else if (a == "--weight-decay")
      custom.cfg.weight_decay = std::atof(value()), use_custom = true;
    else if (a == "--fa")
      custom.cfg.feedback = onlinesgd::Feedback::Fixed, use_custom = true;
    else if (a == "--precision") {
      const std::string p = value();
      if (p != "float32" && p != "float64") usage(2);
      custom.cfg.precision = p == "float32" ? onlinesgd::Precision::Float32 : onlinesgd::Precision::Float64;
      use_custom = true;
    } else if (a == "--inputs") {
      const std::string p = value();
      if (p != "gaussian" && p != "rademacher") usage(2);
      custom.cfg.inputs = p == "rademacher" ? onlinesgd::Inputs::Rademacher : onlinesgd::Inputs::Gaussian;
      use_custom = true;
    } else if (a == "--threads")
      threads = std::atoi(value());
    else if (a == "--steps")
      steps = std::strtoull(value(), nullptr, 10);
    else if (a == "--repeats")
      repeats = std::max(1, std::atoi(value()));
    else if (a == "--target") {
      const char* t = value();
      if (!onlinesgd::kernel::select(t)) {
        std::fprintf(stderr, "target %s is not compiled in or not supported by this CPU\n", t);
        return 2;
      }
    } else {
      bool found = false;
      for (const auto& c : all)
        if (c.name == a) cases.push_back(c), found = true;
      for (const auto& c : chain_all)
        if (c.name == a) chain_cases.push_back(c), found = true;
      for (const auto& c : hmm_all)
        if (c.name == a) hmm_cases.push_back(c), found = true;
      if (!found) {
        std::fprintf(stderr, "unknown configuration or flag '%s' (see --list)\n", a.c_str());
        return 2;
      }
    }
  }
  if (use_custom) cases.push_back(custom);
  if (cases.empty() && chain_cases.empty() && hmm_cases.empty())
    cases = all, chain_cases = chain_all, hmm_cases = hmm_all;
  if (custom.cfg.N < 1 || custom.cfg.K < 1 || custom.cfg.M < 1 || custom.cfg.batch < 1) usage(2);

  std::printf("onlinesgd-bench %s, kernel %s, up to %d threads\n", onlinesgd::version(),
              onlinesgd::kernel::active().name, onlinesgd::max_threads());
  if (!cases.empty())
    std::printf("%-22s %8s %3s %3s %7s %5s %3s %12s %10s %9s %8s %10s %9s   %s\n", "config", "N", "K", "M", "prec",
                "input", "thr", "steps/s", "ns/step/N", "gen-floor", "step/flr", "median/s", "io-floor",
                "split draw/forward/update (1 thread, us)");
  for (auto& c : cases) {
    if (threads > 0) c.threads = threads;
    if (steps > 0) c.steps = steps;
    const auto r = onlinesgd::bench::run(c, repeats);
    const double per_step = r.seconds / static_cast<double>(r.steps);
    const double floor = std::max(r.generation, r.weight_pass);
    std::printf("%-22s %8lld %3d %3d %7s %5s %3d %12.0f %10.3f %8.2fus %8.2f %10.0f %7.2fus   %.2f / %.2f / %.2f\n",
                c.name.c_str(), static_cast<long long>(c.cfg.N), c.cfg.K, c.cfg.M,
                c.cfg.precision == onlinesgd::Precision::Float32 ? "float32" : "float64",
                c.cfg.inputs == onlinesgd::Inputs::Rademacher ? "rad" : "gauss", r.threads, 1.0 / per_step,
                per_step * 1e9 / static_cast<double>(c.cfg.N), r.generation * 1e6, per_step / floor,
                static_cast<double>(r.steps) / r.median, r.roundtrip * 1e6, r.split.draw * 1e6, r.split.forward * 1e6,
                r.split.update * 1e6);
    std::fflush(stdout);
  }
  if (!chain_cases.empty())
    std::printf("\n%-22s %14s %3s %3s %6s %12s %12s %9s %12s %10s\n", "overlap engine", "N", "K", "M", "chains",
                "steps/s", "median/s", "ns/step", "weights/s", "x weights");
  for (auto& c : chain_cases) {
    const auto r = onlinesgd::bench::run_chain(c, repeats);
    std::printf("%-22s %14lld %3d %3d %6d %12.0f %12.0f %9.1f", c.name.c_str(), static_cast<long long>(c.cfg.N),
                c.cfg.K, c.cfg.M, r.chains, r.rate, r.median, 1e9 * r.chains / r.rate);
    if (r.weights_rate > 0)
      std::printf(" %12.0f %10.0f\n", r.weights_rate, r.rate / r.weights_rate);
    else
      std::printf(" %12s %10s\n", "-", "-");
    std::fflush(stdout);
  }
  if (!hmm_cases.empty())
    std::printf("\n%-22s %8s %6s %3s %12s %12s %10s %10s %12s %9s\n", "hidden manifold", "N", "D", "thr", "steps/s",
                "median/s", "Eigen GF/s", "tile GF/s", "floor st/s", "x floor");
  for (auto& c : hmm_cases) {
    const auto r = onlinesgd::bench::run_hmm(c, repeats);
    std::printf("%-22s %8lld %6lld %3d %12.0f %12.0f %10.1f %10.1f %12.0f %9.2f\n", c.name.c_str(),
                static_cast<long long>(c.cfg.N), static_cast<long long>(c.cfg.latent_dim), onlinesgd::max_threads(),
                r.rate, r.median, r.eigen_flops * 1e-9, r.tile_flops * 1e-9, r.floor_rate, r.rate / r.floor_rate);
    std::fflush(stdout);
  }
  return 0;
}
