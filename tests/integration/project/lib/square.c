/* square: -1 for inputs outside [-100, 100]. */
int square(int x) { return x < -100 || x > 100 ? -1 : x * x; }
