// A main() for fuzz targets built without libFuzzer (g++, `make test`):
// runs every file of the corpus directories given on the command line, then
// WALNUT_FUZZ_RUNS (default 2000) inputs made by mutating them — bit flips,
// byte changes, truncation, duplication — from a printed seed
// (WALNUT_TEST_SEED). It finds shallow bugs and keeps the corpus passing;
// the real coverage-guided fuzzing is `make fuzz` (clang, libFuzzer).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  std::vector<std::string> corpus;
  for (int i = 1; i < argc; i++) {
    std::filesystem::path p(argv[i]);
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(p)) {
      for (auto& e : std::filesystem::directory_iterator(p)) files.push_back(e.path());
    } else {
      files.push_back(p);
    }
    std::sort(files.begin(), files.end());
    for (auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  for (auto& c : corpus)
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(c.data()), c.size());
  if (corpus.empty()) corpus.emplace_back();

  const char* env_seed = std::getenv("WALNUT_TEST_SEED");
  uint64_t seed = env_seed ? std::strtoull(env_seed, nullptr, 10) : std::random_device{}();
  const char* env_runs = std::getenv("WALNUT_FUZZ_RUNS");
  long runs = env_runs ? std::atol(env_runs) : 2000;
  std::fprintf(stderr, "WALNUT_TEST_SEED=%llu: %zu corpus inputs, %ld mutated runs\n",
               static_cast<unsigned long long>(seed), corpus.size(), runs);
  std::mt19937_64 rng(seed);
  for (long r = 0; r < runs; r++) {
    std::string s = corpus[rng() % corpus.size()];
    int edits = 1 + int(rng() % 8);
    for (int e = 0; e < edits; e++) {
      switch (rng() % 5) {
        case 0:
          if (!s.empty()) s[rng() % s.size()] ^= char(1 << (rng() % 8));
          break;
        case 1:
          if (!s.empty()) s[rng() % s.size()] = char(rng());
          break;
        case 2:
          if (!s.empty()) s.resize(rng() % s.size());
          break;
        case 3:
          s.insert(s.size() ? rng() % s.size() : 0, 1, char(rng()));
          break;
        case 4:
          if (!s.empty() && s.size() < 4096) s += s.substr(rng() % s.size());
          break;
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  std::fprintf(stderr, "%zu corpus inputs and %ld mutated inputs ran with no finding\n",
               corpus.size(), runs);
  return 0;
}
