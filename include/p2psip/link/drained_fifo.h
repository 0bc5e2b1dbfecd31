// DrainedFifo: a first-in first-out queue for a flow that is drained often (the framing's
// frames out and its events, emptied after every call into the link). It keeps its elements in
// one vector and pops from the front by index; once drained, the vector's storage is reused, so
// a steady flow allocates nothing (std::deque allocates a block every few dozen elements). If
// the consumer leaves elements behind, the popped front is compacted away once it outweighs
// the rest, so memory stays proportional to what is queued.
#ifndef P2PSIP_LINK_DRAINED_FIFO_H_
#define P2PSIP_LINK_DRAINED_FIFO_H_

#include <cstddef>
#include <utility>
#include <vector>

namespace p2psip::link {

template <typename T>
class DrainedFifo {
 public:
  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }
  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }
  T& back() { return items_.back(); }

  template <typename... Args>
  T& emplace_back(Args&&... args) {
    if (empty()) Reset();
    return items_.emplace_back(std::forward<Args>(args)...);
  }
  void push_back(T value) { emplace_back(std::move(value)); }
  void pop_front() {
    ++head_;
    if (empty()) {
      Reset();
    } else if (head_ >= kCompactAfter && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

 private:
  static constexpr size_t kCompactAfter = 64;
  void Reset() {
    items_.clear();  // keeps the capacity
    head_ = 0;
  }

  std::vector<T> items_;
  size_t head_ = 0;  // items_[0, head_) were popped
};

}  // namespace p2psip::link

#endif  // P2PSIP_LINK_DRAINED_FIFO_H_
