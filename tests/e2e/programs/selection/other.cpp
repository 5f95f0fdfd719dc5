// SPDX-License-Identifier: Apache-2.0
// The second translation unit that uses the header's helper.
#include "helpers.h"

int score_other(int x) { return clamp_score(x * 40); }
