// One worker process: a single thread running one io_context that drives a slice of the
// clients, reporting to the parent over a pipe.
//
// Pipe protocol (worker -> parent), one line per record:
//   "T <counters> lat=<hist> rtt=<hist>"            every second; histograms hold that second
//   "F <counters> w0.<counters> window_us=N lat=... rtt=... join=... drop_reasons=<tally>
//      errs=<tally> cfail=<tally> never_joined=N nostate=N late=N rates=r,r,..."  once, at the end
// Commands (parent -> worker), one byte each: 'M' starts the measured window, 'S' stops (ends
// the window, sends F, exits). EOF on the command pipe is taken as 'S'.
#pragma once

#include <cstdint>

#include "load/options.hpp"

namespace rookery::load {

struct WorkerPlan {
  uint32_t index = 0;      // worker number, 0-based
  uint32_t first = 0;      // first global client index (a multiple of the room size)
  uint32_t count = 0;      // clients in this worker
  double ramp = 1000;      // this worker's share of --ramp (connections per second)
  double hard_cap_s = 60;  // exit by itself after this, whatever happens
  int report_fd = -1;      // write end of the report pipe
  int command_fd = -1;     // read end of the command pipe
  uint64_t seed = 1;
};

/// Runs the worker to completion; returns the process exit code.
int run_worker(const Options& options, const WorkerPlan& plan);

}  // namespace rookery::load
