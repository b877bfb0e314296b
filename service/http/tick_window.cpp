#include "http/tick_window.hpp"

namespace rookery::http {

TickWindow::Recent TickWindow::update(Clock::time_point now, const ByType& cumulative) {
  if (samples_.empty() || now - samples_.back().at >= spacing_) {
    samples_.push_back(Sample{now, cumulative});
  }
  // Keep one sample at least a window old (the base), drop the ones before it.
  while (samples_.size() > 1 && now - samples_[1].at >= window_) samples_.pop_front();

  const Sample& base = samples_.front();
  Recent out;
  out.seconds = std::chrono::duration<double>(now - base.at).count();
  for (const auto& [type, now_figures] : cumulative) {
    TickFigures& d = out.by_type[type];
    const auto it = base.figures.find(type);
    if (it == base.figures.end()) {  // a type first seen inside the window
      d = now_figures;
      continue;
    }
    d.duration = now_figures.duration.since(it->second.duration);
    d.lag = now_figures.lag.since(it->second.lag);
    d.input_to_state = now_figures.input_to_state.since(it->second.input_to_state);
    d.overruns = now_figures.overruns - it->second.overruns;
  }
  return out;
}

}  // namespace rookery::http
