// Runs fn(i) for every i in [0, n) on up to 8 threads (the calling one included). Items
// are handed out one at a time, so uneven items (a package with 500 attempts next to one
// with 3) balance themselves. fn must be safe to call concurrently for distinct i; the
// caller merges per-item results in index order, so nothing depends on timing. The first
// exception an item throws stops the hand-out and is rethrown here, after every thread
// has joined.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace labeille::analyzers {

template <class Fn>
void parallel_for(std::size_t n, Fn&& fn) {
  const unsigned workers = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    try {
      for (std::size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) fn(i);
    } catch (...) {
      next = n;
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < workers && t < n; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace labeille::analyzers
