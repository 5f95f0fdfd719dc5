// SPDX-License-Identifier: Apache-2.0
// shop.cpp - a storefront in C++: a templated cart, lambdas for pricing,
// and coupons that throw when invalid.  Calls that end in an exception are
// counted as errors, whoever catches them.
#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace shop {

struct Line {
  std::string sku;
  int cents;
  int quantity;
};

template <typename Price> class Cart {
public:
  void add(const std::string &sku, Price cents, int quantity) {
    lines_.push_back({sku, cents, quantity});
  }
  Price total() const {
    Price sum = 0;
    std::for_each(lines_.begin(), lines_.end(),
                  [&sum](const Line &l) { sum += l.cents * l.quantity; });
    return sum;
  }
  std::size_t size() const { return lines_.size(); }

private:
  std::vector<Line> lines_;
};

namespace coupons {
// Returns the discount in percent; throws for an unknown code.
int discount(const std::string &code) {
  if (code == "SPRING10")
    return 10;
  if (code == "VIP25")
    return 25;
  throw std::invalid_argument("unknown coupon " + code);
}
} // namespace coupons

int checkout(const Cart<int> &cart, const std::string &coupon) {
  int total = cart.total();
  if (!coupon.empty())
    total -= total * coupons::discount(coupon) / 100;
  return total;
}

} // namespace shop

int main() {
  const char *codes[] = {"", "SPRING10", "BOGUS", "VIP25", "EXPIRED"};
  int sold = 0, rejected = 0;
  for (int i = 0; i < 10; i++) {
    shop::Cart<int> cart;
    cart.add("tea", 450, 1 + i % 3);
    cart.add("mug", 1200, 1);
    try {
      sold += shop::checkout(cart, codes[i % 5]);
    } catch (const std::invalid_argument &) {
      rejected++;
    }
  }
  std::printf("shop: sold %d.%02d, %d coupons rejected\n", sold / 100,
              sold % 100, rejected);
  return 0;
}
